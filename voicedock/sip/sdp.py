# -*- test-case-name: tests.sip.test_sdp -*-
"""
SDP session descriptions, syntax only (RFC 8866): parse into immutable values
and write them back. Offer/answer (RFC 3264) lives in ``offer_answer``.
"""

from __future__ import annotations

import re

import attrs

from voicedock.sip.errors import SipParseError

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
_SESSION_ORDER = "vosiuepcbtrzka"
_DIGITS_RE = re.compile(r"[0-9]+")
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+")
_PROTO_RE = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+(?:/[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+)*")


class SdpParseError(SipParseError):
    """A session description that does not follow RFC 8866 §9."""


@attrs.frozen
class Origin:
    """``o=`` (RFC 8866 §5.2)."""

    username: str
    session_id: int
    session_version: int
    address: str
    net_type: str = "IN"
    addr_type: str = "IP4"

    def __str__(self) -> str:
        return (
            f"{self.username} {self.session_id} {self.session_version} "
            f"{self.net_type} {self.addr_type} {self.address}"
        )


@attrs.frozen
class Connection:
    """``c=`` (RFC 8866 §5.7); ``ttl`` and ``count`` only for multicast."""

    address: str
    net_type: str = "IN"
    addr_type: str = "IP4"
    ttl: int | None = None
    count: int | None = None

    def __str__(self) -> str:
        suffix = "".join(f"/{n}" for n in (self.ttl, self.count) if n is not None)
        return f"{self.net_type} {self.addr_type} {self.address}{suffix}"


@attrs.frozen
class Timing:
    """``t=`` with its ``r=`` lines (RFC 8866 §5.9, §5.10), repeats kept as written."""

    start: int = 0
    stop: int = 0
    repeats: tuple[str, ...] = ()


@attrs.frozen
class Attribute:
    """``a=name`` (a flag, ``value`` None) or ``a=name:value`` (RFC 8866 §5.13)."""

    name: str
    value: str | None = None

    def __str__(self) -> str:
        return self.name if self.value is None else f"{self.name}:{self.value}"


@attrs.frozen
class RtpMap:
    """``a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]`` (RFC 8866 §6.6)."""

    payload_type: int
    encoding: str
    clock_rate: int | None
    channels: int | None = None

    def __str__(self) -> str:
        rate = "" if self.clock_rate is None else f"/{self.clock_rate}"
        channels = "" if self.channels is None else f"/{self.channels}"
        return f"{self.payload_type} {self.encoding}{rate}{channels}"


class _Attributes:
    """Attribute lookups shared by the session and media levels."""

    attributes: tuple[Attribute, ...]

    def attribute(self, name: str) -> str | None:
        """The first ``a=name`` value: ``""`` for a flag, None if absent."""
        for attribute in self.attributes:
            if attribute.name == name:
                return "" if attribute.value is None else attribute.value
        return None

    def attribute_values(self, name: str) -> tuple[str, ...]:
        return tuple(a.value or "" for a in self.attributes if a.name == name)

    @property
    def own_direction(self) -> str | None:
        """The direction attribute at this level, or None (RFC 8866 §6.7)."""
        for attribute in self.attributes:
            if attribute.name in DIRECTIONS:
                return attribute.name
        return None


@attrs.frozen
class MediaDescription(_Attributes):
    """One ``m=`` section (RFC 8866 §5.14) with its own ``c=``, ``b=`` and ``a=`` lines."""

    media: str
    port: int
    proto: str
    formats: tuple[str, ...]
    port_count: int | None = None
    title: str | None = None
    connections: tuple[Connection, ...] = ()
    bandwidths: tuple[tuple[str, str], ...] = ()
    key: str | None = None
    attributes: tuple[Attribute, ...] = ()

    @property
    def rtpmaps(self) -> dict[int, RtpMap]:
        """``a=rtpmap`` by payload type."""
        maps = {}
        for value in self.attribute_values("rtpmap"):
            rtpmap = parse_rtpmap(value)
            maps[rtpmap.payload_type] = rtpmap
        return maps

    def fmtp(self, fmt: str | int) -> str | None:
        """The ``a=fmtp`` parameters for a format, or None (RFC 8866 §6.15)."""
        for value in self.attribute_values("fmtp"):
            name, _, params = value.partition(" ")
            if name == str(fmt):
                return params.strip()
        return None

    @property
    def ptime(self) -> float | None:
        """``a=ptime`` in milliseconds (RFC 8866 §6.4), or None."""
        value = self.attribute("ptime")
        if not value:
            return None
        try:
            return float(value)
        except ValueError:
            raise SdpParseError("bad a=ptime value") from None

    def __str__(self) -> str:
        port = self.port if self.port_count is None else f"{self.port}/{self.port_count}"
        lines = ["m=" + " ".join([self.media, str(port), self.proto, *self.formats])]
        if self.title is not None:
            lines.append(f"i={self.title}")
        lines.extend(f"c={c}" for c in self.connections)
        lines.extend(f"b={t}:{v}" for t, v in self.bandwidths)
        if self.key is not None:
            lines.append(f"k={self.key}")
        lines.extend(f"a={a}" for a in self.attributes)
        return "\r\n".join(lines) + "\r\n"


@attrs.frozen
class SessionDescription(_Attributes):
    """A whole session description (RFC 8866 §5)."""

    origin: Origin
    session_name: str = "-"
    timings: tuple[Timing, ...] = (Timing(),)
    connection: Connection | None = None
    media: tuple[MediaDescription, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    information: str | None = None
    uri: str | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    bandwidths: tuple[tuple[str, str], ...] = ()
    timezones: str | None = None
    key: str | None = None
    version: int = 0

    def connection_for(self, media: MediaDescription) -> Connection | None:
        """The media's first ``c=``, else the session's (RFC 8866 §5.7)."""
        return media.connections[0] if media.connections else self.connection

    def direction_of(self, media: MediaDescription) -> str:
        """Media-level direction, else session-level, else ``sendrecv`` (RFC 8866 §6.7)."""
        return media.own_direction or self.own_direction or "sendrecv"

    def __str__(self) -> str:
        lines = [f"v={self.version}", f"o={self.origin}", f"s={self.session_name}"]
        optional = (("i", self.information), ("u", self.uri))
        lines.extend(f"{k}={v}" for k, v in optional if v is not None)
        lines.extend(f"e={e}" for e in self.emails)
        lines.extend(f"p={p}" for p in self.phones)
        if self.connection is not None:
            lines.append(f"c={self.connection}")
        lines.extend(f"b={t}:{v}" for t, v in self.bandwidths)
        for timing in self.timings:
            lines.append(f"t={timing.start} {timing.stop}")
            lines.extend(f"r={r}" for r in timing.repeats)
        if self.timezones is not None:
            lines.append(f"z={self.timezones}")
        if self.key is not None:
            lines.append(f"k={self.key}")
        lines.extend(f"a={a}" for a in self.attributes)
        return "\r\n".join(lines) + "\r\n" + "".join(str(m) for m in self.media)

    def to_bytes(self) -> bytes:
        return str(self).encode("utf-8", "surrogateescape")


def _int(text: str, what: str) -> int:
    if not _DIGITS_RE.fullmatch(text):
        raise SdpParseError(f"bad number in {what}")
    return int(text)


def parse_rtpmap(value: str) -> RtpMap:
    """
    ``<pt> <encoding>/<clock rate>[/<channels>]``. A missing clock rate, seen in
    RFC 4475's own bodies (``a=rtpmap:31 LPC``), is tolerated as None.
    """
    pt, _, rest = value.partition(" ")
    parts = rest.strip().split("/")
    if len(parts) > 3 or not parts[0]:
        raise SdpParseError("bad a=rtpmap")
    clock_rate = _int(parts[1], "a=rtpmap") if len(parts) > 1 else None
    channels = _int(parts[2], "a=rtpmap") if len(parts) == 3 else None
    payload_type = _int(pt, "a=rtpmap")
    if payload_type > 127:
        raise SdpParseError("bad a=rtpmap payload type")
    return RtpMap(payload_type, parts[0], clock_rate, channels)


def parse_connection(value: str) -> Connection:
    parts = value.split(" ")
    if len(parts) != 3 or not all(parts):
        raise SdpParseError("bad c= line")
    net_type, addr_type, address = parts
    address, *extra = address.split("/")
    if not address or len(extra) > 2:
        raise SdpParseError("bad c= address")
    numbers = [_int(n, "c=") for n in extra]
    if addr_type.upper() == "IP6":
        if len(numbers) > 1:
            raise SdpParseError("bad c= address")
        return Connection(address, net_type, addr_type, None, numbers[0] if numbers else None)
    ttl = numbers[0] if numbers else None
    count = numbers[1] if len(numbers) > 1 else None
    return Connection(address, net_type, addr_type, ttl, count)


def _parse_origin(value: str) -> Origin:
    parts = value.split(" ")
    if len(parts) != 6 or not all(parts):
        raise SdpParseError("bad o= line")
    user, session_id, version, net_type, addr_type, address = parts
    return Origin(user, _int(session_id, "o="), _int(version, "o="), address, net_type, addr_type)


def _parse_media_line(value: str) -> dict[str, object]:
    parts = value.split(" ")
    if len(parts) < 3 or not all(parts):
        raise SdpParseError("bad m= line")
    media, port_text, proto, *formats = parts
    port, _, count = port_text.partition("/")
    if not _TOKEN_RE.fullmatch(media) or not _int(port, "m=") <= 65535:
        raise SdpParseError("bad m= line")
    # proto = token *("/" token); fmt = token. No formats at all is tolerated.
    if not _PROTO_RE.fullmatch(proto) or not all(_TOKEN_RE.fullmatch(f) for f in formats):
        raise SdpParseError("bad m= line")
    return {
        "media": media,
        "port": int(port),
        "port_count": _int(count, "m=") if count else None,
        "proto": proto,
        "formats": tuple(formats),
    }


def _parse_attribute(value: str) -> Attribute:
    name, colon, rest = value.partition(":")
    if not _TOKEN_RE.fullmatch(name):
        raise SdpParseError("bad a= line")
    return Attribute(name, rest if colon else None)


def _parse_bandwidth(value: str) -> tuple[str, str]:
    kind, colon, amount = value.partition(":")
    if not colon or not _TOKEN_RE.fullmatch(kind) or not _DIGITS_RE.fullmatch(amount):
        raise SdpParseError("bad b= line")
    return kind, amount


def parse_sdp(data: bytes | str) -> SessionDescription:
    """
    Parse a session description. Lines end in CRLF or, tolerated, LF
    (RFC 8866 §5). ``v=0`` must come first and ``o=``, ``s=`` and at least one
    ``t=`` must be present; session-level lines may come in any order before
    the first ``m=``. An unknown type letter is refused (RFC 8866 §5).
    """
    text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != "v=0":
        raise SdpParseError("session description must start with v=0")
    session: dict[str, object] = {"emails": [], "phones": [], "bandwidths": [], "attributes": []}
    timings: list[Timing] = []
    media: list[dict[str, object]] = []
    for line in lines[1:]:
        if len(line) < 2 or line[1] != "=" or "\r" in line:
            raise SdpParseError("malformed SDP line")
        kind, value = line[0], line[2:]
        if kind == "m":
            current = _parse_media_line(value)
            current.update(connections=[], bandwidths=[], attributes=[])
            media.append(current)
        elif media:
            _media_line(media[-1], kind, value)
        else:
            _session_line(session, timings, kind, value)
    if "origin" not in session or "session_name" not in session:
        raise SdpParseError("missing o= or s= line")
    if not timings:
        raise SdpParseError("missing t= line")
    for key in ("emails", "phones", "bandwidths", "attributes"):
        session[key] = tuple(session[key])  # type: ignore[arg-type]
    return SessionDescription(
        timings=tuple(timings),
        media=tuple(_build_media(m) for m in media),
        **session,  # type: ignore[arg-type]
    )


def _session_line(session: dict[str, object], timings: list[Timing], kind: str, value: str) -> None:
    if kind not in _SESSION_ORDER or kind == "v":
        raise SdpParseError(f"unexpected {kind}= line at session level")
    single = {
        "o": "origin",
        "s": "session_name",
        "i": "information",
        "u": "uri",
        "c": "connection",
        "z": "timezones",
        "k": "key",
    }
    if kind in single:
        if single[kind] in session:
            raise SdpParseError(f"more than one {kind}= line")
        parsed: object = value
        if kind == "o":
            parsed = _parse_origin(value)
        elif kind == "c":
            parsed = parse_connection(value)
        session[single[kind]] = parsed
    elif kind == "e":
        session["emails"].append(value)  # type: ignore[attr-defined]
    elif kind == "p":
        session["phones"].append(value)  # type: ignore[attr-defined]
    elif kind == "b":
        session["bandwidths"].append(_parse_bandwidth(value))  # type: ignore[attr-defined]
    elif kind == "a":
        session["attributes"].append(_parse_attribute(value))  # type: ignore[attr-defined]
    elif kind == "t":
        start, _, stop = value.partition(" ")
        timings.append(Timing(_int(start, "t="), _int(stop, "t=")))
    elif kind == "r":
        if not timings:
            raise SdpParseError("r= line before any t= line")
        last = timings[-1]
        timings[-1] = attrs.evolve(last, repeats=(*last.repeats, value))


def _media_line(current: dict[str, object], kind: str, value: str) -> None:
    if kind == "i" and current.get("title") is None:
        current["title"] = value
    elif kind == "c":
        current["connections"].append(parse_connection(value))  # type: ignore[attr-defined]
    elif kind == "b":
        current["bandwidths"].append(_parse_bandwidth(value))  # type: ignore[attr-defined]
    elif kind == "k" and current.get("key") is None:
        current["key"] = value
    elif kind == "a":
        current["attributes"].append(_parse_attribute(value))  # type: ignore[attr-defined]
    else:
        raise SdpParseError(f"unexpected {kind}= line in a media section")


def _build_media(fields: dict[str, object]) -> MediaDescription:
    for key in ("connections", "bandwidths", "attributes"):
        fields[key] = tuple(fields[key])  # type: ignore[arg-type]
    media = MediaDescription(**fields)  # type: ignore[arg-type]
    media.rtpmaps  # validates every a=rtpmap
    return media

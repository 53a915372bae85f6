# -*- test-case-name: tests.sip.test_message -*-
"""
SIP requests and responses (RFC 3261 §7): immutable values holding the
header fields as written, with exact typed accessors for what upper layers read.

A message keeps every header field's text, so unknown headers (and known
ones) are written back unchanged. The typed views (:attr:`Message.vias`,
:attr:`Message.cseq` ...) are parsed on first use and cached; the parser
forces the ones a transaction layer relies on, so a message that came out
of :mod:`voicedock.sip.parser` never raises from them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Union

import attrs

from voicedock.sip.address import Address, parse_address, parse_address_list
from voicedock.sip.cached import cached_value
from voicedock.sip.errors import SipParseError
from voicedock.sip.grammar import split_commas
from voicedock.sip.headers import (
    SINGLE_VALUED,
    CSeq,
    Header,
    MediaType,
    canonical_key,
    canonical_name,
    parse_call_id,
    parse_content_length,
    parse_cseq,
    parse_max_forwards,
    parse_media_type,
    parse_media_type_list,
    parse_token_list,
)
from voicedock.sip.params import check_header_param
from voicedock.sip.status import reason_phrase
from voicedock.sip.uri import Uri, parse_uri
from voicedock.sip.via import Via, parse_via_list

SIP_2_0 = "SIP/2.0"

HeaderInput = Iterable[tuple[str, object]]


class Message:
    """Behaviour shared by :class:`Request` and :class:`Response`."""

    headers: tuple[Header, ...]
    body: bytes
    version: str

    # -- raw access ----------------------------------------------------------------

    @cached_value
    def _values_by_key(self) -> dict[str, tuple[str, ...]]:
        """Every field's value grouped by :attr:`Header.key`, in order: one pass, then lookups."""
        grouped: dict[str, list[str]] = {}
        for h in self.headers:
            values = grouped.get(h.key)
            if values is None:
                grouped[h.key] = [h.value]
            else:
                values.append(h.value)
        return {key: tuple(values) for key, values in grouped.items()}

    def header_fields(self, name: str) -> tuple[Header, ...]:
        """Every field called ``name`` (case-insensitive, compact forms), in order."""
        key = canonical_key(name)
        return tuple(h for h in self.headers if h.key == key)

    def header_values(self, name: str) -> tuple[str, ...]:
        """The raw text of every field called ``name``, in order (one per field line)."""
        return self._values_by_key.get(canonical_key(name), ())

    def header(self, name: str) -> str | None:
        """The raw text of the first field called ``name``, or None."""
        values = self._values_by_key.get(canonical_key(name))
        return values[0] if values else None

    def has_header(self, name: str) -> bool:
        return self.header(name) is not None

    def _single(self, key: str) -> str | None:
        values = self._values_by_key.get(key)
        if not values:
            return None
        if len(values) > 1 and not (key == "content-length" and len(set(values)) == 1):
            raise SipParseError(f"more than one {canonical_name(key)} header")
        return values[0]

    def _required(self, key: str) -> str:
        value = self._single(key)
        if value is None:
            raise SipParseError(f"missing {canonical_name(key)} header")
        return value

    # -- typed access (RFC 3261 §20) -----------------------------------------------

    @cached_value
    def vias(self) -> tuple[Via, ...]:
        """Every Via value, top first, across all Via fields."""
        vias = tuple(
            via
            for value in self.header_values("via")
            for via in _typed("Via", parse_via_list, value)
        )
        if not vias:
            raise SipParseError("missing Via header")
        return vias

    @property
    def top_via(self) -> Via:
        return self.vias[0]

    @cached_value
    def from_address(self) -> Address:
        return _typed("From", functools.partial(parse_address, what="From"), self._required("from"))

    @cached_value
    def to_address(self) -> Address:
        return _typed("To", functools.partial(parse_address, what="To"), self._required("to"))

    @property
    def from_tag(self) -> str | None:
        return self.from_address.tag

    @property
    def to_tag(self) -> str | None:
        return self.to_address.tag

    @cached_value
    def call_id(self) -> str:
        return _typed("Call-ID", parse_call_id, self._required("call-id"))

    @cached_value
    def cseq(self) -> CSeq:
        return _typed("CSeq", parse_cseq, self._required("cseq"))

    @cached_value
    def max_forwards(self) -> int | None:
        value = self._single("max-forwards")
        return None if value is None else _typed("Max-Forwards", parse_max_forwards, value)

    @cached_value
    def content_length(self) -> int | None:
        """The declared Content-Length, or None when the header is absent."""
        value = self._single("content-length")
        return None if value is None else _typed("Content-Length", parse_content_length, value)

    @cached_value
    def content_type(self) -> MediaType | None:
        value = self._single("content-type")
        return None if value is None else _typed("Content-Type", parse_media_type, value)

    @cached_value
    def contacts(self) -> tuple[Address, ...]:
        """Contact values; empty for the wildcard ``*`` (see :attr:`contact_is_wildcard`)."""
        if self.contact_is_wildcard:
            return ()
        return tuple(
            address
            for value in self.header_values("contact")
            for address in _typed(
                "Contact", functools.partial(parse_address_list, what="Contact"), value
            )
        )

    @property
    def contact_is_wildcard(self) -> bool:
        """True for ``Contact: *`` (RFC 3261 §10.2.2)."""
        values = self.header_values("contact")
        if any(v == "*" for v in values):
            if len(values) != 1:
                raise SipParseError("Malformed Contact header: '*' mixed with addresses")
            return True
        return False

    @cached_value
    def routes(self) -> tuple[Address, ...]:
        return self._name_addr_list("route", "Route")

    @cached_value
    def record_routes(self) -> tuple[Address, ...]:
        return self._name_addr_list("record-route", "Record-Route")

    def _name_addr_list(self, key: str, name: str) -> tuple[Address, ...]:
        parse = functools.partial(parse_address_list, what=name, name_addr_only=True)
        return tuple(
            address for value in self.header_values(key) for address in _typed(name, parse, value)
        )

    def token_list(self, name: str) -> tuple[str, ...]:
        """The tokens of every ``name`` field (Require, Proxy-Require, Supported, Allow, ...)."""
        display = canonical_name(name)
        return tuple(
            token
            for value in self.header_values(name)
            for token in _typed(display, functools.partial(parse_token_list, what=display), value)
        )

    @property
    def accept(self) -> tuple[MediaType, ...] | None:
        """The Accept media ranges, or None when there is no Accept header."""
        values = self.header_values("accept")
        if not values:
            return None
        return tuple(m for v in values for m in _typed("Accept", parse_media_type_list, v))

    @property
    def expires(self) -> int | None:
        """The Expires delta-seconds, or None when absent or not a number (RFC 3261 §20.19)."""
        value = self.header("expires")
        if value is None or not value.isdigit() or not value.isascii():
            return None
        return int(value)

    def validate(self) -> None:
        """
        Parse every header the transaction and dialog layers rely on, raising
        :class:`SipParseError` on the first fault: Via (at least one), From, To,
        Call-ID, CSeq (each exactly once), Max-Forwards, Content-Length,
        Content-Type, Contact, Route, Record-Route, Require, Proxy-Require,
        Supported, Allow, Unsupported and Accept. Other headers are kept as text.
        """
        present = self._values_by_key
        for key in SINGLE_VALUED:
            if len(present.get(key, ())) > 1:
                self._single(key)  # raises unless repeated Content-Lengths agree
        self.vias, self.from_address, self.to_address, self.call_id, self.cseq
        self.max_forwards, self.content_length, self.content_type
        self.contacts, self.routes, self.record_routes, self.accept
        for name in ("require", "proxy-require", "supported", "allow", "unsupported"):
            if name in present:
                self.token_list(name)

    # -- building --------------------------------------------------------------------

    def with_headers(self, headers: Iterable[Header]) -> Message:
        return attrs.evolve(self, headers=tuple(headers))  # type: ignore[misc]

    def add_header(self, name: str, value: object, *, first: bool = False) -> Message:
        """A copy with a new field; ``first=True`` puts it on top (a new Via)."""
        field = Header(name, str(value))
        headers = (field, *self.headers) if first else (*self.headers, field)
        return self.with_headers(headers)

    def replace_header(self, name: str, *values: object) -> Message:
        """
        A copy where every field called ``name`` is replaced by one field per
        value, placed where the first one was (appended if there was none).
        """
        return self.with_headers(_replaced(self.headers, name, values))

    def remove_header(self, name: str) -> Message:
        key = canonical_key(name)
        return self.with_headers(h for h in self.headers if h.key != key)

    def with_body(self, body: bytes, content_type: object | None = None) -> Message:
        """A copy with ``body``, Content-Length set to match and Content-Type if given."""
        message = attrs.evolve(self, body=bytes(body))  # type: ignore[misc]
        if content_type is not None:
            message = message.replace_header("Content-Type", content_type)
        return message.replace_header("Content-Length", len(body))

    def with_top_via(self, via: Via) -> Message:
        """A copy whose top Via value is ``via``; other values stay as written."""
        for index, h in enumerate(self.headers):
            if h.key == "via":
                rest = split_commas(h.value, "Via")[1:]
                value = ", ".join([str(via), *rest])
                headers = list(self.headers)
                headers[index] = Header(h.name, value)
                return self.with_headers(headers)
        raise SipParseError("missing Via header")

    def start_line(self) -> str:
        raise NotImplementedError

    def to_bytes(self) -> bytes:
        """The wire form: start line, the header fields as held, an empty line, the body."""
        lines = [self.start_line()]
        lines.extend(f"{h.name}: {h.value}" for h in self.headers)
        lines.append("\r\n")
        return "\r\n".join(lines).encode("utf-8", "surrogateescape") + self.body

    def __bytes__(self) -> bytes:
        return self.to_bytes()


def _typed(name: str, parse, value: str):  # type: ignore[no-untyped-def]
    try:
        return parse(value)
    except SipParseError as error:
        reason = error.reason.removesuffix(f" in {name}")
        raise SipParseError(f"Malformed {name} header: {reason}") from None


@attrs.frozen(slots=False)
class Request(Message):
    """A SIP request (RFC 3261 §7.1). ``version`` is exposed as received (``SIP/7.0`` gets 505)."""

    method: str
    uri: Uri
    headers: tuple[Header, ...] = ()
    body: bytes = b""
    version: str = SIP_2_0

    def start_line(self) -> str:
        return f"{self.method} {self.uri} {self.version}"


@attrs.frozen(slots=False)
class Response(Message):
    """A SIP response (RFC 3261 §7.2)."""

    status: int
    reason: str
    headers: tuple[Header, ...] = ()
    body: bytes = b""
    version: str = SIP_2_0

    def start_line(self) -> str:
        return f"{self.version} {self.status} {self.reason}"


AnyMessage = Union[Request, Response]


def _fields(headers: HeaderInput) -> list[Header]:
    return [h if isinstance(h, Header) else Header(h[0], str(h[1])) for h in headers]


def _replaced(fields: Iterable[Header], name: str, values: Iterable[object]) -> list[Header]:
    """
    ``fields`` where every field called ``name`` gives way to one field per
    value, placed where the first one was (appended if there was none) and
    spelled as it was (else :func:`canonical_name`).
    """
    fields = list(fields)
    key = canonical_key(name)
    spelled = next((h.name for h in fields if h.key == key), canonical_name(name))
    new = [Header(spelled, str(v)) for v in values]
    out: list[Header] = []
    placed = False
    for h in fields:
        if h.key == key:
            if not placed:
                out.extend(new)
                placed = True
            continue
        out.append(h)
    if not placed:
        out.extend(new)
    return out


def make_request(
    method: str,
    uri: Uri | str,
    headers: HeaderInput,
    body: bytes = b"",
    content_type: object | None = None,
) -> Request:
    """
    Build a request from ``(name, value)`` pairs; values may be typed
    (:class:`Via`, :class:`Address`, :class:`CSeq` ...) or text. Content-Length
    is set from ``body``. Raises :class:`SipParseError` if a mandatory header
    is missing or malformed (RFC 3261 §8.1.1).
    """
    if isinstance(uri, str):
        uri = parse_uri(uri, "Request-URI")
    if getattr(uri, "headers", ()):
        raise ValueError("a Request-URI cannot carry headers (RFC 3261 §19.1.1)")
    request = Request(method, uri, tuple(_fields(headers)))
    request = request.with_body(body, content_type)  # type: ignore[assignment]
    request.validate()
    return request


def response_header_fields(
    request_fields: Iterable[Header], status: int, to_tag: str | None
) -> list[Header]:
    """
    The fields a response copies from its request (RFC 3261 §8.2.6.2): every
    Via in order, From, To (with ``;tag=to_tag`` added when the request's To
    has no tag), Call-ID and CSeq; and Timestamp for a 100 (§8.2.6.1).
    Works on raw fields, so it also serves to answer a request that failed to parse.
    """
    fields = _copied_fields(request_fields, status)
    if to_tag is not None:
        fields = [_with_to_tag(h, to_tag) if h.key == "to" else h for h in fields]
    return fields


#: What a response copies after the Vias, first field of each (§8.2.6.2; Timestamp §8.2.6.1).
_COPIED = ("from", "to", "call-id", "cseq")
_COPIED_BY_100 = (*_COPIED, "timestamp")


def _copied_fields(request_fields: Iterable[Header], status: int) -> list[Header]:
    """Every Via in order, then the first From, To, Call-ID, CSeq (and Timestamp for a 100)."""
    copied = _COPIED_BY_100 if status == 100 else _COPIED
    vias: list[Header] = []
    first: dict[str, Header] = {}
    for h in request_fields:
        if h.key == "via":
            vias.append(h)
        elif h.key in copied and h.key not in first:
            first[h.key] = h
    return vias + [first[key] for key in copied if key in first]


def _with_to_tag(field: Header, tag: str, address: Address | None = None) -> Header:
    """
    The To field with ``;tag=tag`` added, unless it already has a tag or does
    not parse. ``address`` is the field's value already parsed, when known.
    """
    if address is None:
        try:
            address = parse_address(field.value, "To")
        except SipParseError:
            return field
    if address.tag is not None:
        return field
    check_header_param("tag", tag)
    # The value came from a field and the tag is a token: nothing left to check.
    return Header._unchecked(field.name, f"{field.value};tag={tag}")


def _request_to_address(request: Request) -> Address | None:
    """The request's To as already parsed (a parsed request is validated), else None."""
    try:
        return request.to_address
    except SipParseError:
        return None  # several or malformed To fields: _with_to_tag reads the first itself


def make_response(
    request: Request,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    headers: HeaderInput = (),
    body: bytes = b"",
    content_type: object | None = None,
) -> Response:
    """
    Build a response to ``request`` per RFC 3261 §8.2.6: Via, From, To, Call-ID
    and CSeq copied; a To tag added when ``to_tag`` is given and the request's
    To has none; then ``headers``; Content-Length from ``body``.
    """
    if not 100 <= status <= 699:
        raise ValueError(f"status {status} out of range")
    if reason is not None and ("\r" in reason or "\n" in reason):
        raise ValueError("a reason phrase cannot contain CR or LF")
    fields = _copied_fields(request.headers, status)
    if to_tag is not None:
        to = _request_to_address(request)
        fields = [_with_to_tag(h, to_tag, to) if h.key == "to" else h for h in fields]
    fields.extend(_fields(headers))
    # What with_body() does, on the list rather than through two intermediate copies.
    body_bytes = bytes(body)
    if content_type is not None:
        fields = _replaced(fields, "Content-Type", (content_type,))
    fields = _replaced(fields, "Content-Length", (len(body),))
    return Response(
        status,
        reason if reason is not None else reason_phrase(status),
        tuple(fields),
        body_bytes,
    )

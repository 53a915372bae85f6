# -*- test-case-name: tests.sip.test_uri -*-
"""
``sip:``, ``sips:`` and ``tel:`` URIs, and any other absolute URI kept opaque
(RFC 3261 §19.1 and §25.1, RFC 3966, RFC 5118 for IPv6 references).
"""

from __future__ import annotations

import re
from typing import Union

import attrs

from voicedock.sip.errors import SipParseError
from voicedock.sip.grammar import UNRESERVED, escape, unescape
from voicedock.sip.params import NO_PARAMETERS, Parameters

_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*")
_HOSTNAME_RE = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9\-_.]*)")
_IPV6_RE = re.compile(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")
_IPV4_RE = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
_ESC = r"%[0-9A-Fa-f]{2}"
_UNRES = r"A-Za-z0-9\-_.!~*'()"
_USER_RE = re.compile(rf"(?:[{_UNRES}&=+$,;?/]|{_ESC})+")
_PASSWORD_RE = re.compile(rf"(?:[{_UNRES}&=+$,]|{_ESC})*")
_PARAMCHARS_RE = re.compile(rf"(?:[{_UNRES}\[\]/:&+$]|{_ESC})+")
_HNAME_RE = re.compile(rf"(?:[{_UNRES}\[\]/?:+$]|{_ESC})+")
_HVALUE_RE = re.compile(rf"(?:[{_UNRES}\[\]/?:+$]|{_ESC})*")
_TEL_NUMBER_RE = re.compile(r"\+?[0-9A-Fa-f*#\-.()]*[0-9A-Fa-f*#][0-9A-Fa-f*#\-.()]*")
_URIC_RE = re.compile(rf"(?:[{_UNRES};/?:@&=+$,\[\]]|{_ESC})+")

USER_CHARS = UNRESERVED | frozenset("&=+$,;?/")
PASSWORD_CHARS = UNRESERVED | frozenset("&=+$,")
PARAM_CHARS = UNRESERVED | frozenset("[]/:&+$")
HEADER_CHARS = UNRESERVED | frozenset("[]/?:+$")


def format_host(host: str) -> str:
    """A host as written in a URI or Via: IPv6 addresses get their brackets."""
    return f"[{host}]" if ":" in host else host


def is_ip_address(host: str) -> bool:
    """True for an IPv4 dotted quad or an IPv6 address (no brackets)."""
    return ":" in host or _IPV4_RE.fullmatch(host) is not None


def parse_hostport(text: str, what: str) -> tuple[str, int | None]:
    """
    Split ``host [":" port]``. An IPv6 reference keeps everything inside the
    brackets as the address: a port is only ever read after ``]`` (RFC 5118 §4.3).
    The RFC 3261 ABNF's three-colon IPv6 form is tolerated (RFC 5118 §4.10).
    """
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise SipParseError(f"unterminated IPv6 reference in {what}")
        host = text[1:end]
        if not _IPV6_RE.fullmatch(host):
            raise SipParseError(f"bad IPv6 reference in {what}")
        rest = text[end + 1 :]
    else:
        colon = text.find(":")
        host, rest = (text, "") if colon < 0 else (text[:colon], text[colon:])
        if not _HOSTNAME_RE.fullmatch(host):
            raise SipParseError(f"bad host in {what}")
    if not rest:
        return host, None
    if not rest.startswith(":") or not rest[1:].isdigit() or not rest[1:].isascii():
        raise SipParseError(f"bad port in {what}")
    port = int(rest[1:])
    if port > 65535:
        raise SipParseError(f"port out of range in {what}")
    return host, port


def _parse_uri_params(text: str, what: str) -> Parameters:
    """``*( ";" pname [ "=" pvalue ] )``, escapes decoded; ``text`` follows the first ``;``."""
    items: list[tuple[str, str | None]] = []
    for piece in text.split(";"):
        name, eq, value = piece.partition("=")
        if not _PARAMCHARS_RE.fullmatch(name):
            raise SipParseError(f"bad URI parameter in {what}")
        if eq and not _PARAMCHARS_RE.fullmatch(value):
            raise SipParseError(f"bad URI parameter value in {what}")
        items.append((unescape(name, what), unescape(value, what) if eq else None))
    return Parameters(tuple(items))


def _format_uri_params(params: Parameters) -> str:
    return "".join(
        (
            f";{escape(k, PARAM_CHARS)}"
            if v is None
            else f";{escape(k, PARAM_CHARS)}={escape(v, PARAM_CHARS)}"
        )
        for k, v in params.items
    )


@attrs.frozen
class SipUri:
    """
    A ``sip:`` or ``sips:`` URI (RFC 3261 §19.1.1). Components are held
    unescaped (``%HH`` decoded exactly once) and escaped again on output.
    ``host`` holds an IPv6 address without its brackets.
    """

    host: str
    user: str | None = None
    port: int | None = None
    params: Parameters = Parameters()
    headers: tuple[tuple[str, str], ...] = ()
    password: str | None = None
    scheme: str = "sip"

    @property
    def is_secure(self) -> bool:
        return self.scheme == "sips"

    @property
    def transport(self) -> str | None:
        """The ``transport`` parameter, lower-cased, or None."""
        value = self.params.get("transport")
        return value.lower() if value else None

    @property
    def lr(self) -> bool:
        """Whether this is a loose-routing URI (``;lr``, RFC 3261 §19.1.1)."""
        return "lr" in self.params

    @property
    def maddr(self) -> str | None:
        return self.params.get("maddr") or None

    @property
    def host_port(self) -> str:
        host = format_host(self.host)
        return host if self.port is None else f"{host}:{self.port}"

    def with_params(self, **values: str | None) -> SipUri:
        params = self.params
        for name, value in values.items():
            params = params.set(name, value)
        return attrs.evolve(self, params=params)

    def __str__(self) -> str:
        out = [self.scheme, ":"]
        if self.user is not None:
            out.append(escape(self.user, USER_CHARS))
            if self.password is not None:
                out.append(":" + escape(self.password, PASSWORD_CHARS))
            out.append("@")
        out.append(self.host_port)
        out.append(_format_uri_params(self.params))
        if self.headers:
            out.append(
                "?"
                + "&".join(
                    f"{escape(k, HEADER_CHARS)}={escape(v, HEADER_CHARS)}" for k, v in self.headers
                )
            )
        return "".join(out)


@attrs.frozen
class TelUri:
    """A ``tel:`` URI (RFC 3966): the number as written and its parameters."""

    number: str
    params: Parameters = Parameters()
    scheme: str = "tel"

    @property
    def is_global(self) -> bool:
        return self.number.startswith("+")

    def __str__(self) -> str:
        return f"tel:{self.number}{_format_uri_params(self.params)}"


@attrs.frozen
class AbsoluteUri:
    """Any other absolute URI (``isbn:``, ``http:``, ...), kept as written (RFC 3261 §25.1)."""

    scheme: str
    opaque: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.opaque}"


Uri = Union[SipUri, TelUri, AbsoluteUri]


def parse_uri(text: str, what: str = "URI") -> Uri:
    """
    Parse an absolute URI: ``sip``/``sips`` and ``tel`` into typed values,
    any other scheme into :class:`AbsoluteUri`. No whitespace is allowed.
    """
    colon = text.find(":")
    if colon <= 0 or not _SCHEME_RE.fullmatch(text, 0, colon):
        raise SipParseError(f"{what} has no scheme")
    scheme = text[:colon].lower()
    rest = text[colon + 1 :]
    if scheme in ("sip", "sips"):
        return _parse_sip_uri(scheme, rest, what)
    if scheme == "tel":
        return _parse_tel_uri(rest, what)
    if not _URIC_RE.fullmatch(rest):
        raise SipParseError(f"bad characters in {what}")
    return AbsoluteUri(text[:colon], rest)


def _parse_sip_uri(scheme: str, rest: str, what: str) -> SipUri:
    user = password = None
    at = rest.find("@")
    if at >= 0:
        userinfo, rest = rest[:at], rest[at + 1 :]
        user_text, colon, password_text = userinfo.partition(":")
        if not _USER_RE.fullmatch(user_text):
            raise SipParseError(f"bad user part in {what}")
        if colon and not _PASSWORD_RE.fullmatch(password_text):
            raise SipParseError(f"bad password in {what}")
        user = unescape(user_text, what)
        password = unescape(password_text, what) if colon else None
    headers: tuple[tuple[str, str], ...] = ()
    qmark = rest.find("?")
    if qmark >= 0:
        headers = _parse_uri_headers(rest[qmark + 1 :], what)
        rest = rest[:qmark]
    semi = rest.find(";")
    params = NO_PARAMETERS
    if semi >= 0:
        params = _parse_uri_params(rest[semi + 1 :], what)
        rest = rest[:semi]
    host, port = parse_hostport(rest, what)
    return SipUri(host, user, port, params, headers, password, scheme)


def _parse_uri_headers(text: str, what: str) -> tuple[tuple[str, str], ...]:
    headers = []
    for piece in text.split("&"):
        name, eq, value = piece.partition("=")
        if not eq or not _HNAME_RE.fullmatch(name) or not _HVALUE_RE.fullmatch(value):
            raise SipParseError(f"bad URI header in {what}")
        headers.append((unescape(name, what), unescape(value, what)))
    return tuple(headers)


def _parse_tel_uri(rest: str, what: str) -> TelUri:
    number, semi, param_text = rest.partition(";")
    if not _TEL_NUMBER_RE.fullmatch(number):
        raise SipParseError(f"bad telephone number in {what}")
    params = _parse_uri_params(param_text, what) if semi else NO_PARAMETERS
    return TelUri(number, params)

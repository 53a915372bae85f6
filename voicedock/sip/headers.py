# -*- test-case-name: tests.sip.test_headers -*-
"""
Header fields: names (case-insensitive, compact forms), the raw field kept
as written, and the small typed values (CSeq, media types, scalars, token
lists) of RFC 3261 §20.
"""

from __future__ import annotations

import functools
import re

import attrs

from voicedock.sip.errors import SipParseError
from voicedock.sip.grammar import CALL_ID_RE, TOKEN_RE, Scanner, is_token, split_commas
from voicedock.sip.params import Parameters, check_header_param, parse_header_params

#: RFC 3261 §7.3.3 and later RFCs' compact forms.
COMPACT_FORMS = {
    "a": "accept-contact",
    "b": "referred-by",
    "c": "content-type",
    "d": "request-disposition",
    "e": "content-encoding",
    "f": "from",
    "i": "call-id",
    "j": "reject-contact",
    "k": "supported",
    "l": "content-length",
    "m": "contact",
    "n": "identity-info",
    "o": "event",
    "r": "refer-to",
    "s": "subject",
    "t": "to",
    "u": "allow-events",
    "v": "via",
    "x": "session-expires",
    "y": "identity",
}

#: The spelling we write for header names we build.
CANONICAL_NAMES = {
    name.lower(): name
    for name in (
        "Accept",
        "Accept-Contact",
        "Accept-Encoding",
        "Accept-Language",
        "Alert-Info",
        "Allow",
        "Allow-Events",
        "Authentication-Info",
        "Authorization",
        "Call-ID",
        "Call-Info",
        "Contact",
        "Content-Disposition",
        "Content-Encoding",
        "Content-Language",
        "Content-Length",
        "Content-Type",
        "CSeq",
        "Date",
        "Error-Info",
        "Event",
        "Expires",
        "From",
        "Identity",
        "Identity-Info",
        "In-Reply-To",
        "Max-Forwards",
        "Min-Expires",
        "Min-SE",
        "MIME-Version",
        "Organization",
        "Path",
        "Priority",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "Proxy-Require",
        "RAck",
        "Reason",
        "Record-Route",
        "Refer-To",
        "Referred-By",
        "Reject-Contact",
        "Reply-To",
        "Request-Disposition",
        "Require",
        "Retry-After",
        "Route",
        "RSeq",
        "Server",
        "Service-Route",
        "Session-Expires",
        "Subject",
        "Supported",
        "Timestamp",
        "To",
        "Unsupported",
        "User-Agent",
        "Via",
        "Warning",
        "WWW-Authenticate",
    )
}

#: Fields that must appear at most once (RFC 3261 §7.3.1: only list-valued
#: fields may repeat). Content-Length may repeat with the same value.
SINGLE_VALUED = frozenset(
    {"to", "from", "call-id", "cseq", "max-forwards", "content-type", "content-length"}
)

_NAME_RE = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")
_DIGITS_RE = re.compile(r"[0-9]+")


@functools.lru_cache(maxsize=1024)
def canonical_key(name: str) -> str:
    """The lower-case long form of a header name: ``"v"`` and ``"VIA"`` give ``"via"``."""
    lower = name.lower()
    return COMPACT_FORMS.get(lower, lower)


def canonical_name(name: str) -> str:
    """The spelling VoiceDock writes: ``"call-id"`` and ``"i"`` give ``"Call-ID"``."""
    key = canonical_key(name)
    return CANONICAL_NAMES.get(key, name)


def _check_name(instance: object, attribute: object, value: str) -> None:
    if not _NAME_RE.fullmatch(value):
        raise ValueError(f"header name {value!r} is not a token")


def _check_value(instance: object, attribute: object, value: str) -> None:
    if "\r" in value or "\n" in value:
        raise ValueError("a header value cannot contain CR or LF")


@attrs.frozen
class Header:
    """
    One header field as written: ``name`` in the sender's spelling (compact
    or not), ``value`` with line folding replaced by a single space and
    surrounding whitespace removed. ``key`` is the lower-case long name.
    """

    name: str = attrs.field(validator=_check_name)
    value: str = attrs.field(validator=_check_value)
    key: str = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "key", canonical_key(self.name))

    @classmethod
    def _unchecked(cls, name: str, value: str) -> Header:
        """
        A field whose name is already known to be a token and whose value
        already holds no CR or LF: the parser's fields (it matched both while
        splitting the header section) and fields copied or built from such
        values. Skips the two validators; everything else builds with ``Header(...)``.
        """
        field = object.__new__(cls)
        object.__setattr__(field, "name", name)
        object.__setattr__(field, "value", value)
        object.__setattr__(field, "key", canonical_key(name))
        return field


@attrs.frozen
class CSeq:
    """The CSeq value (RFC 3261 §20.16): a 32-bit sequence number and a method."""

    number: int
    method: str

    def __str__(self) -> str:
        if not 0 <= self.number <= 0xFFFFFFFF or not is_token(self.method):
            raise ValueError(f"invalid CSeq {self.number} {self.method!r}")
        return f"{self.number} {self.method}"


@attrs.frozen
class MediaType:
    """A media type with parameters (Content-Type, Accept; RFC 3261 §20.15)."""

    type: str
    subtype: str
    params: Parameters = Parameters()

    @property
    def essence(self) -> str:
        """``type/subtype`` lower-cased, for comparisons."""
        return f"{self.type}/{self.subtype}".lower()

    def __str__(self) -> str:
        for name, value in self.params:
            check_header_param(name, value)
        return f"{self.type}/{self.subtype}{self.params}"


def parse_cseq(text: str) -> CSeq:
    """``CSeq: 1*DIGIT LWS Method``; leading zeros allowed, below 2**32 (RFC 4475 §3.1.2.4)."""
    scanner = Scanner(text, "CSeq")
    scanner.skip_ws()
    digits = scanner.match(_DIGITS_RE)
    if digits is None:
        raise scanner.error("missing sequence number")
    number = int(digits)
    if number > 0xFFFFFFFF:
        raise scanner.error("sequence number exceeds 2**32-1")
    start = scanner.pos
    method = scanner.token("method")
    if scanner.text[start] not in " \t":
        raise scanner.error("expected whitespace before method")
    if not scanner.at_end():
        raise scanner.error("unexpected text after method")
    return CSeq(number, method)


def parse_max_forwards(text: str) -> int:
    """``Max-Forwards: 1*DIGIT``, 0 to 255 (RFC 3261 §20.22)."""
    if not _DIGITS_RE.fullmatch(text):
        raise SipParseError("Max-Forwards is not a number")
    value = int(text)
    if value > 255:
        raise SipParseError("Max-Forwards exceeds 255")
    return value


def parse_content_length(text: str) -> int:
    """``Content-Length: 1*DIGIT`` (RFC 3261 §20.14)."""
    if not _DIGITS_RE.fullmatch(text):
        raise SipParseError("Content-Length is not a non-negative number")
    return int(text)


def parse_call_id(text: str) -> str:
    """``callid = word [ "@" word ]`` (RFC 3261 §25.1)."""
    if not CALL_ID_RE.fullmatch(text):
        raise SipParseError("malformed Call-ID")
    return text


def parse_media_type(text: str, what: str = "Content-Type") -> MediaType:
    """``m-type SLASH m-subtype *( SEMI m-parameter )``."""
    scanner = Scanner(text, what)
    media_type = _read_media_type(scanner)
    if not scanner.at_end():
        raise scanner.error(f"unexpected {scanner.peek()!r}")
    return media_type


def _read_media_type(scanner: Scanner) -> MediaType:
    type_ = scanner.token("media type")
    scanner.expect("/")
    subtype = scanner.token("media subtype")
    return MediaType(type_, subtype, parse_header_params(scanner))


def parse_media_type_list(text: str, what: str = "Accept") -> tuple[MediaType, ...]:
    """A possibly empty comma-separated list of media ranges (Accept, RFC 3261 §20.1)."""
    if not text.strip():
        return ()
    return tuple(parse_media_type(part, what) for part in split_commas(text, what))


def parse_token_list(text: str, what: str) -> tuple[str, ...]:
    """A possibly empty comma-separated list of tokens (Require, Supported, Allow ...)."""
    if not text.strip():
        return ()
    parts = split_commas(text, what)
    for part in parts:
        if not TOKEN_RE.fullmatch(part):
            raise SipParseError(f"{part!r} is not a token in {what}")
    return tuple(parts)

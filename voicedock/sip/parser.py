# -*- test-case-name: tests.sip.test_parser -*-
"""
Bytes to messages: one datagram (UDP) or a byte stream (TCP) framed by
Content-Length (RFC 3261 §7, §7.5, §18.3).

Anything a peer sends either parses or raises :class:`SipParseError`
(or one of its subclasses); nothing else escapes.
"""

from __future__ import annotations

import re

import attrs

from voicedock.sip.errors import (
    FramingError,
    MessageTooLarge,
    PartialMessage,
    SipParseError,
    TooManyHeaders,
)
from voicedock.sip.grammar import TOKEN_RE
from voicedock.sip.headers import Header
from voicedock.sip.message import AnyMessage, Request, Response
from voicedock.sip.uri import parse_uri

_STATUS_LINE_RE = re.compile(r"(SIP/[0-9]+\.[0-9]+) ([0-9]+)(?: (.*))?", re.IGNORECASE | re.DOTALL)
_VERSION_RE = re.compile(r"SIP/[0-9]+\.[0-9]+", re.IGNORECASE)
_NAME_RE = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")
_DIGITS_RE = re.compile(r"[0-9]+")
_END_OF_HEAD = b"\r\n\r\n"


@attrs.frozen
class ParserLimits:
    """Bounds on what a peer may make us hold. Defaults suit UDP and TCP alike."""

    #: Whole message (start line, headers and body) in octets.
    max_message_size: int = 65536
    #: Header field lines (continuation lines are not counted).
    max_headers: int = 256


DEFAULT_LIMITS = ParserLimits()


@attrs.define
class _Head:
    kind: str | None = None
    method: str | None = None
    start: tuple[str, ...] = ()
    headers: list[Header] = attrs.Factory(list)
    error: SipParseError | None = None

    def partial(self) -> PartialMessage:
        return PartialMessage(self.kind, self.method, tuple(self.headers))

    def fail(self, error: SipParseError) -> SipParseError:
        return error.with_partial(self.partial())


def _read_head(head: bytes, limits: ParserLimits) -> _Head:
    """Split the start line and header fields; the first fault is kept in ``error``."""
    result = _Head()
    text = head.decode("utf-8", "surrogateescape")
    lines = text.split("\r\n")
    _read_start_line(lines[0], result)
    pending: list[str] | None = None  # [name, value] of the field being unfolded
    fields: list[list[str]] = []
    for line in lines[1:]:
        if "\r" in line or "\n" in line:
            result.error = result.error or SipParseError("bare CR or LF in the header section")
            continue
        if line[:1] in (" ", "\t"):
            if pending is None:
                result.error = result.error or SipParseError("continuation line before any header")
            else:
                folded = line.strip(" \t")
                if folded:
                    pending[1] = f"{pending[1]} {folded}" if pending[1] else folded
            continue
        name, colon, value = line.partition(":")
        name = name.rstrip(" \t")
        if not colon or not _NAME_RE.fullmatch(name):
            result.error = result.error or SipParseError("malformed header line")
            pending = None
            continue
        pending = [name, value.strip(" \t")]
        fields.append(pending)
        if len(fields) > limits.max_headers:
            result.headers = [Header._unchecked(n, v) for n, v in fields[: limits.max_headers]]
            raise result.fail(TooManyHeaders(f"more than {limits.max_headers} header fields"))
    # Names matched _NAME_RE and lines holding CR or LF were refused above:
    # the Header validators would check both again.
    result.headers = [Header._unchecked(n, v) for n, v in fields]
    return result


def _read_start_line(line: str, result: _Head) -> None:
    if line[:4].upper() == "SIP/":
        result.kind = "response"
        match = _STATUS_LINE_RE.fullmatch(line)
        if match is None:
            result.error = SipParseError("malformed status line")
            return
        version, code, reason = match.groups()
        if len(code) != 3 or not 100 <= int(code) <= 699:
            result.error = SipParseError("status code out of range")
            return
        if "\r" in (reason or "") or "\n" in (reason or ""):
            result.error = SipParseError("bare CR or LF in the status line")
            return
        result.start = (version.upper(), code, reason or "")
        return
    parts = line.split(" ")
    if TOKEN_RE.fullmatch(parts[0]):
        result.kind = "request"
        result.method = parts[0]
    if len(parts) != 3 or not all(parts) or result.kind is None:
        # RFC 3261 §7.1: single SP separators, none at the end (RFC 4475 §3.1.2.9/10).
        result.error = SipParseError("malformed request line")
        return
    if not _VERSION_RE.fullmatch(parts[2]):
        result.error = SipParseError("malformed SIP version in request line")
        return
    result.start = (parts[0], parts[1], parts[2].upper())


def _declared_length(head: _Head) -> int | None:
    """
    The Content-Length, None if absent. Several different values, a negative
    or a non-numeric one leave the body's extent unknown (RFC 4475 §3.1.2.3, §3.3.9).
    """
    values = {h.value for h in head.headers if h.key == "content-length"}
    if not values:
        return None
    if len(values) > 1:
        raise head.fail(FramingError("conflicting Content-Length headers"))
    value = values.pop()
    if not _DIGITS_RE.fullmatch(value):
        raise head.fail(FramingError("Content-Length is not a non-negative number"))
    return int(value)


def _build(head: _Head, body: bytes) -> AnyMessage:
    if head.error is not None:
        raise head.fail(head.error)
    message: AnyMessage
    try:
        if head.kind == "request":
            method, uri_text, version = head.start
            uri = parse_uri(uri_text, "Request-URI")
            if getattr(uri, "headers", ()):
                # RFC 3261 §19.1.1 table: headers are not allowed in a Request-URI.
                raise SipParseError("Request-URI must not carry headers")
            message = Request(method, uri, tuple(head.headers), body, version)
        else:
            version, code, reason = head.start
            message = Response(int(code), reason, tuple(head.headers), body, version)
        message.validate()
    except SipParseError as error:
        raise head.fail(error) from None
    return message


def parse_datagram(data: bytes, limits: ParserLimits = DEFAULT_LIMITS) -> AnyMessage:
    """
    Parse one message from a datagram (RFC 3261 §18.3).

    Without Content-Length the body is the rest of the datagram; octets after
    the declared Content-Length are ignored; a Content-Length larger than what
    arrived is an error. Leading CRLFs are skipped (§7.5).
    """
    start = 0
    while data.startswith(b"\r\n", start):
        start += 2
    end = data.find(_END_OF_HEAD, start)
    too_large = len(data) - start > limits.max_message_size
    if end < 0:
        head = _read_head(data[start : start + limits.max_message_size], limits)
        if too_large:
            raise head.fail(MessageTooLarge("message too large"))
        raise head.fail(SipParseError("header section not terminated by an empty line"))
    head = _read_head(data[start:end], limits)
    if too_large:
        raise head.fail(MessageTooLarge("message too large"))
    rest = data[end + 4 :]
    length = _declared_length(head)
    if length is None:
        body = rest
    elif length > len(rest):
        raise head.fail(SipParseError("Content-Length larger than the message body"))
    else:
        body = rest[:length]
    return _build(head, body)


class StreamParser:
    """
    Frames messages out of a byte stream by Content-Length, which is
    mandatory on streams (RFC 3261 §18.3, §20.14).

    :meth:`feed` returns, in order, the messages completed by the new bytes and
    a :class:`SipParseError` for each well-framed message that failed to parse.
    A :class:`FramingError` or :class:`MessageTooLarge` ends the stream: it is
    the last item returned, :attr:`broken` becomes True, and the connection
    should be closed.
    """

    def __init__(self, limits: ParserLimits = DEFAULT_LIMITS) -> None:
        self._limits = limits
        self._buffer = bytearray()
        self._head: _Head | None = None
        self._body_start = 0
        self._length = 0
        self.broken = False

    @property
    def buffered(self) -> int:
        """Octets held while waiting for the rest of a message."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[AnyMessage | SipParseError]:
        if self.broken:
            return []
        self._buffer += data
        out: list[AnyMessage | SipParseError] = []
        try:
            while self._step(out):
                pass
        except (FramingError, MessageTooLarge, TooManyHeaders) as error:
            self.broken = True
            self._buffer.clear()
            out.append(error)
        return out

    def _step(self, out: list[AnyMessage | SipParseError]) -> bool:
        buffer = self._buffer
        limits = self._limits
        if self._head is None:
            skip = 0
            while buffer.startswith(b"\r\n", skip):
                skip += 2
            if skip:
                del buffer[:skip]
            end = buffer.find(_END_OF_HEAD)
            if end < 0:
                if len(buffer) > limits.max_message_size:
                    raise MessageTooLarge("header section too large")
                return False
            if end + 4 > limits.max_message_size:
                raise MessageTooLarge("header section too large")
            head = _read_head(bytes(buffer[:end]), limits)
            length = _declared_length(head)
            if length is None:
                raise head.fail(FramingError("missing Content-Length on a stream transport"))
            if end + 4 + length > limits.max_message_size:
                raise head.fail(MessageTooLarge("message too large"))
            self._head, self._body_start, self._length = head, end + 4, length
        stop = self._body_start + self._length
        if len(buffer) < stop:
            return False
        head, self._head = self._head, None
        body = bytes(buffer[self._body_start : stop])
        del buffer[:stop]
        try:
            out.append(_build(head, body))
        except SipParseError as error:
            out.append(error)
        return True

# -*- test-case-name: tests.sip.test_parser -*-
"""The one error type a peer's bytes can ever raise out of the SIP message layer."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from voicedock.sip.headers import Header


class SipParseError(ValueError):
    """
    A message, header value, URI or SDP body that does not follow its grammar.

    ``reason`` is a short human text naming the problem; it is safe to use as
    the reason phrase of the error response (no CR/LF, no control characters).
    ``status`` is the response code a UAS should answer a request with
    (400, or 513 for an over-large message). ``partial`` carries what could be
    read of the message (start line and raw header fields) so a response can
    be addressed; it is None when nothing usable was read.
    """

    status: int = 400

    def __init__(self, reason: str, partial: PartialMessage | None = None) -> None:
        super().__init__(reason)
        self.reason = _safe_reason(reason)
        self.partial = partial

    def with_partial(self, partial: PartialMessage) -> SipParseError:
        """The same error (same class) carrying ``partial``."""
        error = type(self)(self.reason, partial)
        return error


class MessageTooLarge(SipParseError):
    """The message exceeds the configured maximum size (RFC 3261 §21.5.14: 513)."""

    status = 513


class TooManyHeaders(SipParseError):
    """The header section has more fields than the configured maximum."""


class FramingError(SipParseError):
    """
    The extent of the message cannot be known (Content-Length missing, negative,
    not a number, or given twice with different values).

    On a stream transport the connection must be closed: nothing after this
    point can be framed (RFC 3261 §18.3).
    """


class PartialMessage:
    """
    What was read of a message that failed to parse.

    ``kind`` is ``"request"``, ``"response"`` or ``None`` (start line unreadable);
    ``method`` is set for requests; ``headers`` are the raw header fields that
    could be split into name and value, in order.
    """

    __slots__ = ("kind", "method", "headers")

    def __init__(self, kind: str | None, method: str | None, headers: tuple[Header, ...]) -> None:
        self.kind = kind
        self.method = method
        self.headers = headers

    @property
    def is_request(self) -> bool:
        return self.kind == "request"

    def header_values(self, name: str) -> tuple[str, ...]:
        """Raw values of every field called ``name`` (any spelling, compact forms)."""
        from voicedock.sip.headers import canonical_key

        key = canonical_key(name)
        return tuple(h.value for h in self.headers if h.key == key)

    def __repr__(self) -> str:
        return f"PartialMessage({self.kind!r}, {self.method!r}, {len(self.headers)} headers)"


def _safe_reason(reason: str) -> str:
    cleaned = "".join(ch if ch >= " " and ch != "\x7f" else " " for ch in reason)
    # Lone surrogates (undecodable peer bytes) cannot be encoded in a reply.
    cleaned = cleaned.encode("utf-8", "replace").decode("utf-8")
    return cleaned[:200]

# -*- test-case-name: tests.sip.test_ua_core -*-
"""
The UAS checks of RFC 3261 §8.2, in the RFC's order, as a pure function:
the rejection (status, reason, extra headers) a request deserves, or None.
A UA is not a proxy: Max-Forwards is not checked (RFC 4475 zeromf).
"""

from __future__ import annotations

import attrs

from voicedock.sip.message import SIP_2_0, Request
from voicedock.sip.ua.config import KNOWN_METHODS, UserAgentConfig
from voicedock.sip.uri import SipUri, TelUri

#: Methods whose body must be one of ``config.accept`` (an SDP offer or answer).
SDP_METHODS = frozenset({"INVITE", "ACK", "UPDATE", "PRACK", "BYE", "OPTIONS", "CANCEL"})
#: Methods that never carry Require to check (RFC 3261 §8.2.2.3: not for ACK or CANCEL).
NO_REQUIRE_CHECK = frozenset({"ACK", "CANCEL"})


@attrs.frozen
class Rejection:
    """A response to send instead of processing the request."""

    status: int
    reason: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    #: Text for a ``Warning: 399`` header (RFC 3261 §20.43), added by the core with its host.
    warning: str | None = None


def _media_range_allows(ranges: tuple, essence: str) -> bool:
    kind = essence.split("/")[0]
    for media in ranges:
        if media.essence in (essence, f"{kind}/*", "*/*"):
            return True
    return False


def check_request(request: Request, config: UserAgentConfig, merged: bool = False) -> Rejection | None:
    """
    §8.2 for a request that matched no transaction. ``merged`` is the
    transaction layer's verdict on §8.2.2.2. ACK is only ever dropped, so
    for an ACK this returns None.
    """
    if request.method == "ACK":
        return None
    allow = (("Allow", config.allow_header),)
    # RFC 3261 §8.2 and §21.5.6: a version we do not speak.
    if request.version.upper() != SIP_2_0:
        return Rejection(505)
    # §8.2.1: method inspection; an unknown method is 501 (RFC 4475 intmeth, mismatch02).
    if request.method not in config.allowed_methods:
        if request.method in KNOWN_METHODS:
            return Rejection(405, headers=allow)
        return Rejection(501, headers=allow)
    if request.cseq.method != request.method:
        return Rejection(400, "CSeq method does not match the request method")
    # §8.2.2.1: a Request-URI scheme we cannot serve.
    if not isinstance(request.uri, (SipUri, TelUri)):
        return Rejection(416)
    # §8.2.2.2: merged requests.
    if merged:
        return Rejection(482)
    # §8.2.2.3: Require.
    if request.method not in NO_REQUIRE_CHECK:
        supported = {tag.lower() for tag in config.supported}
        unsupported = [tag for tag in request.token_list("Require") if tag.lower() not in supported]
        if unsupported:
            return Rejection(420, headers=(("Unsupported", ", ".join(unsupported)),))
    # §8.2.3: content processing.
    if request.body and request.method in SDP_METHODS:
        content_type = request.content_type
        accept = (("Accept", ", ".join(config.accept)),)
        if content_type is None or content_type.essence not in {a.lower() for a in config.accept}:
            return Rejection(415, headers=accept)
        encoding = request.header("content-encoding")
        if encoding is not None and encoding.strip().lower() not in ("", "identity"):
            return Rejection(415, headers=(("Accept-Encoding", "identity"),))
    # §8.2.6 / §21.4.7: we answer an INVITE with SDP; an Accept without it leaves nothing to send.
    if request.method == "INVITE" and request.accept is not None:
        if not _media_range_allows(request.accept, "application/sdp"):
            return Rejection(406, warning="Accept does not include application/sdp")
    return None

# -*- test-case-name: tests.sip.test_conformance -*-
"""
Answering a request that failed to parse, statelessly (RFC 3261 §8.2.7,
§21.4.1; RFC 4475 §3.1.2): a 400 (or 513) whose reason phrase names the
problem, sent where the top Via says, or nothing when no response can be
addressed.
"""

from __future__ import annotations

import hashlib

from voicedock.sip.errors import SipParseError
from voicedock.sip.headers import Header
from voicedock.sip.message import Response, response_header_fields
from voicedock.sip.routing import Destination, Source, response_destination
from voicedock.sip.via import parse_via_list


def error_response(error: SipParseError) -> Response | None:
    """
    The response to a request that failed to parse, or None when it cannot be
    answered: the start line was not a request line, the method is ACK
    (§17.1.1.3: never answered), or there is no Via to route it by.

    The response copies Via, From, To, Call-ID and CSeq as far as they exist
    and adds a To tag derived from the request, so a retransmission of the
    same bad request gets the same tag (§8.2.7).
    """
    partial = error.partial
    if partial is None or not partial.is_request or partial.method == "ACK":
        return None
    if not partial.header_values("via"):
        return None
    fields = response_header_fields(partial.headers, error.status, _stateless_tag(partial.headers))
    fields.append(Header("Content-Length", "0"))
    return Response(error.status, error.reason, tuple(fields))


def error_response_destination(error: SipParseError, source: Source) -> Destination:
    """
    Where :func:`error_response` goes: per the top Via when it parses
    (RFC 3261 §18.2.2), else straight back to the packet's source address.
    """
    vias = error.partial.header_values("via") if error.partial else ()
    try:
        via = parse_via_list(vias[0])[0]
    except (SipParseError, IndexError):
        return Destination(source.transport, source.remote)
    return response_destination(via, source)


def _stateless_tag(headers: tuple[Header, ...]) -> str:
    digest = hashlib.sha256()
    for h in headers:
        if h.key in ("via", "from", "call-id", "cseq"):
            digest.update(h.value.encode("utf-8", "surrogateescape") + b"\0")
    return "sl" + digest.hexdigest()[:16]

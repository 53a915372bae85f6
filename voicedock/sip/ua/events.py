# -*- test-case-name: tests.sip.test_ua_core -*-
"""
What the UA core tells the layer above (call control): one frozen event per
happening, each carrying its call and its clock time. Every call ends with
exactly one :class:`CallTerminated`, whatever the path.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

import attrs

from voicedock.sip.address import Address
from voicedock.sip.message import Request, Response
from voicedock.sip.offer_answer import MediaSession
from voicedock.sip.routing import Source
from voicedock.sip.sdp import SessionDescription

if TYPE_CHECKING:
    from voicedock.sip.ua.requests import IncomingRequest


class TerminationReason(enum.Enum):
    """Why a call ended."""

    REMOTE_BYE = "remote_bye"            # the far end sent BYE
    LOCAL_BYE = "local_bye"              # we sent BYE
    CANCELLED = "cancelled"              # CANCEL before the answer (theirs or ours)
    REJECTED = "rejected"                # a final non-2xx to the INVITE (ours or theirs)
    NO_ACK = "no_ack"                    # our 2xx was never ACKed (RFC 3261 §13.3.1.4)
    SESSION_EXPIRED = "session_expired"  # no session refresh in time (RFC 4028 §10)
    TIMEOUT = "timeout"                  # a transaction timed out (408)
    TRANSPORT_ERROR = "transport_error"  # the transport failed (503)
    MEDIA_FAILURE = "media_failure"      # no acceptable SDP answer after the session was set up


@attrs.frozen
class CallEvent:
    """Base: the call handle (an InboundCall or OutboundCall) and the clock time."""

    call: Any
    at: float


# -- the UAS side --------------------------------------------------------------------


@attrs.frozen
class IncomingCall(CallEvent):
    """
    A new INVITE passed the checks. ``offer`` is its SDP, or None for a
    delayed offer (ours goes in the 200, the answer comes in the ACK).
    Answer with ``call.ring()``, ``call.answer(local_media)`` or ``call.reject(code)``.
    """

    request: Request
    offer: SessionDescription | None
    source: Source


@attrs.frozen
class InviteCancelled(CallEvent):
    """The caller sent CANCEL before our final answer; 487 went to the INVITE."""

    request: Request


@attrs.frozen
class AckReceived(CallEvent):
    """The ACK for our 2xx: the call is up. ``media`` is the negotiated stream."""

    request: Request
    media: MediaSession | None


# -- the UAC side --------------------------------------------------------------------


@attrs.frozen
class CallProgress(CallEvent):
    """A 1xx (not 100) to our INVITE; ``media`` is set for early media (SDP in a 18x)."""

    response: Response
    media: MediaSession | None


@attrs.frozen
class CallAnswered(CallEvent):
    """A 2xx to our INVITE, ACKed; ``media`` is the negotiated stream."""

    response: Response
    media: MediaSession


@attrs.frozen
class CallFailed(CallEvent):
    """
    Our INVITE ended without a call: ``status`` is the final response's
    code (408 for a timeout, 503 for a transport error, RFC 3261 §8.1.3.1),
    ``response`` the response itself when one arrived.
    """

    status: int
    reason: str
    response: Response | None


# -- in a dialog, either side --------------------------------------------------------


@attrs.frozen
class SessionModified(CallEvent):
    """
    A re-INVITE or UPDATE (or the ACK of a delayed-offer re-INVITE) changed
    the session, e.g. hold (``remote_hold``) or resume; we answered it.
    """

    request: Request
    media: MediaSession

    @property
    def remote_hold(self) -> bool:
        return self.media.remote_hold


@attrs.frozen
class SessionRefreshed(CallEvent):
    """A session refresh (RFC 4028), received or sent; ``interval`` is the new Session-Expires."""

    method: str
    by_us: bool
    interval: int | None


@attrs.frozen
class InfoReceived(CallEvent):
    """An INFO (e.g. DTMF). Answered 200 unless the listener answers through ``incoming``."""

    request: Request
    incoming: IncomingRequest


@attrs.frozen
class NotifyReceived(CallEvent):
    """A NOTIFY (e.g. REFER progress, RFC 3515). Answered 200 unless the listener answers."""

    request: Request
    incoming: IncomingRequest

    @property
    def event(self) -> str | None:
        return self.request.header("event")

    @property
    def subscription_state(self) -> str | None:
        return self.request.header("subscription-state")


@attrs.frozen
class OptionsReceived(CallEvent):
    """An OPTIONS inside a dialog; answered 200 with Allow, Accept and Supported."""

    request: Request


@attrs.frozen
class ReferReceived(CallEvent):
    """
    A REFER (RFC 3515). The listener must decide during the event:
    ``accept()`` (202) or ``reject(status)``; otherwise the UA answers 603.
    """

    request: Request
    refer_to: Address
    referred_by: str | None
    incoming: IncomingRequest

    def accept(self) -> None:
        self.incoming.respond(202)

    def reject(self, status: int = 603, reason: str | None = None) -> None:
        self.incoming.respond(status, reason)


@attrs.frozen
class RequestFailed(CallEvent):
    """
    An in-dialog request we sent (BYE, re-INVITE, UPDATE, REFER, INFO ...)
    got a failure, a timeout (408) or a transport error (503).
    """

    method: str
    status: int
    reason: str


@attrs.frozen
class CallTerminated(CallEvent):
    """
    The last event of every call. ``status`` is the final response when the
    call ended on one (487, 486 ...); ``request`` the BYE or CANCEL that ended it, if any.
    """

    reason: TerminationReason
    status: int | None = None
    request: Request | None = None

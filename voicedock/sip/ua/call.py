# -*- test-case-name: tests.sip.test_ua_dialog -*-
"""
A call, whichever side created it: its dialog, session description and
session timer, the events it sends up and how it ends. What it receives
and sends inside the dialog is in :mod:`.received` and :mod:`.sent`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
from twisted.internet.interfaces import IDelayedCall
from twisted.logger import Logger

from voicedock.sip.dialog import Dialog
from voicedock.sip.digest import DigestClient
from voicedock.sip.message import Request, Response
from voicedock.sip.offer_answer import LocalMedia, MediaSession, SdpOrigin
from voicedock.sip.routing import Source
from voicedock.sip.sdp import SessionDescription
from voicedock.sip.session_timer import TIMER, Agreed, SessionTimer
from voicedock.sip.transaction.manager import ServerTransaction
from voicedock.sip.ua import events
from voicedock.sip.ua.events import TerminationReason
from voicedock.sip.ua.received import ReceivedInDialog
from voicedock.sip.ua.retransmit import AnswerRetransmitter
from voicedock.sip.ua.sent import SentInDialog
from voicedock.sip.ua.state import CallState, RequestPending

if TYPE_CHECKING:
    from voicedock.sip.ua.core import UserAgent


class Call(ReceivedInDialog, SentInDialog):
    """
    A call's dialog and session. Subclassed by InboundCall (we are the UAS
    of the INVITE) and OutboundCall (we are its UAC). Events go to
    :attr:`listener` when set, else to the UA's listener.
    """

    log = Logger()

    def __init__(self, ua: UserAgent, transport: str) -> None:
        self.ua = ua
        self.transport = transport
        self.listener = None
        self.state = CallState.RINGING
        self.dialog: Dialog | None = None
        self.flow: Source | None = None
        self.local_media: LocalMedia | None = None
        self.origin = SdpOrigin(ua.ids.sdp_session())
        self.local_sdp: SessionDescription | None = None
        self.remote_sdp: SessionDescription | None = None
        self.media: MediaSession | None = None
        self.peer_allows: frozenset[str] = frozenset({"INVITE", "ACK", "CANCEL", "BYE"})
        self.digest: DigestClient | None = None
        self.session_timer = SessionTimer(ua.clock, self._refresh_session, self._session_expired)
        self.terminated_by: TerminationReason | None = None
        self._retransmitter: AnswerRetransmitter | None = None
        self._awaiting_ack: tuple[int, Request, SessionDescription | None] | None = None
        self._incoming_invite: ServerTransaction | None = None
        self._outgoing_invite = False
        self._offer_in_flight = False
        self._delayed: list[IDelayedCall] = []

    # -- plumbing ------------------------------------------------------------------

    @property
    def call_id(self) -> str:
        raise NotImplementedError

    def emit(self, kind: type[events.CallEvent], **fields: object) -> None:
        self.ua.emit(self, kind(call=self, at=self.ua.clock.seconds(), **fields))  # type: ignore[call-arg]

    def _terminate(self, reason: TerminationReason, status: int | None = None,
                   request: Request | None = None) -> None:
        if self.state is CallState.TERMINATED:
            return
        self.state = CallState.TERMINATED
        self.terminated_by = reason
        self.session_timer.stop()
        if self._retransmitter is not None:
            self._retransmitter.stop()
        if self.dialog is not None:
            self.dialog.terminate()
        self._stop_timers()
        self.emit(events.CallTerminated, reason=reason, status=status, request=request)
        self.ua.forget_later(self)

    def _stop_timers(self) -> None:
        """Subclasses cancel their own timers here (and call this)."""
        for delayed in self._delayed:
            if delayed.active():
                delayed.cancel()
        self._delayed.clear()

    def _later(self, delay: float, action, *args: object) -> None:  # type: ignore[no-untyped-def]
        self._delayed = [d for d in self._delayed if d.active()]
        self._delayed.append(self.ua.clock.callLater(delay, action, *args))

    def stop_timers(self) -> None:
        """Cancel everything this call has scheduled (the UA is shutting down)."""
        self.session_timer.stop()
        if self._retransmitter is not None:
            self._retransmitter.stop()
        self._stop_timers()

    def _learn_allow(self, message: Request | Response) -> None:
        if message.has_header("allow"):
            self.peer_allows = frozenset(m.upper() for m in message.token_list("Allow"))

    def _media_for(self, local: LocalMedia) -> LocalMedia:
        """Fill in the public address when call control left it empty."""
        if local.address:
            return local
        remote = self.flow.remote.host if self.flow is not None else "127.0.0.1"
        return attrs.evolve(local, address=self.ua.media_address(self.transport, remote))

    def _contact(self):  # type: ignore[no-untyped-def]
        remote = self.flow.remote if self.flow is not None else None
        return self.ua.contact(self.transport, remote)

    def _extra_headers(self) -> list[tuple[str, str]]:
        headers = [("Allow", self.ua.config.allow_header)]
        if self.ua.config.supported:
            headers.append(("Supported", ", ".join(self.ua.config.supported)))
        return headers

    def _timer_headers(self, agreed: Agreed | None) -> list[tuple[str, str]]:
        if agreed is None:
            return []
        headers = [("Session-Expires", str(agreed.header()))]
        if agreed.require_timer:
            headers.append(("Require", TIMER))
        return headers

    def _start_session_timer(self, agreed: Agreed | None, we_are_uac: bool) -> None:
        if agreed is None:
            self.session_timer.stop()
            return
        self.session_timer.start(agreed, agreed.we_refresh(we_are_uac))


__all__ = ["Call", "CallState", "RequestPending"]

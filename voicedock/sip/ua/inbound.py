# -*- test-case-name: tests.sip.test_ua_inbound -*-
"""
A call that reached us: the UAS side of the INVITE (RFC 3261 §13.3) with
the actions call control takes on it (ring, early media, answer, reject)
and what the caller may do first (CANCEL, §9.2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twisted.internet.interfaces import IDelayedCall

from voicedock.sip.dialog import Dialog, DialogState
from voicedock.sip.message import Request
from voicedock.sip.offer_answer import (
    LocalMedia,
    MediaSession,
    OfferAnswerError,
    create_answer,
    create_offer,
)
from voicedock.sip.routing import Source
from voicedock.sip.sdp import SessionDescription
from voicedock.sip.session_timer import Agreed
from voicedock.sip.transaction.invite_server import InviteServerTransaction
from voicedock.sip.ua import events
from voicedock.sip.ua.call import Call, CallState
from voicedock.sip.ua.events import TerminationReason

if TYPE_CHECKING:
    from voicedock.sip.ua.core import UserAgent

_SDP = "application/sdp"


class InboundCall(Call):
    """
    An incoming INVITE that passed the UAS checks. Call control answers it
    with :meth:`ring`, :meth:`progress`, :meth:`answer` or :meth:`reject`;
    once up, the in-dialog actions of :class:`Call` apply (bye, hold ...).
    """

    def __init__(
        self,
        ua: UserAgent,
        request: Request,
        source: Source,
        transaction: InviteServerTransaction,
        offer: SessionDescription | None,
        timer: Agreed | None,
    ) -> None:
        super().__init__(ua, source.transport)
        self.request = request
        self.source = source
        self.flow = source
        self.transaction = transaction
        self.offer = offer
        self.timer = timer
        self.dialog = Dialog.as_uas(request, ua.ids.tag())
        self.final_status: int | None = None
        self._early_answer: tuple[SessionDescription, MediaSession] | None = None
        self._unanswered: IDelayedCall | None = None
        self._learn_allow(request)
        transaction.user = self  # type: ignore[assignment]

    @property
    def call_id(self) -> str:
        return self.request.call_id

    @property
    def answered(self) -> bool:
        return self.final_status is not None

    def _stop_timers(self) -> None:
        if self._unanswered is not None and self._unanswered.active():
            self._unanswered.cancel()
        super()._stop_timers()

    def watch_unanswered(self, delay: float) -> None:
        """Reject with 480 if call control gives no final answer within ``delay`` seconds."""
        if not self.answered:
            self._unanswered = self.ua.clock.callLater(delay, self._give_up)

    def _give_up(self) -> None:
        self.log.warn("INVITE {call_id} not answered by the call handler in time: 480",
                      call_id=self.call_id)
        self.reject(480)

    def _tagged(self, status: int, reason: str | None = None,
                headers: list[tuple[str, str]] | None = None, body: bytes = b"",
                content_type: str | None = None) -> None:
        """A response to the INVITE with our tag, Contact and the Record-Route copied (§12.1.1)."""
        assert self.dialog is not None
        fields = [(h.name, h.value) for h in self.request.header_fields("record-route")]
        if status < 300:
            fields.append(("Contact", str(self._contact())))
        fields.extend(headers or [])
        response = self.ua.respond(self.transaction, status, reason, to_tag=self.dialog.id.local_tag,
                                   headers=fields, body=body, content_type=content_type)
        if status < 300:
            self._last_ok = response

    # -- actions -------------------------------------------------------------------

    def ring(self, status: int = 180, reason: str | None = None) -> None:
        """Send a provisional response (180 Ringing by default), which creates the early dialog."""
        if self.answered or self.state is CallState.TERMINATED:
            return
        if not 101 <= status <= 199:
            raise ValueError("ring() sends a 1xx other than 100")
        self._tagged(status, reason)

    def progress(self, local: LocalMedia) -> MediaSession | None:
        """
        183 Session Progress with the SDP answer (early media). The 200 will
        carry the same answer. Returns the negotiated stream, or None when the
        offer could not be answered (the call was then rejected with 488).
        """
        if self.answered or self.offer is None:
            return None
        negotiated = self._negotiate(local)
        if negotiated is None:
            return None
        answer, media = negotiated
        self._early_answer = (answer, media)
        self._tagged(183, body=answer.to_bytes(), content_type=_SDP)
        return media

    def answer(self, local: LocalMedia) -> MediaSession | None:
        """
        200 OK with the SDP answer to the offer (or, for an INVITE without one,
        our offer: the answer then comes in the ACK). The 200 is retransmitted
        until the ACK (§13.3.1.4). Returns the negotiated stream (None for a
        delayed offer until the ACK, or when the offer could not be answered:
        the call was then rejected with 488 and a Warning).
        """
        if self.answered or self.state is CallState.TERMINATED:
            raise RuntimeError("the INVITE was already answered")
        self._stop_timers()
        self.local_media = local
        media: MediaSession | None
        if self.offer is None:
            sdp = create_offer(self._media_for(local), self.origin)
            media = None
        elif self._early_answer is not None:
            sdp, media = self._early_answer
        else:
            negotiated = self._negotiate(local)
            if negotiated is None:
                return None
            sdp, media = negotiated
        self.local_sdp, self.media = sdp, media
        if self.offer is not None:
            self.remote_sdp = self.offer
        headers = self._extra_headers()
        if self.timer is not None:
            headers.append(("Session-Expires", str(self.timer.header())))
            if self.timer.require_timer:
                headers.append(("Require", "timer"))
        self.final_status = 200
        self._tagged(200, headers=headers, body=sdp.to_bytes(), content_type=_SDP)
        assert self.dialog is not None
        self.dialog.state = DialogState.CONFIRMED
        self.state = CallState.ANSWERED
        self._await_ack(self.request, self.transaction, self._last_ok,
                        sdp if self.offer is None else None)
        if self.timer is not None:
            self._start_session_timer(self.timer, we_are_uac=False)
        return media

    def _negotiate(self, local: LocalMedia) -> tuple[SessionDescription, MediaSession] | None:
        assert self.offer is not None
        try:
            return create_answer(self.offer, self._media_for(local), self.origin)
        except OfferAnswerError as error:
            self.log.info("No common media with the offer of {call_id}: {text}",
                          call_id=self.call_id, text=error.text)
            self.reject(error.status, headers=[("Warning", error.warning(self.ua.warn_agent))])
            return None

    def reject(self, status: int = 486, reason: str | None = None,
               headers: list[tuple[str, str]] | None = None) -> None:
        """A final failure response (300-699) to the INVITE; the call ends (REJECTED)."""
        if self.answered or self.state is CallState.TERMINATED:
            return
        if not 300 <= status <= 699:
            raise ValueError("reject() needs a 300-699 status")
        self.final_status = status
        self._tagged(status, reason, headers=headers)
        self._terminate(TerminationReason.REJECTED, status)

    def hangup(self) -> None:
        """Whatever the state: 480 before the answer, BYE after it."""
        if self.state is CallState.RINGING:
            self.reject(480)
        else:
            self.bye()

    # -- what the caller does ------------------------------------------------------

    def cancelled(self, cancel: Request) -> None:
        """§9.2: a CANCEL before our final response: 487 to the INVITE, the call ends."""
        if self.answered or self.state is CallState.TERMINATED:
            return
        self.final_status = 487
        self._tagged(487)
        self.emit(events.InviteCancelled, request=cancel)
        self._terminate(TerminationReason.CANCELLED, 487, cancel)

    def _acked(self, ack: Request, request: Request, media: MediaSession | None,
               delayed: bool, changed: bool) -> None:
        if request is not self.request:
            super()._acked(ack, request, media, delayed, changed)
            return
        self.state = CallState.CONFIRMED
        self.emit(events.AckReceived, request=ack, media=media)

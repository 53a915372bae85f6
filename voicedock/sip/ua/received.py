# -*- test-case-name: tests.sip.test_ua_dialog -*-
"""
Requests a call receives inside its dialog (RFC 3261 §12.2.2): BYE (§15.1.2),
re-INVITE (§14.2) and UPDATE (RFC 3311) with offer/answer and glare (491,
500 with Retry-After), INFO, NOTIFY, OPTIONS, REFER (RFC 3515), and the ACK
for a 2xx we sent (§13.3.1.4, with the answer of a delayed offer).
"""

from __future__ import annotations

from voicedock.sip.address import parse_address
from voicedock.sip.errors import SipParseError
from voicedock.sip.message import Request, Response
from voicedock.sip.offer_answer import (
    MediaSession,
    OfferAnswerError,
    accept_answer,
    create_answer,
    create_offer,
    parse_body,
)
from voicedock.sip.sdp import SessionDescription
from voicedock.sip.session_timer import Agreed, TooSmall, negotiate_as_uas
from voicedock.sip.transaction.manager import ServerTransaction
from voicedock.sip.ua import events
from voicedock.sip.ua.events import TerminationReason
from voicedock.sip.ua.requests import IncomingRequest
from voicedock.sip.ua.retransmit import AnswerRetransmitter
from voicedock.sip.ua.state import CallState

_SDP = "application/sdp"


class ReceivedInDialog:
    """Mixed into :class:`voicedock.sip.ua.call.Call`: what arrives in the dialog."""

    # -- requests received in the dialog (RFC 3261 §12.2.2) ------------------------

    def request_received(self, request: Request, transaction: ServerTransaction) -> None:
        assert self.dialog is not None
        if not self.dialog.accept_remote_cseq(request):
            self.ua.respond(transaction, 500, "CSeq out of order")
            return
        if self.state is CallState.TERMINATED:
            # The dialog lingers so a BYE crossing ours still gets its 200.
            self.ua.respond(transaction, 200 if request.method == "BYE" else 481)
            return
        handler = {
            "BYE": self._bye_received,
            "INVITE": self._reinvite_received,
            "UPDATE": self._update_received,
            "INFO": self._info_received,
            "NOTIFY": self._notify_received,
            "OPTIONS": self._options_received,
            "REFER": self._refer_received,
        }.get(request.method)
        if handler is None:
            self.ua.respond(transaction, 405, headers=(("Allow", self.ua.config.allow_header),))
            return
        handler(request, transaction)

    def _bye_received(self, request: Request, transaction: ServerTransaction) -> None:
        """§15.1.2: 200 to the BYE; a pending INVITE of this dialog gets 487."""
        self.ua.respond(transaction, 200)
        self._bye_pending_invites()
        self._terminate(TerminationReason.REMOTE_BYE, request=request)

    def _bye_pending_invites(self) -> None:
        if self._incoming_invite is not None and not self._incoming_invite.final_sent:
            self.ua.respond(self._incoming_invite, 487)

    def _glare(self, request: Request, transaction: ServerTransaction) -> bool:
        """§14.2 / RFC 3311 §5.2: 491 while our offer is out, 500 while theirs is unanswered."""
        if self._outgoing_invite or self._offer_in_flight:
            self.ua.respond(transaction, 491)
            return True
        if self._incoming_invite is not None or self._awaiting_ack is not None:
            retry_after = str(int(self.ua.ids.uniform(0, 10)))
            self.ua.respond(transaction, 500, "Request Pending",
                            headers=(("Retry-After", retry_after),))
            return True
        return False

    def _timer_for(self, request: Request, transaction: ServerTransaction) -> tuple[bool, Agreed | None]:
        """RFC 4028 §9 on a refresh; False when answered with 422 (or 400) already."""
        try:
            agreed = negotiate_as_uas(request, self.ua.config.session_timer)
        except SipParseError as error:
            self.ua.respond(transaction, 400, error.reason)
            return False, None
        if isinstance(agreed, TooSmall):
            self.ua.respond(transaction, 422, headers=(("Min-SE", str(agreed.min_se)),))
            return False, None
        return True, agreed

    def _answer_offer(self, request: Request, transaction: ServerTransaction
                      ) -> tuple[SessionDescription, SessionDescription, MediaSession] | None:
        """Answer the SDP of a re-INVITE or UPDATE, or reply 400/488 and return None."""
        assert self.local_media is not None
        try:
            offer = parse_body(request.body)
            answer, media = create_answer(offer, self._media_for(self.local_media), self.origin)
        except OfferAnswerError as error:
            self.ua.respond(transaction, 400 if error.warn_code == 399 else 488, headers=(
                ("Warning", error.warning(self.ua.warn_agent)),))
            return None
        return offer, answer, media

    def _session_changed(self, offer: SessionDescription) -> bool:
        """RFC 3264 §8: an unchanged o= version means an unchanged session (a refresh)."""
        old = self.remote_sdp
        return old is None or old.origin.session_version != offer.origin.session_version

    def _reinvite_received(self, request: Request, transaction: ServerTransaction) -> None:
        """§14.2: a re-INVITE (hold, resume, session refresh, or delayed offer)."""
        if self.state is not CallState.CONFIRMED or self.local_media is None:
            self.ua.respond(transaction, 491)
            return
        if self._glare(request, transaction):
            return
        ok, agreed = self._timer_for(request, transaction)
        if not ok:
            return
        assert self.dialog is not None
        self.dialog.update_target(request)
        self._learn_allow(request)
        headers = [("Contact", str(self._contact())), *self._extra_headers(),
                   *self._timer_headers(agreed)]
        self._incoming_invite = transaction
        transaction.user = self  # type: ignore[assignment]
        if request.body:
            answered = self._answer_offer(request, transaction)
            if answered is None:
                self._incoming_invite = None
                return
            offer, answer, media = answered
            changed = self._session_changed(offer)
            self.remote_sdp, self.local_sdp, self.media = offer, answer, media
            ok_response = self.ua.respond(transaction, 200, to_tag=self.dialog.id.local_tag,
                                          headers=headers, body=answer.to_bytes(), content_type=_SDP)
            self._await_ack(request, transaction, ok_response, None)
            self._start_session_timer(agreed, we_are_uac=False)
            if changed:
                self.emit(events.SessionModified, request=request, media=media)
            else:
                self.emit(events.SessionRefreshed, method="INVITE", by_us=False,
                          interval=agreed.delta if agreed else None)
        else:
            offer = create_offer(self._media_for(self.local_media), self.origin)
            self.local_sdp = offer
            ok_response = self.ua.respond(transaction, 200, to_tag=self.dialog.id.local_tag,
                                          headers=headers, body=offer.to_bytes(), content_type=_SDP)
            self._await_ack(request, transaction, ok_response, offer)
            self._start_session_timer(agreed, we_are_uac=False)

    def _update_received(self, request: Request, transaction: ServerTransaction) -> None:
        """RFC 3311: UPDATE with an offer (answered in the 200) or without (a refresh)."""
        if self._offer_in_flight or self._outgoing_invite:
            self.ua.respond(transaction, 491)
            return
        if request.body and self.local_media is None:
            self.ua.respond(transaction, 491)
            return
        ok, agreed = self._timer_for(request, transaction)
        if not ok:
            return
        assert self.dialog is not None
        self.dialog.update_target(request)
        headers = [("Contact", str(self._contact())), *self._extra_headers(),
                   *self._timer_headers(agreed)]
        if request.body:
            answered = self._answer_offer(request, transaction)
            if answered is None:
                return
            offer, answer, media = answered
            changed = self._session_changed(offer)
            self.remote_sdp, self.local_sdp, self.media = offer, answer, media
            self.ua.respond(transaction, 200, headers=headers, body=answer.to_bytes(),
                            content_type=_SDP)
            if changed:
                self.emit(events.SessionModified, request=request, media=media)
        else:
            changed = False
            self.ua.respond(transaction, 200, headers=headers)
        if self.state is CallState.CONFIRMED:
            self._start_session_timer(agreed, we_are_uac=False)
        if not changed:
            self.emit(events.SessionRefreshed, method="UPDATE", by_us=False,
                      interval=agreed.delta if agreed else None)

    def _info_received(self, request: Request, transaction: ServerTransaction) -> None:
        incoming = IncomingRequest(self.ua, request, transaction)
        self.emit(events.InfoReceived, request=request, incoming=incoming)
        if not incoming.answered:
            incoming.respond(200)

    def _notify_received(self, request: Request, transaction: ServerTransaction) -> None:
        incoming = IncomingRequest(self.ua, request, transaction)
        self.emit(events.NotifyReceived, request=request, incoming=incoming)
        if not incoming.answered:
            incoming.respond(200)

    def _options_received(self, request: Request, transaction: ServerTransaction) -> None:
        self.ua.answer_options(transaction)
        self.emit(events.OptionsReceived, request=request)

    def _refer_received(self, request: Request, transaction: ServerTransaction) -> None:
        """RFC 3515 §2.4.1: exactly one Refer-To; the listener accepts (202) or rejects."""
        values = request.header_values("refer-to")
        try:
            if len(values) != 1:
                raise SipParseError("REFER needs exactly one Refer-To header")
            refer_to = parse_address(values[0], "Refer-To")
        except SipParseError as error:
            self.ua.respond(transaction, 400, error.reason)
            return
        incoming = IncomingRequest(self.ua, request, transaction)
        self.emit(events.ReferReceived, request=request, refer_to=refer_to,
                  referred_by=request.header("referred-by"), incoming=incoming)
        if not incoming.answered:
            self.log.info("REFER in call {call_id} not decided by the listener: declined",
                          call_id=self.call_id)
            incoming.respond(603)

    # -- the ACK for a 2xx we sent (§13.3.1.4) -------------------------------------

    def _await_ack(self, request: Request, transaction: ServerTransaction, ok: Response,
                   offer: SessionDescription | None) -> None:
        self._awaiting_ack = (request.cseq.number, request, offer)

        def resend() -> None:
            if not transaction.respond(ok):
                self.ua.send(ok, transaction.destination)

        self._retransmitter = AnswerRetransmitter(
            self.ua.clock, self.ua.config.timers, resend, self._no_ack)
        self._retransmitter.start()

    def _no_ack(self) -> None:
        self.log.info("No ACK for the 2xx of call {call_id}: hanging up", call_id=self.call_id)
        self._awaiting_ack = None
        self._incoming_invite = None
        self._send_bye()
        self._terminate(TerminationReason.NO_ACK)

    def dialog_ack(self, ack: Request) -> None:
        """An ACK for a 2xx of ours, matched by dialog (§13.3.1.4, §17.2.3)."""
        waiting = self._awaiting_ack
        if waiting is None or ack.cseq.number != waiting[0]:
            return  # a retransmitted ACK, or one for a 2xx we no longer wait on
        self._awaiting_ack = None
        self._incoming_invite = None
        if self._retransmitter is not None:
            self._retransmitter.stop()
        _, request, offer = waiting
        media, changed = self.media, False
        if offer is not None:
            answered = self._answer_in_ack(ack, offer)
            if answered is None:
                return
            media, changed = answered
        self._acked(ack, request, media, offer is not None, changed)

    def _answer_in_ack(self, ack: Request, offer: SessionDescription
                       ) -> tuple[MediaSession, bool] | None:
        """Delayed offer: our offer went in the 2xx, the answer must be in the ACK (RFC 3261 §13.2.1)."""
        assert self.local_media is not None
        try:
            if not ack.body:
                raise OfferAnswerError(304, "No answer in the ACK")
            answer = parse_body(ack.body)
            media = accept_answer(offer, answer, self._media_for(self.local_media))
        except OfferAnswerError as error:
            self.log.info("Bad answer in the ACK of call {call_id}: {error}",
                          call_id=self.call_id, error=error.text)
            self._send_bye()
            self._terminate(TerminationReason.MEDIA_FAILURE)
            return None
        changed = self._session_changed(answer)
        self.remote_sdp, self.media = answer, media
        return media, changed

    def _acked(self, ack: Request, request: Request, media: MediaSession | None,
               delayed: bool, changed: bool) -> None:
        """A re-INVITE's 2xx was ACKed; InboundCall overrides for the initial INVITE."""
        if delayed and media is not None:
            if changed:
                self.emit(events.SessionModified, request=ack, media=media)
            else:
                self.emit(events.SessionRefreshed, method="INVITE", by_us=False,
                          interval=self.session_timer.agreed.delta if self.session_timer.agreed else None)

    # ServerTransactionUser for INVITE transactions (RFC 6026: an ACK may come through one).
    def ack_received(self, transaction: object, ack: Request) -> None:
        self.dialog_ack(ack)

    def transaction_timed_out(self, transaction: object) -> None:
        self.log.info("No ACK for a final response in call {call_id}", call_id=self.call_id)

    def transport_failed(self, transaction: object, error: Exception) -> None:
        self.log.info("Could not send a response in call {call_id}: {error}",
                      call_id=self.call_id, error=error)
        self._terminate(TerminationReason.TRANSPORT_ERROR, 503)

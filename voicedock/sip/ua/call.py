# -*- test-case-name: tests.sip.test_ua_dialog -*-
"""
What a call does inside its dialog, whichever side created it: in-dialog
requests received (BYE, re-INVITE, UPDATE, INFO, OPTIONS, REFER, NOTIFY;
RFC 3261 §12.2.2, §14.2, RFC 3311) and sent (§12.2.1, §14.1, §15.1.1),
offer/answer on them (RFC 3264), glare (491), the 2xx retransmission until
the ACK (§13.3.1.4) and session timers (RFC 4028).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs
from twisted.internet import defer
from twisted.internet.defer import Deferred
from twisted.logger import Logger

from voicedock.sip.address import parse_address
from voicedock.sip.dialog import Dialog, Role
from voicedock.sip.digest import DigestClient
from voicedock.sip.errors import SipParseError
from voicedock.sip.message import Request, Response
from voicedock.sip.offer_answer import (
    SENDONLY,
    SENDRECV,
    LocalMedia,
    MediaSession,
    OfferAnswerError,
    SdpOrigin,
    accept_answer,
    create_answer,
    create_offer,
    parse_body,
)
from voicedock.sip.routing import Destination, Source
from voicedock.sip.sdp import SessionDescription
from voicedock.sip.session_timer import (
    TIMER,
    UAC,
    Agreed,
    SessionTimer,
    TooSmall,
    agreed_from_response,
    negotiate_as_uas,
)
from voicedock.sip.transaction.manager import ServerTransaction
from voicedock.sip.ua import events
from voicedock.sip.ua.events import TerminationReason
from voicedock.sip.ua.requests import TIMEOUT, IncomingRequest, OutgoingRequest
from voicedock.sip.ua.retransmit import AnswerRetransmitter

if TYPE_CHECKING:
    from voicedock.sip.ua.core import UserAgent

_SDP = "application/sdp"


class CallState(enum.Enum):
    """Where a call is, as call control sees it."""

    RINGING = "ringing"        # INVITE sent or received, no final response yet
    ANSWERED = "answered"      # we sent a 2xx and wait for the ACK
    CONFIRMED = "confirmed"    # the dialog is up
    TERMINATED = "terminated"


class RequestPending(Exception):
    """An offer is already in flight in this dialog (RFC 3261 §14.1; the peer would answer 491)."""


class Call:
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
        """Subclasses cancel their own timers here."""

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

    # -- requests we send in the dialog (§12.2.1) ----------------------------------

    def send_request(
        self,
        method: str,
        headers: Iterable[tuple[str, object]] = (),
        body: bytes = b"",
        content_type: str | None = None,
        *,
        on_2xx: object = None,
    ) -> Deferred[Response]:
        """
        Send an in-dialog request; the Deferred fires with the final response
        (a 408 or 503 made locally for a timeout or transport error). A 481
        or 408 ends the call (§12.2.1.2). 401/407 are answered with the
        call's credentials when it has some.
        """
        if self.dialog is None:
            return defer.fail(RuntimeError("no dialog yet"))
        result: Deferred[Response] = Deferred()
        dialog = self.dialog

        def build(destination: Destination) -> None:
            via = self.ua.new_via(destination)
            fields = list(headers)
            if method in ("INVITE", "UPDATE", "SUBSCRIBE", "REFER", "NOTIFY"):
                fields.insert(0, ("Contact", self._contact()))
            if self.ua.config.user_agent:
                fields.append(("User-Agent", self.ua.config.user_agent))
            if self.digest is not None:
                fields.extend(self.digest.authorize(method, str(dialog.request_uri_and_routes()[0]), body))
            request = dialog.create_request(method, via, headers=fields, body=body,
                                            content_type=content_type)
            outgoing = OutgoingRequest(
                self.ua, request, destination, on_final=final, digest=self.digest,
                renumber=lambda _: dialog.next_local_cseq(),
            )
            outgoing.start()

        def final(outgoing: OutgoingRequest, response: Response) -> None:
            if method == "INVITE" and 200 <= response.status < 300:
                self._ack_2xx(outgoing, response)
            if result.called:
                return
            if response.status >= 300:
                self._request_failed(method, response, outgoing.local_failure)
            result.callback(response)

        self.ua.resolve_next_hop(self).addCallbacks(build, lambda f: self._unroutable(method, f, result))
        return result

    def _unroutable(self, method: str, failure, result: Deferred[Response]) -> None:  # type: ignore[no-untyped-def]
        self.log.info("Cannot route {method} of call {call_id}: {error}", method=method,
                      call_id=self.call_id, error=failure.value)
        result.errback(failure)

    def _request_failed(self, method: str, response: Response, local_failure: str | None) -> None:
        if method != "BYE":
            self.emit(events.RequestFailed, method=method, status=response.status,
                      reason=response.reason)
        if self.state is CallState.TERMINATED:
            return
        if response.status == 481 or (response.status == 408 and method != "BYE"):
            if response.status == 408:
                self._send_bye()
            reason = TerminationReason.TIMEOUT if local_failure == TIMEOUT else (
                TerminationReason.TIMEOUT if response.status == 408 else TerminationReason.REJECTED)
            self._terminate(reason, response.status)

    def _ack_2xx(self, outgoing: OutgoingRequest, response: Response) -> None:
        """§13.2.2.4: ACK each 2xx (retransmissions too) in the dialog, CSeq of the INVITE."""
        assert self.dialog is not None
        invite = outgoing.request
        auth = [(h.name, h.value) for h in invite.headers if h.key in
                ("authorization", "proxy-authorization")]
        via = self.ua.new_via(outgoing.destination)
        ack = self.dialog.create_request("ACK", via, cseq=invite.cseq.number, headers=auth)
        self.ua.send(ack, outgoing.destination)

    def bye(self) -> Deferred[Response | None]:
        """
        Hang up a call in its dialog (§15.1.1): media stops at once, the call
        is terminated (LOCAL_BYE); the Deferred fires with the BYE's response.
        """
        if self.state is CallState.TERMINATED or self.dialog is None:
            return defer.succeed(None)
        done = self._send_bye()
        self._terminate(TerminationReason.LOCAL_BYE)
        return done

    def _send_bye(self) -> Deferred[Response | None]:
        self.session_timer.stop()
        if self._retransmitter is not None:
            self._retransmitter.stop()
        self._bye_pending_invites()
        return self.send_request("BYE").addErrback(lambda failure: None)

    def reinvite(self, local: LocalMedia | None = None, *, refresh: bool = False) -> Deferred[Response]:
        """
        Send a re-INVITE with an offer from ``local`` (default: the current
        media), e.g. hold or resume (§14.1). Fails with :class:`RequestPending`
        while another offer is in flight; a 491 is retried after the §14.1 delay.
        """
        if self.state is not CallState.CONFIRMED:
            return defer.fail(RuntimeError("the call is not confirmed"))
        if self._outgoing_invite or self._offer_in_flight or self._incoming_invite is not None:
            return defer.fail(RequestPending())
        if local is not None:
            self.local_media = local
        assert self.local_media is not None
        return self._send_offer("INVITE", self._media_for(self.local_media), refresh, attempt=1)

    def hold(self) -> Deferred[Response]:
        """Put the far end on hold: re-INVITE with ``a=sendonly`` (RFC 3264 §8.4)."""
        assert self.local_media is not None
        return self.reinvite(attrs.evolve(self.local_media, direction=SENDONLY))

    def resume(self) -> Deferred[Response]:
        assert self.local_media is not None
        return self.reinvite(attrs.evolve(self.local_media, direction=SENDRECV))

    def _refresh_headers(self) -> list[tuple[str, str]]:
        agreed = self.session_timer.agreed
        if agreed is None:
            return []
        return [("Session-Expires", f"{agreed.delta};refresher={UAC}"), ("Supported", TIMER)]

    def _send_offer(self, method: str, local: LocalMedia, refresh: bool, attempt: int) -> Deferred[Response]:
        # A refresh re-INVITE repeats the session description unchanged (RFC 4028 §10, RFC 3264 §8).
        if refresh and self.local_sdp is not None:
            offer = self.local_sdp
        else:
            offer = create_offer(local, self.origin)
        if method == "INVITE":
            self._outgoing_invite = True
        self._offer_in_flight = True
        headers = [*self._refresh_headers()] if refresh else []
        if method == "INVITE":
            headers += [("Allow", self.ua.config.allow_header)]
        sent = self.send_request(method, headers, offer.to_bytes(), _SDP)

        def done(response: Response) -> Response | Deferred[Response]:
            self._outgoing_invite = False
            self._offer_in_flight = False
            if 200 <= response.status < 300:
                self._offer_answered(offer, local, response, refresh, method)
            elif response.status == 491 and attempt < 3 and self.state is CallState.CONFIRMED:
                return self._retry_after_glare(method, local, refresh, attempt)
            return response

        def failed(failure):  # type: ignore[no-untyped-def]
            self._outgoing_invite = False
            self._offer_in_flight = False
            return failure

        return sent.addCallbacks(done, failed)

    def _retry_after_glare(self, method: str, local: LocalMedia, refresh: bool,
                           attempt: int) -> Deferred[Response]:
        """§14.1: the Call-ID owner (the dialog's UAC) waits 2.1-4 s, the other 0-2 s."""
        assert self.dialog is not None
        owner = self.dialog.role is Role.UAC
        delay = self.ua.ids.uniform(2.1, 4.0) if owner else self.ua.ids.uniform(0.0, 2.0)
        retry: Deferred[Response] = defer.Deferred()

        def again() -> None:
            if self.state is not CallState.CONFIRMED:
                retry.errback(RuntimeError("call ended while waiting to retry"))
                return
            self._send_offer(method, local, refresh, attempt + 1).chainDeferred(retry)

        self.ua.clock.callLater(delay, again)
        return retry

    def _offer_answered(self, offer: SessionDescription, local: LocalMedia, response: Response,
                        refresh: bool, method: str) -> None:
        self._learn_allow(response)
        if self.dialog is not None:
            self.dialog.update_target(response)
        try:
            answer = parse_body(response.body)
            media = accept_answer(offer, answer, local)
        except OfferAnswerError as error:
            self.log.info("Unusable answer to our {method} in call {call_id}: {error}",
                          method=method, call_id=self.call_id, error=error.text)
            self.bye()
            return
        self.local_sdp, self.remote_sdp, self.media = offer, answer, media
        agreed = agreed_from_response(response) if self.ua.config.session_timer.enabled else None
        if agreed is not None or refresh:
            self._start_session_timer(agreed or self.session_timer.agreed, we_are_uac=True)
        if refresh:
            self.emit(events.SessionRefreshed, method=method, by_us=True,
                      interval=agreed.delta if agreed else None)

    # -- session timers (RFC 4028 §10) --------------------------------------------

    def _refresh_session(self) -> None:
        """We are the refresher: UPDATE if the peer takes it, else a re-INVITE with the same SDP."""
        if self.state is not CallState.CONFIRMED or self.local_media is None:
            return
        if self._outgoing_invite or self._offer_in_flight or self._incoming_invite is not None:
            self.ua.clock.callLater(2.0, self._refresh_session)  # an offer is in flight: soon again
            return
        settings = self.ua.config.session_timer
        if settings.refresh_method == "UPDATE" and "UPDATE" in self.peer_allows:
            self._refresh_by_update()
        else:
            self._send_offer("INVITE", self._media_for(self.local_media), True, attempt=1)

    def _refresh_by_update(self) -> None:
        def done(response: Response) -> None:
            if 200 <= response.status < 300:
                agreed = agreed_from_response(response) or self.session_timer.agreed
                self._start_session_timer(agreed, we_are_uac=True)
                self.emit(events.SessionRefreshed, method="UPDATE", by_us=True,
                          interval=agreed.delta if agreed else None)
            elif response.status in (405, 501) and self.state is CallState.CONFIRMED:
                self.peer_allows = self.peer_allows - {"UPDATE"}
                self._refresh_session()

        self.send_request("UPDATE", self._refresh_headers()).addCallback(done).addErrback(
            lambda failure: None)

    def _session_expired(self) -> None:
        """The refresher stayed silent: end the session with a BYE (RFC 4028 §10)."""
        self.log.info("Session timer expired in call {call_id}: hanging up", call_id=self.call_id)
        self._send_bye()
        self._terminate(TerminationReason.SESSION_EXPIRED)

    # -- other in-dialog requests --------------------------------------------------

    def refer(self, refer_to: str, referred_by: str | None = None,
              headers: Iterable[tuple[str, str]] = ()) -> Deferred[Response]:
        """Send a REFER (RFC 3515): the Deferred fires with its final response (202 if accepted)."""
        fields = [("Refer-To", refer_to), *headers]
        if referred_by is not None:
            fields.append(("Referred-By", referred_by))
        return self.send_request("REFER", fields)

    def info(self, body: bytes, content_type: str) -> Deferred[Response]:
        return self.send_request("INFO", (), body, content_type)

    def notify(self, event: str, subscription_state: str, body: bytes = b"",
               content_type: str | None = None) -> Deferred[Response]:
        headers = [("Event", event), ("Subscription-State", subscription_state)]
        return self.send_request("NOTIFY", headers, body, content_type)

    def update(self) -> Deferred[Response]:
        """An UPDATE without a body: a session refresh (RFC 4028 §7.4, RFC 3311)."""
        return self.send_request("UPDATE", self._refresh_headers())

# -*- test-case-name: tests.sip.test_ua_outbound -*-
"""
A call we place: the UAC side of the INVITE (RFC 3261 §13.2) with digest
authentication (§22.2), early dialogs and media, the ACK for each 2xx
(§13.2.2.4, forks answered with ACK then BYE), CANCEL (§9.1) and 422
(RFC 4028 §7.4).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from twisted.internet.interfaces import IDelayedCall
from twisted.logger import Logger

from voicedock.sip.address import Address
from voicedock.sip.dialog import Dialog
from voicedock.sip.digest import Credentials, DigestClient
from voicedock.sip.errors import SipParseError
from voicedock.sip.headers import Header
from voicedock.sip.message import Request, Response, make_request
from voicedock.sip.offer_answer import (
    LocalMedia,
    MediaSession,
    OfferAnswerError,
    accept_answer,
    create_offer,
    parse_body,
)
from voicedock.sip.routing import Destination, Source
from voicedock.sip.sdp import SessionDescription
from voicedock.sip.session_timer import agreed_from_response, min_se_of, request_headers
from voicedock.sip.ua import events
from voicedock.sip.ua.call import Call, CallState
from voicedock.sip.ua.events import TerminationReason
from voicedock.sip.ua.requests import TIMEOUT, TRANSPORT_ERROR, OutgoingRequest
from voicedock.sip.uri import SipUri, Uri

if TYPE_CHECKING:
    from voicedock.sip.ua.core import UserAgent

_SDP = "application/sdp"


class _IgnoreResponses:
    """The TU of our CANCEL: its 200 (or 481) changes nothing; the INVITE's 487 does."""

    log = Logger()

    def response_received(self, transaction: object, response: Response) -> None:
        pass

    def transaction_timed_out(self, transaction: object) -> None:
        self.log.info("CANCEL timed out")

    def transport_failed(self, transaction: object, error: Exception) -> None:
        self.log.info("CANCEL could not be sent: {error}", error=error)


def cancel_for(invite: Request) -> Request:
    """§9.1: same Request-URI, Call-ID, To, From, CSeq number and Route; the INVITE's top Via."""
    fields = [("Via", str(invite.top_via))]
    fields += [(h.name, h.value) for h in invite.header_fields("route")]
    fields += [("Max-Forwards", "70"), ("From", invite.header("from")), ("To", invite.header("to")),
               ("Call-ID", invite.call_id), ("CSeq", f"{invite.cseq.number} CANCEL"),
               ("Content-Length", "0")]
    return Request("CANCEL", invite.uri, tuple(Header(n, str(v)) for n, v in fields))


class OutboundCall(Call):
    """
    An INVITE we send, e.g. to a trunk. Progress comes as
    :class:`~voicedock.sip.ua.events.CallProgress`, the outcome as
    :class:`~voicedock.sip.ua.events.CallAnswered` or
    :class:`~voicedock.sip.ua.events.CallFailed`, then the in-dialog actions apply.
    """

    def __init__(
        self,
        ua: UserAgent,
        target: Uri,
        local: LocalMedia,
        *,
        from_address: Address,
        to_address: Address,
        credentials: Credentials | Iterable[Credentials] | None,
        proxy: Uri | None,
        transport: str,
        headers: Iterable[tuple[str, str]],
    ) -> None:
        super().__init__(ua, transport)
        self.target = target
        self.local_media = local
        self.proxy = proxy
        self.local_tag = ua.ids.tag()
        self.from_address = from_address.with_tag(self.local_tag)
        self.to_address = to_address
        self.extra_headers = list(headers)
        self._call_id = ua.ids.call_id(ua.config.public_address or "voicedock")
        if credentials is not None:
            self.digest = DigestClient(credentials, cnonce=ua.ids.cnonce)
        self.offer: SessionDescription | None = None
        self.outgoing: OutgoingRequest | None = None
        self.final_status: int | None = None
        self._provisional_seen = False
        self._cancel_requested = False
        self._cancel_sent = False
        self._no_answer = False
        self._retried_422 = False
        self._acks: dict[str | None, tuple[Request, Destination]] = {}
        self._timers: list[IDelayedCall] = []

    @property
    def call_id(self) -> str:
        return self._call_id

    def _stop_timers(self) -> None:
        for call in self._timers:
            if call.active():
                call.cancel()
        self._timers.clear()
        super()._stop_timers()

    # -- sending the INVITE --------------------------------------------------------

    def start(self) -> None:
        self.ua.resolve(self.proxy or self.target, self.transport).addCallbacks(
            self._send_invite, self._unroutable_invite)

    def _unroutable_invite(self, failure) -> None:  # type: ignore[no-untyped-def]
        self.log.info("Cannot route INVITE {call_id}: {error}", call_id=self.call_id,
                      error=failure.value)
        self._fail(503, "Service Unavailable", None, TerminationReason.TRANSPORT_ERROR)

    def _send_invite(self, destination: Destination) -> None:
        if self.state is CallState.TERMINATED:
            return
        self.flow = Source(destination.transport, self.ua.sent_by(destination), destination.address)
        assert self.local_media is not None
        self.offer = create_offer(self._media_for(self.local_media), self.origin)
        self.local_sdp = self.offer
        request = self._build_invite(destination, request_headers(self.ua.config.session_timer))
        self.outgoing = OutgoingRequest(
            self.ua, request, destination, on_final=self._final,
            on_provisional=self._provisional, digest=self.digest)
        self.outgoing.start()
        self._timers.append(self.ua.clock.callLater(self.ua.config.invite_timeout, self._no_answer_in_time))

    def _build_invite(self, destination: Destination, timer_headers: list[tuple[str, str]]) -> Request:
        assert self.offer is not None
        fields: list[tuple[str, object]] = [("Via", self.ua.new_via(destination))]
        if self.proxy is not None:
            proxy = self.proxy
            if isinstance(proxy, SipUri) and not proxy.lr:
                proxy = proxy.with_params(lr=None)
            fields.append(("Route", f"<{proxy}>"))
        fields += [
            ("Max-Forwards", "70"),
            ("From", self.from_address),
            ("To", self.to_address),
            ("Call-ID", self.call_id),
            ("CSeq", "1 INVITE"),
            ("Contact", self._contact()),
            *self._extra_headers(),
            *timer_headers,
        ]
        if self.ua.config.user_agent:
            fields.append(("User-Agent", self.ua.config.user_agent))
        fields += self.extra_headers
        return make_request("INVITE", self.target, fields, self.offer.to_bytes(), _SDP)

    # -- responses -----------------------------------------------------------------

    def _provisional(self, outgoing: OutgoingRequest, response: Response) -> None:
        self._provisional_seen = True
        if self._cancel_requested and not self._cancel_sent:
            self._send_cancel()
            return
        if response.status == 100 or self.state is CallState.TERMINATED:
            return
        media = None
        if response.body and self.remote_sdp is None:
            media = self._read_answer(response)
        self.emit(events.CallProgress, response=response, media=media)

    def _read_answer(self, response: Response) -> MediaSession | None:
        assert self.offer is not None and self.local_media is not None
        try:
            answer = parse_body(response.body)
            media = accept_answer(self.offer, answer, self._media_for(self.local_media))
        except OfferAnswerError as error:
            self.log.info("Unusable SDP answer in call {call_id}: {text}", call_id=self.call_id,
                          text=error.text)
            return None
        self.remote_sdp, self.media = answer, media
        return media

    def _final(self, outgoing: OutgoingRequest, response: Response) -> None:
        if 200 <= response.status < 300:
            self._success(outgoing, response)
            return
        if self.final_status is not None or self.state is CallState.TERMINATED:
            return
        if response.status == 422 and not self._retried_422 and self._retry_422(outgoing, response):
            return
        if outgoing.local_failure == TIMEOUT or self._no_answer:
            reason = TerminationReason.TIMEOUT
        elif outgoing.local_failure == TRANSPORT_ERROR:
            reason = TerminationReason.TRANSPORT_ERROR
        elif response.status == 487 and self._cancel_requested:
            reason = TerminationReason.CANCELLED
        else:
            reason = TerminationReason.REJECTED
        self._fail(response.status, response.reason,
                   None if outgoing.local_failure else response, reason)

    def _fail(self, status: int, reason_phrase: str, response: Response | None,
              reason: TerminationReason) -> None:
        self.final_status = status
        self.emit(events.CallFailed, status=status, reason=reason_phrase, response=response)
        self._terminate(reason, status)

    def _retry_422(self, outgoing: OutgoingRequest, response: Response) -> bool:
        """RFC 4028 §7.4: retry once with the Min-SE the 422 names."""
        self._retried_422 = True
        try:
            min_se = min_se_of(response)
        except SipParseError:
            return False
        if min_se is None:
            return False
        request = outgoing.request
        for name in ("session-expires", "min-se"):
            request = request.remove_header(name)  # type: ignore[assignment]
        for name, value in request_headers(self.ua.config.session_timer, min_se):
            request = request.add_header(name, value)  # type: ignore[assignment]
        request = request.replace_header("CSeq", f"{request.cseq.number + 1} INVITE")  # type: ignore[assignment]
        outgoing._send(request)
        return True

    def _success(self, outgoing: OutgoingRequest, response: Response) -> None:
        tag = response.to_tag
        known = self._acks.get(tag)
        if known is not None:
            self.ua.send(*known)  # a retransmitted 2xx: the same ACK again (§13.2.2.4)
            return
        try:
            dialog = Dialog.as_uac(outgoing.request, response)
        except Exception as error:  # no or several Contacts: cannot even ACK
            self.log.info("Unusable 2xx in call {call_id}: {error}", call_id=self.call_id, error=error)
            self._fail(502, "Bad Gateway", response, TerminationReason.REJECTED)
            return
        if self.dialog is not None or self.state is CallState.TERMINATED:
            self._ack_and_bye_fork(outgoing, response, dialog)
            return
        self._stop_timers()
        self.final_status = response.status
        self.dialog = dialog
        self.ua.register_dialog(self, dialog.id)
        self._learn_allow(response)
        self._send_ack(outgoing, response, dialog)
        self.state = CallState.CONFIRMED
        media = self.media
        if response.body:
            self.remote_sdp = None
            media = self._read_answer(response)
        if media is None:
            self.log.info("No usable SDP answer for call {call_id}: hanging up", call_id=self.call_id)
            self.emit(events.CallFailed, status=488, reason="Not Acceptable Here", response=response)
            self._send_bye()
            self._terminate(TerminationReason.MEDIA_FAILURE, 488)
            return
        agreed = agreed_from_response(response) if self.ua.config.session_timer.enabled else None
        self._start_session_timer(agreed, we_are_uac=True)
        self.emit(events.CallAnswered, response=response, media=media)
        if self._cancel_requested:
            self.bye()

    def _send_ack(self, outgoing: OutgoingRequest, response: Response, dialog: Dialog) -> None:
        invite = outgoing.request
        auth = [(h.name, h.value) for h in invite.headers
                if h.key in ("authorization", "proxy-authorization")]

        def send(destination: Destination) -> None:
            ack = dialog.create_request("ACK", self.ua.new_via(destination),
                                        cseq=invite.cseq.number, headers=auth)
            self._acks[response.to_tag] = (ack, destination)
            self.ua.send(ack, destination)

        self.ua.resolve_dialog_hop(dialog, self.transport, None).addCallbacks(
            send, lambda failure: self.log.info("Cannot route the ACK: {e}", e=failure.value))

    def _ack_and_bye_fork(self, outgoing: OutgoingRequest, response: Response, dialog: Dialog) -> None:
        """§13.2.2.4: a second dialog from a forked INVITE is ACKed and ended at once."""
        self._send_ack(outgoing, response, dialog)

        def send_bye(destination: Destination) -> None:
            bye = dialog.create_request("BYE", self.ua.new_via(destination))
            self.ua.transactions.send_request(bye, destination, _IgnoreResponses())

        self.ua.resolve_dialog_hop(dialog, self.transport, None).addCallbacks(
            send_bye, lambda failure: None)

    def stray_2xx(self, response: Response) -> None:
        """A 2xx retransmission after Timer M: ACK it again if we know the dialog."""
        known = self._acks.get(response.to_tag)
        if known is not None:
            self.ua.send(*known)

    # -- giving up -----------------------------------------------------------------

    def cancel(self) -> None:
        """
        Cancel the INVITE (§9.1): at once if a provisional response came,
        else as soon as one does. A 2xx racing the CANCEL is ACKed then BYEd.
        """
        if self.final_status is not None or self.state is CallState.TERMINATED:
            return
        self._cancel_requested = True
        if self.outgoing is None:
            self._fail(487, "Request Terminated", None, TerminationReason.CANCELLED)
        elif self._provisional_seen:
            self._send_cancel()

    def _send_cancel(self) -> None:
        assert self.outgoing is not None
        self._cancel_sent = True
        cancel = cancel_for(self.outgoing.request)
        self.ua.transactions.send_request(cancel, self.outgoing.destination, _IgnoreResponses())
        # §9.1: no final response within 64*T1 of the CANCEL: consider the INVITE cancelled.
        self._timers.append(self.ua.clock.callLater(
            self.ua.config.timers.timer_b, self._cancel_unanswered))

    def _cancel_unanswered(self) -> None:
        if self.final_status is None and self.state is not CallState.TERMINATED:
            self._fail(487, "Request Terminated", None,
                       TerminationReason.TIMEOUT if self._no_answer else TerminationReason.CANCELLED)

    def _no_answer_in_time(self) -> None:
        self.log.info("No answer to INVITE {call_id} in time: cancelling", call_id=self.call_id)
        self._no_answer = True
        self.cancel()

    def hangup(self) -> None:
        """Whatever the state: CANCEL before the answer, BYE after it."""
        if self.state is CallState.RINGING:
            self.cancel()
        else:
            self.bye()

# -*- test-case-name: tests.sip.test_ua_dialog -*-
"""
Requests a call sends inside its dialog (RFC 3261 §12.2.1): BYE (§15.1.1),
re-INVITE for hold/resume with the 491 retry of §14.1, UPDATE, REFER, INFO,
NOTIFY, each with the digest retry, the ACK for each 2xx (§13.2.2.4), and
the session refresh of RFC 4028 §10.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs
from twisted.internet import defer
from twisted.internet.defer import Deferred

from voicedock.sip.dialog import Role
from voicedock.sip.message import Response
from voicedock.sip.offer_answer import (
    SENDONLY,
    SENDRECV,
    LocalMedia,
    OfferAnswerError,
    accept_answer,
    create_offer,
    parse_body,
)
from voicedock.sip.routing import Destination
from voicedock.sip.sdp import SessionDescription
from voicedock.sip.session_timer import TIMER, UAC, agreed_from_response
from voicedock.sip.ua import events
from voicedock.sip.ua.events import TerminationReason
from voicedock.sip.ua.requests import TIMEOUT, OutgoingRequest
from voicedock.sip.ua.state import CallState, RequestPending

_SDP = "application/sdp"


class SentInDialog:
    """Mixed into :class:`voicedock.sip.ua.call.Call`: what we send in the dialog."""

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

        self._later(delay, again)
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
            self._later(2.0, self._refresh_session)  # an offer is in flight: soon again
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

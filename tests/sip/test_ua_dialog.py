"""In-dialog behaviour: re-INVITE (hold/resume, glare), UPDATE, INFO, REFER, NOTIFY, OPTIONS, BYE."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from tests.sip.helpers import SDP_OFFER
from tests.sip.test_transaction_manager import request
from tests.sip.test_ua_core import LOCAL, UaHarness, invite
from tests.sip.test_ua_inbound import ack
from voicedock.sip.sdp import parse_sdp
from voicedock.sip.ua import (
    IncomingCall,
    InfoReceived,
    ReferReceived,
    RequestPending,
    SessionModified,
    TerminationReason,
)

HOLD_SDP = SDP_OFFER.replace(b"a=sendrecv", b"a=sendonly").replace(
    b"2890844526 2890844526", b"2890844526 2890844527")
SAME_SDP = SDP_OFFER


class Connected:
    """A confirmed inbound call; the phone's next CSeq is 2."""

    def __init__(self) -> None:
        self.h = UaHarness()
        self.h.listener.reactions[IncomingCall] = lambda e: e.call.answer(LOCAL)
        self.h.deliver(invite())
        self.tag = self.h.phone.last().to_tag
        self.h.deliver(ack(self.tag))
        self.call = self.h.listener.events[0].call
        self.cseq = 1

    def send(self, method: str, body: bytes = b"", extra=(), cseq: int | None = None):  # type: ignore[no-untyped-def]
        self.cseq += 1
        content = (("Content-Type", "application/sdp"),) if body and method != "INFO" else ()
        message = request(method, branch=f"z9hG4bKd{self.cseq}", to_tag=self.tag,
                          cseq=cseq or self.cseq, body=body, extra=(*content, *extra))
        self.h.deliver(message)
        return message


class ReinviteTests(SynchronousTestCase):
    def test_hold_and_resume(self) -> None:
        c = Connected()
        c.send("INVITE", HOLD_SDP)
        ok = c.h.phone.last()
        self.assertEqual(ok.status, 200)
        answer = parse_sdp(ok.body)
        self.assertEqual(answer.direction_of(answer.media[0]), "recvonly")
        self.assertEqual(answer.origin.session_version, 1002)  # changed: version + 1
        modified = c.h.listener.of(SessionModified)[-1]
        self.assertTrue(modified.remote_hold)
        c.h.deliver(ack(c.tag, cseq=2, branch="z9hG4bKack2"))
        c.send("INVITE", SDP_OFFER.replace(b"2890844526 2890844526", b"2890844526 2890844528"))
        self.assertFalse(c.h.listener.of(SessionModified)[-1].remote_hold)

    def test_same_sdp_is_a_refresh(self) -> None:
        c = Connected()
        c.send("INVITE", SAME_SDP)
        self.assertEqual(c.h.event_names()[-1], "SessionRefreshed")
        self.assertEqual(parse_sdp(c.h.phone.last().body).origin.session_version, 1001)

    def test_second_reinvite_before_ack_gets_500_retry_after(self) -> None:
        c = Connected()
        c.send("INVITE", SAME_SDP)
        c.send("INVITE", SAME_SDP)
        self.assertEqual(c.h.phone.last().status, 500)
        self.assertEqual(c.h.phone.last().header("Retry-After"), "5")

    def test_glare_491(self) -> None:
        c = Connected()
        ours = c.call.hold()
        c.h.run()
        self.assertEqual(c.h.phone.requests("INVITE")[0].cseq.number, 1)
        self.failureResultOf(c.call.reinvite(), RequestPending)
        c.send("INVITE", SAME_SDP)
        self.assertEqual(c.h.phone.last().status, 491)
        c.send("UPDATE", SAME_SDP)
        self.assertEqual(c.h.phone.last().status, 491)
        # the peer answers our re-INVITE with 491 too: we retry after 0-2 s (we are not the Call-ID owner)
        ours_invite = c.h.phone.requests("INVITE")[-1]
        c.h.phone.answer(ours_invite, 491, to_tag=c.call.dialog.id.remote_tag or "")
        c.h.run(0.9)
        self.assertEqual(len(c.h.phone.requests("INVITE")), 1)
        c.h.run(0.2)
        self.assertEqual(len(c.h.phone.requests("INVITE")), 2)
        self.assertEqual(c.h.ids.delays, [(0, 10), (0, 10), (0.0, 2.0)][2:])
        retry = c.h.phone.requests("INVITE")[-1]
        answer = SDP_OFFER.replace(b"a=sendrecv", b"a=recvonly")
        c.h.phone.answer(retry, 200, to_tag=c.call.dialog.id.remote_tag or "", body=answer,
                         content_type="application/sdp")
        c.h.run()
        results = []
        ours.addCallback(results.append)
        self.assertEqual([r.status for r in results], [200])
        # one ACK for the 491 (inside its transaction), one for the 200 (a new branch)
        acks = c.h.phone.requests("ACK")
        self.assertEqual([a.cseq.number for a in acks], [1, 2])
        self.assertEqual(acks[0].top_via.branch, ours_invite.top_via.branch)
        self.assertNotEqual(acks[1].top_via.branch, retry.top_via.branch)
        self.assertEqual(c.call.media.local_direction, "sendonly")
        sent = parse_sdp(retry.body)
        self.assertEqual(sent.direction_of(sent.media[0]), "sendonly")

    def test_no_common_codec_in_reinvite_488_call_stays(self) -> None:
        c = Connected()
        c.send("INVITE", SDP_OFFER.replace(b"RTP/AVP 0 8 101", b"RTP/AVP 18"))
        self.assertEqual(c.h.phone.last().status, 488)
        self.assertEqual(c.call.state.value, "confirmed")


class OtherRequestTests(SynchronousTestCase):
    def test_update_refresh(self) -> None:
        c = Connected()
        c.send("UPDATE")
        self.assertEqual(c.h.phone.last().status, 200)
        self.assertEqual(c.h.event_names()[-1], "SessionRefreshed")

    def test_info_options_notify(self) -> None:
        c = Connected()
        c.send("INFO", b"Signal=5\r\nDuration=160\r\n", extra=(("Content-Type", "application/dtmf-relay"),))
        c.send("OPTIONS")
        c.send("NOTIFY", extra=(("Event", "refer"), ("Subscription-State", "active")))
        self.assertEqual(c.h.phone.statuses()[-3:], [200, 200, 200])
        self.assertEqual(c.h.event_names()[-3:], ["InfoReceived", "OptionsReceived", "NotifyReceived"])
        self.assertEqual(c.h.listener.of(InfoReceived)[0].request.body, b"Signal=5\r\nDuration=160\r\n")
        self.assertEqual(c.h.listener.events[-1].event, "refer")

    def test_info_answered_by_listener(self) -> None:
        c = Connected()
        c.h.listener.reactions[InfoReceived] = lambda e: e.incoming.respond(415)
        c.send("INFO", b"x", extra=(("Content-Type", "application/unknown"),))
        self.assertEqual(c.h.phone.last().status, 415)

    def test_refer_accepted_or_declined(self) -> None:
        c = Connected()
        c.h.listener.reactions[ReferReceived] = lambda e: e.accept()
        c.send("REFER", extra=(("Refer-To", "<sip:+15550001111@trunk.example.com>"),))
        self.assertEqual(c.h.phone.last().status, 202)
        event = c.h.listener.of(ReferReceived)[0]
        self.assertEqual(str(event.refer_to.uri), "sip:+15550001111@trunk.example.com")
        del c.h.listener.reactions[ReferReceived]
        c.send("REFER", extra=(("Refer-To", "<sip:x@y>"),))
        self.assertEqual(c.h.phone.last().status, 603)
        c.send("REFER")
        self.assertEqual(c.h.phone.last().status, 400)

    def test_cseq_out_of_order_500(self) -> None:
        c = Connected()
        c.send("INFO", cseq=5)
        c.send("INFO", cseq=4)
        self.assertEqual(c.h.phone.statuses()[-2:], [200, 500])

    def test_unknown_dialog_481(self) -> None:
        c = Connected()
        c.h.deliver(request("INFO", branch="z9hG4bKzz", to_tag="wrong", cseq=9))
        self.assertEqual(c.h.phone.last().status, 481)


class OurRequestsTests(SynchronousTestCase):
    def test_bye(self) -> None:
        c = Connected()
        results = []
        c.call.bye().addCallback(results.append)
        c.h.run()
        bye = c.h.phone.requests("BYE")[0]
        self.assertEqual((bye.to_tag, bye.from_tag, bye.cseq.number), ("ft", c.tag, 1))
        self.assertEqual(c.h.listener.events[-1].reason, TerminationReason.LOCAL_BYE)
        c.h.phone.answer(bye, 200, to_tag="ft")
        c.h.run()
        self.assertEqual([r.status for r in results], [200])
        # a BYE crossing ours is still answered 200
        c.send("BYE")
        self.assertEqual(c.h.phone.last().status, 200)

    def test_refer_info_notify_sent(self) -> None:
        c = Connected()
        c.call.refer("<sip:+15550001111@trunk.example.com>")
        c.call.info(b"Signal=1\r\n", "application/dtmf-relay")
        c.call.notify("refer", "terminated;reason=noresource", b"SIP/2.0 200 OK\r\n", "message/sipfrag")
        c.h.run()
        self.assertEqual([r.method for r in c.h.phone.requests()[-3:]], ["REFER", "INFO", "NOTIFY"])
        self.assertEqual([r.cseq.number for r in c.h.phone.requests()[-3:]], [1, 2, 3])
        self.assertEqual(c.h.phone.requests("REFER")[0].header("Refer-To"),
                         "<sip:+15550001111@trunk.example.com>")

    def test_481_to_our_request_ends_call(self) -> None:
        c = Connected()
        c.call.info(b"x", "application/dtmf-relay")
        c.h.run()
        c.h.phone.answer(c.h.phone.requests("INFO")[0], 481, to_tag="ft")
        c.h.run()
        self.assertEqual(c.h.event_names()[-2:], ["RequestFailed", "CallTerminated"])

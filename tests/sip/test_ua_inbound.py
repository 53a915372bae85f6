"""Inbound calls through the UA core: answer, 2xx retransmission until ACK, CANCEL, rejection, delayed offer."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from tests.sip.test_transaction_manager import request
from tests.sip.test_ua_core import LOCAL, UaHarness, invite
from voicedock.sip.offer_answer import PCMU, LocalMedia
from voicedock.sip.sdp import parse_sdp
from voicedock.sip.ua import (
    AckReceived,
    CallState,
    CallTerminated,
    IncomingCall,
    TerminationReason,
)

ANSWER_SDP = (
    b"v=0\r\no=alice 5 5 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    b"m=audio 49170 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"
)


def ack(to_tag: str, cseq: int = 1, branch: str = "z9hG4bKack", body: bytes = b"") -> bytes:
    extra = (("Content-Type", "application/sdp"),) if body else ()
    return request("ACK", branch=branch, to_tag=to_tag, cseq=cseq, body=body, extra=extra)


class AnswerTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.h = UaHarness()
        self.h.listener.reactions[IncomingCall] = lambda e: e.call.answer(LOCAL)

    def test_answer_retransmitted_until_ack(self) -> None:
        h = self.h
        h.deliver(invite())
        call = h.listener.of(IncomingCall)[0].call
        ok = h.phone.last()
        self.assertEqual(ok.status, 200)
        self.assertEqual(ok.to_tag, call.dialog.id.local_tag)
        self.assertEqual(ok.header("Contact"), "<sip:voicedock@203.0.113.5:5060>")
        self.assertEqual(ok.header("Allow"), h.config.allow_header)
        answer = parse_sdp(ok.body)
        self.assertEqual((answer.connection.address, answer.media[0].port, answer.media[0].formats),
                         ("203.0.113.5", 40000, ("0", "101")))
        self.assertEqual(call.media.codec, PCMU)
        h.run(3.6)
        self.assertEqual(h.phone.statuses(), [100, 200, 200, 200, 200])  # 0, 0.5, 1.5, 3.5
        h.deliver(ack(call.dialog.id.local_tag))
        h.run(10)
        self.assertEqual(len(h.phone.statuses()), 5)
        self.assertEqual(h.event_names(), ["IncomingCall", "AckReceived"])
        self.assertIs(call.state, CallState.CONFIRMED)
        self.assertEqual(h.listener.of(AckReceived)[0].media, call.media)

    def test_no_ack_bye_after_64_t1(self) -> None:
        h = self.h
        h.deliver(invite())
        h.run(31.9)
        self.assertEqual(h.phone.requests("BYE"), [])
        h.run(0.1)
        bye = h.phone.requests("BYE")[0]
        self.assertEqual(str(bye.uri), "sip:alice@192.0.2.10")
        self.assertEqual(h.event_names(), ["IncomingCall", "CallTerminated"])
        self.assertEqual(h.listener.events[-1].reason, TerminationReason.NO_ACK)
        # 2xx at 0, 0.5, 1.5, 3.5, 7.5, 11.5 ... 31.5 (T2 cap), then BYE at 32
        self.assertEqual(h.phone.statuses(), [100] + [200] * 11)

    def test_bye_ends_call(self) -> None:
        h = self.h
        h.deliver(invite())
        tag = h.phone.last().to_tag
        h.deliver(ack(tag))
        h.deliver(request("BYE", branch="z9hG4bKbye", to_tag=tag, cseq=2))
        self.assertEqual(h.phone.last().status, 200)
        terminated = h.listener.of(CallTerminated)[0]
        self.assertEqual((terminated.reason, terminated.request.method), (TerminationReason.REMOTE_BYE, "BYE"))
        # the dialog lingers: a retransmitted BYE is answered by its transaction, a new one still 200
        h.deliver(request("BYE", branch="z9hG4bKbye2", to_tag=tag, cseq=3))
        self.assertEqual(h.phone.last().status, 200)
        h.run(40)
        h.deliver(request("BYE", branch="z9hG4bKbye3", to_tag=tag, cseq=4))
        self.assertEqual(h.phone.last().status, 481)
        self.assertEqual(h.ua.calls, set())

    def test_invite_retransmission_absorbed(self) -> None:
        h = UaHarness(delay=0.05)
        h.listener.reactions[IncomingCall] = lambda e: e.call.ring()
        message = invite()
        h.phone.send(message)
        h.run(0.5)
        h.phone.send(message)
        h.run(0.5)
        self.assertEqual(h.event_names(), ["IncomingCall"])
        self.assertEqual(h.phone.statuses(), [100, 180, 180])


class CancelTests(SynchronousTestCase):
    def test_cancel_before_answer(self) -> None:
        h = UaHarness()
        h.listener.reactions[IncomingCall] = lambda e: e.call.ring()
        h.deliver(invite())
        h.run(2)
        h.deliver(request("CANCEL"))
        self.assertEqual(h.phone.statuses("CANCEL"), [200])
        self.assertEqual(h.phone.statuses("INVITE"), [100, 180, 487])
        tag = h.phone.last(487).to_tag
        self.assertEqual(tag, h.phone.last(180).to_tag)
        self.assertEqual(h.event_names(), ["IncomingCall", "InviteCancelled", "CallTerminated"])
        self.assertEqual(h.listener.events[-1].reason, TerminationReason.CANCELLED)
        invite_tx = h.listener.events[0].call.transaction
        h.deliver(ack(tag, branch="z9hG4bK1"))  # the ACK for the 487 has the INVITE's branch
        self.assertEqual(invite_tx.state.value, "Confirmed")
        h.run(40)
        self.assertEqual(h.phone.statuses("INVITE"), [100, 180, 487])

    def test_cancel_after_answer_changes_nothing(self) -> None:
        h = UaHarness()
        h.listener.reactions[IncomingCall] = lambda e: e.call.answer(LOCAL)
        h.deliver(invite())
        h.deliver(request("CANCEL"))
        self.assertEqual(h.phone.statuses("CANCEL"), [200])
        self.assertEqual(h.event_names(), ["IncomingCall"])


class RejectTests(SynchronousTestCase):
    def test_reject_and_ack_absorbed(self) -> None:
        h = UaHarness()
        h.listener.reactions[IncomingCall] = lambda e: e.call.reject(486)
        h.deliver(invite())
        self.assertEqual(h.phone.statuses(), [100, 486])
        self.assertEqual(h.listener.events[-1].status, 486)
        h.run(0.6)
        self.assertEqual(h.phone.statuses(), [100, 486, 486])  # Timer G until the ACK
        h.deliver(ack(h.phone.last().to_tag, branch="z9hG4bK1"))
        h.run(10)
        self.assertEqual(h.phone.statuses(), [100, 486, 486])

    def test_unanswered_480(self) -> None:
        h = UaHarness()
        h.deliver(invite())
        h.run(59.9)
        self.assertEqual(h.phone.statuses(), [100])
        h.run(0.1)
        self.assertEqual(h.phone.statuses(), [100, 480])
        self.assertEqual(h.listener.events[-1].reason, TerminationReason.REJECTED)

    def test_no_common_codec_488_with_warning(self) -> None:
        h = UaHarness()
        answers = []
        h.listener.reactions[IncomingCall] = lambda e: answers.append(
            e.call.answer(LocalMedia("", 40000, codecs=(PCMU,))))
        sdp = (b"v=0\r\no=a 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
               b"m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n")
        h.deliver(invite(body=sdp))
        self.assertEqual(answers, [None])
        self.assertEqual(h.phone.statuses(), [100, 488])
        self.assertEqual(h.phone.last().header("Warning"), '305 203.0.113.5 "Incompatible media format"')

    def test_early_media_then_answer_same_sdp(self) -> None:
        h = UaHarness()

        def early(event):  # type: ignore[no-untyped-def]
            event.call.progress(LOCAL)
            event.call.answer(LOCAL)

        h.listener.reactions[IncomingCall] = early
        h.deliver(invite())
        self.assertEqual(h.phone.statuses(), [100, 183, 200])
        self.assertEqual(h.phone.last(183).body, h.phone.last(200).body)


class DelayedOfferTests(SynchronousTestCase):
    def test_offer_in_200_answer_in_ack(self) -> None:
        h = UaHarness()
        h.listener.reactions[IncomingCall] = lambda e: e.call.answer(LOCAL)
        h.deliver(invite(body=b""))
        event = h.listener.of(IncomingCall)[0]
        self.assertIsNone(event.offer)
        offer = parse_sdp(h.phone.last(200).body)
        self.assertEqual(offer.media[0].formats, ("0", "8", "101"))
        h.deliver(ack(h.phone.last().to_tag, body=ANSWER_SDP))
        acked = h.listener.of(AckReceived)[0]
        self.assertEqual((acked.media.codec.name, acked.media.remote_port), ("PCMA", 49170))

    def test_ack_without_answer_ends_call(self) -> None:
        h = UaHarness()
        h.listener.reactions[IncomingCall] = lambda e: e.call.answer(LOCAL)
        h.deliver(invite(body=b""))
        h.deliver(ack(h.phone.last().to_tag))
        self.assertEqual(len(h.phone.requests("BYE")), 1)
        self.assertEqual(h.listener.events[-1].reason, TerminationReason.MEDIA_FAILURE)

"""Outbound calls: digest (401/407, wrong password, stale), progress, answer, ACK, CANCEL, forks."""

from __future__ import annotations

import re

from twisted.trial.unittest import SynchronousTestCase

from tests.sip.test_ua_core import UaHarness
from voicedock.sip.digest import Credentials, digest_response, parse_challenge
from voicedock.sip.offer_answer import LocalMedia
from voicedock.sip.ua import CallAnswered, CallFailed, CallProgress, TerminationReason

LOCAL = LocalMedia(address="", port=41000)
ANSWER = (b"v=0\r\no=pbx 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
          b"m=audio 30000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n")
CHALLENGE = 'Digest realm="pbx", nonce="abc123", qop="auth", algorithm=MD5'
CONTACT = (("Contact", "<sip:ext@192.0.2.10:5060>"),)


def place(h: UaHarness, **kw):  # type: ignore[no-untyped-def]
    call = h.ua.invite("sip:5551234@192.0.2.10", LOCAL, **kw)
    h.run()
    return call


class OutboundTests(SynchronousTestCase):
    def test_answered_without_auth(self) -> None:
        h = UaHarness()
        call = place(h)
        invite = h.phone.requests("INVITE")[0]
        self.assertEqual(invite.header("Contact"), "<sip:voicedock@203.0.113.5:5060>")
        self.assertEqual(invite.header("Supported"), "timer")
        self.assertEqual(invite.header("Session-Expires"), "1800")
        self.assertIn(b"m=audio 41000 RTP/AVP 0 8 101", invite.body)
        self.assertEqual(invite.top_via.rport, 5060)  # asked for (RFC 3581), filled on arrival
        h.phone.answer(invite, 180, headers=CONTACT)
        h.phone.answer(invite, 200, headers=CONTACT, body=ANSWER, content_type="application/sdp")
        h.run()
        self.assertEqual(h.event_names(), ["CallProgress", "CallAnswered"])
        answered = h.listener.of(CallAnswered)[0]
        self.assertEqual((answered.media.codec.name, answered.media.remote_port), ("PCMA", 30000))
        ack = h.phone.requests("ACK")[0]
        self.assertEqual((str(ack.uri), ack.cseq.number, ack.to_tag), ("sip:ext@192.0.2.10:5060", 1, "ph1"))
        # a retransmitted 200 gets the same ACK again
        h.phone.answer(invite, 200, headers=CONTACT, body=ANSWER, content_type="application/sdp")
        h.run()
        acks = h.phone.requests("ACK")
        self.assertEqual(len(acks), 2)
        self.assertEqual(acks[0].to_bytes(), acks[1].to_bytes())
        self.assertEqual(h.event_names(), ["CallProgress", "CallAnswered"])
        call.bye()
        h.run()
        self.assertEqual(h.phone.requests("BYE")[0].cseq.number, 2)

    def _challenge_flow(self, status: int, header: str) -> tuple[UaHarness, list]:
        h = UaHarness()
        place(h, credentials=Credentials("trunk", "s3cret"), from_address="<sip:trunk@192.0.2.10>")
        first = h.phone.requests("INVITE")[0]
        h.phone.answer(first, status, to_tag="c1", headers=((header, CHALLENGE),))
        h.run()
        invites = h.phone.requests("INVITE")
        return h, invites

    def test_407_then_answered(self) -> None:
        h, invites = self._challenge_flow(407, "Proxy-Authenticate")
        self.assertEqual(len(invites), 2)
        first, second = invites
        ack = h.phone.requests("ACK")[0]
        self.assertEqual((ack.top_via.branch, ack.cseq.number), (first.top_via.branch, 1))
        self.assertEqual((second.cseq.number, second.call_id, second.from_tag),
                         (2, first.call_id, first.from_tag))
        self.assertNotEqual(second.top_via.branch, first.top_via.branch)
        value = second.header("Proxy-Authorization")
        self.assertIn('username="trunk"', value)
        self.assertNotIn("s3cret", value)
        cnonce = re.search(r'cnonce="([^"]+)"', value).group(1)
        expected, _ = digest_response(parse_challenge(CHALLENGE), Credentials("trunk", "s3cret"),
                                      "INVITE", "sip:5551234@192.0.2.10", cnonce=cnonce, nc=1)
        self.assertIn(f'response="{expected}"', value)
        h.phone.answer(second, 200, headers=CONTACT, body=ANSWER, content_type="application/sdp")
        h.run()
        self.assertEqual(h.event_names(), ["CallAnswered"])
        self.assertEqual(h.phone.requests("ACK")[-1].header("Proxy-Authorization"), value)

    def test_401_uses_authorization(self) -> None:
        h, invites = self._challenge_flow(401, "WWW-Authenticate")
        self.assertIsNotNone(invites[1].header("Authorization"))

    def test_wrong_password_403_no_loop(self) -> None:
        h, invites = self._challenge_flow(407, "Proxy-Authenticate")
        h.phone.answer(invites[1], 403, to_tag="c2")
        h.run(60)
        self.assertEqual(len(h.phone.requests("INVITE")), 2)
        failed = h.listener.of(CallFailed)[0]
        self.assertEqual((failed.status, h.listener.events[-1].reason), (403, TerminationReason.REJECTED))

    def test_rechallenge_not_stale_gives_up(self) -> None:
        h, invites = self._challenge_flow(407, "Proxy-Authenticate")
        h.phone.answer(invites[1], 407, to_tag="c2",
                       headers=(("Proxy-Authenticate", CHALLENGE.replace("abc123", "def456")),))
        h.run(60)
        self.assertEqual(len(h.phone.requests("INVITE")), 2)
        self.assertEqual(h.listener.of(CallFailed)[0].status, 407)

    def test_no_credentials_407_fails(self) -> None:
        h = UaHarness()
        place(h)
        h.phone.answer(h.phone.requests("INVITE")[0], 407, headers=(("Proxy-Authenticate", CHALLENGE),))
        h.run()
        self.assertEqual(h.listener.of(CallFailed)[0].status, 407)

    def test_cancel_after_ringing(self) -> None:
        h = UaHarness()
        call = place(h)
        invite = h.phone.requests("INVITE")[0]
        call.cancel()
        h.run(1)
        self.assertEqual(h.phone.requests("CANCEL"), [])  # not before a provisional (§9.1)
        h.phone.answer(invite, 180, headers=CONTACT)
        h.run()
        cancel = h.phone.requests("CANCEL")[0]
        self.assertEqual((cancel.top_via.branch, cancel.cseq.number, cancel.cseq.method),
                         (invite.top_via.branch, 1, "CANCEL"))
        h.phone.answer(cancel, 200)
        h.phone.answer(invite, 487)
        h.run()
        self.assertEqual(h.event_names(), ["CallFailed", "CallTerminated"])
        self.assertEqual((h.listener.events[-1].reason, h.listener.events[-1].status),
                         (TerminationReason.CANCELLED, 487))
        self.assertEqual(h.phone.requests("ACK")[0].top_via.branch, invite.top_via.branch)

    def test_2xx_racing_cancel_is_acked_then_byed(self) -> None:
        h = UaHarness()
        call = place(h)
        invite = h.phone.requests("INVITE")[0]
        h.phone.answer(invite, 180, headers=CONTACT)
        h.run()
        call.cancel()
        h.phone.answer(invite, 200, headers=CONTACT, body=ANSWER, content_type="application/sdp")
        h.run()
        self.assertEqual([r.method for r in h.phone.requests()][-3:], ["CANCEL", "ACK", "BYE"])
        self.assertEqual(h.listener.events[-1].reason, TerminationReason.LOCAL_BYE)

    def test_timeout_408(self) -> None:
        h = UaHarness()
        h.ua.invite("sip:5551234@192.0.2.99", LOCAL)
        h.run(31.9)
        self.assertEqual(h.listener.events, [])
        h.run(0.1)
        failed = h.listener.of(CallFailed)[0]
        self.assertEqual((failed.status, failed.response), (408, None))
        self.assertEqual(h.listener.events[-1].reason, TerminationReason.TIMEOUT)

    def test_no_answer_cancelled_after_invite_timeout(self) -> None:
        from voicedock.sip.ua import UserAgentConfig

        h = UaHarness(UserAgentConfig(public_address="203.0.113.5", invite_timeout=20))
        place(h)
        invite = h.phone.requests("INVITE")[0]
        h.phone.answer(invite, 180, headers=CONTACT)
        h.run(20)
        cancel = h.phone.requests("CANCEL")[0]
        h.phone.answer(cancel, 200)
        h.phone.answer(invite, 487)
        h.run()
        self.assertEqual(h.listener.events[-1].reason, TerminationReason.TIMEOUT)

    def test_forked_second_2xx_acked_and_byed(self) -> None:
        h = UaHarness()
        place(h)
        invite = h.phone.requests("INVITE")[0]
        h.phone.answer(invite, 200, to_tag="a", headers=CONTACT, body=ANSWER, content_type="application/sdp")
        h.phone.answer(invite, 200, to_tag="b", headers=CONTACT, body=ANSWER, content_type="application/sdp")
        h.run()
        self.assertEqual([(r.method, r.to_tag) for r in h.phone.requests()[1:]],
                         [("ACK", "a"), ("ACK", "b"), ("BYE", "b")])
        self.assertEqual(h.event_names(), ["CallAnswered"])

    def test_early_media(self) -> None:
        h = UaHarness()
        place(h)
        invite = h.phone.requests("INVITE")[0]
        h.phone.answer(invite, 183, headers=CONTACT, body=ANSWER, content_type="application/sdp")
        h.phone.answer(invite, 200, headers=CONTACT)
        h.run()
        progress = h.listener.of(CallProgress)[0]
        self.assertEqual(progress.media.codec.name, "PCMA")
        self.assertEqual(h.listener.of(CallAnswered)[0].media, progress.media)

    def test_200_without_answer_fails(self) -> None:
        h = UaHarness()
        place(h)
        h.phone.answer(h.phone.requests("INVITE")[0], 200, headers=CONTACT)
        h.run()
        self.assertEqual([r.method for r in h.phone.requests()][1:], ["ACK", "BYE"])
        self.assertEqual(h.listener.events[-1].reason, TerminationReason.MEDIA_FAILURE)

    def test_422_retried_with_min_se(self) -> None:
        h = UaHarness()
        place(h)
        h.phone.answer(h.phone.requests("INVITE")[0], 422, headers=(("Min-SE", "3600"),))
        h.run()
        second = h.phone.requests("INVITE")[1]
        self.assertEqual((second.header("Session-Expires"), second.header("Min-SE"), second.cseq.number),
                         ("3600", "3600", 2))

"""SDP offer/answer (RFC 3264): answers, 488 cases, answers to our offers, hold and resume."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from tests.sip.helpers import SDP_OFFER
from voicedock.sip.offer_answer import (
    PCMA,
    PCMU,
    LocalMedia,
    OfferAnswerError,
    SdpOrigin,
    accept_answer,
    answer_direction,
    create_answer,
    create_offer,
    parse_body,
)
from voicedock.sip.sdp import parse_sdp

LOCAL = LocalMedia(address="203.0.113.5", port=40000)


def offer(formats: str = "0 8 101", extra: str = "", direction: str = "sendrecv",
          address: str = "192.0.2.10", rtpmaps: str | None = None) -> bytes:
    rtpmaps = rtpmaps if rtpmaps is not None else (
        "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
    )
    return (
        "v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\n"
        f"c=IN IP4 {address}\r\nt=0 0\r\n"
        f"m=audio 49170 RTP/AVP {formats}\r\n{rtpmaps}a=ptime:30\r\na={direction}\r\n{extra}"
    ).encode()


class AnswerTests(SynchronousTestCase):
    def test_answer_to_softphone_offer(self) -> None:
        answer, session = create_answer(parse_sdp(SDP_OFFER), LOCAL, SdpOrigin(7))
        self.assertEqual(
            answer.to_bytes(),
            b"v=0\r\no=voicedock 7 7 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\n"
            b"t=0 0\r\nm=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
            b"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\n"
            b"a=sendrecv\r\n",
        )
        self.assertEqual(
            (session.remote_address, session.remote_port, session.codec, session.telephone_event,
             session.ptime, session.local_direction, session.remote_hold),
            ("192.0.2.10", 49170, PCMU, 101, 20, "sendrecv", False),
        )

    def test_offerer_preference_and_payload_type(self) -> None:
        _, session = create_answer(parse_sdp(offer("8 0 101")), LOCAL, SdpOrigin(1))
        self.assertEqual(session.codec, PCMA)
        rtpmaps = "a=rtpmap:96 pcma/8000\r\n"
        answer, session = create_answer(parse_sdp(offer("96", rtpmaps=rtpmaps)), LOCAL, SdpOrigin(1))
        self.assertEqual((session.codec.name, session.codec.payload_type), ("PCMA", 96))
        self.assertEqual(answer.media[0].formats, ("96",))

    def test_static_payload_without_rtpmap(self) -> None:
        _, session = create_answer(parse_sdp(offer("8", rtpmaps="")), LOCAL, SdpOrigin(1))
        self.assertEqual((session.codec, session.telephone_event), (PCMA, None))

    def test_no_telephone_event_when_disabled(self) -> None:
        local = LocalMedia("203.0.113.5", 40000, telephone_event=None)
        answer, session = create_answer(parse_sdp(offer()), local, SdpOrigin(1))
        self.assertEqual((answer.media[0].formats, session.telephone_event), (("0",), None))

    def test_no_common_codec_is_488_with_warning(self) -> None:
        error = self.assertRaises(OfferAnswerError, create_answer,
                                  parse_sdp(offer("18", rtpmaps="a=rtpmap:18 G729/8000\r\n")),
                                  LOCAL, SdpOrigin(1))
        self.assertEqual((error.status, error.warning("203.0.113.5")),
                         (488, '305 203.0.113.5 "Incompatible media format"'))

    def test_no_audio_is_304(self) -> None:
        sdp = b"v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=video 5000 RTP/AVP 31\r\n"
        error = self.assertRaises(OfferAnswerError, create_answer, parse_sdp(sdp), LOCAL, SdpOrigin(1))
        self.assertEqual(error.warn_code, 304)

    def test_srtp_refused(self) -> None:
        sdp = offer().replace(b"RTP/AVP", b"RTP/SAVP")
        self.assertRaises(OfferAnswerError, create_answer, parse_sdp(sdp), LOCAL, SdpOrigin(1))

    def test_other_streams_refused_in_order(self) -> None:
        sdp = offer(extra="m=video 5002 RTP/AVP 31\r\nm=audio 5004 RTP/AVP 0\r\n")
        answer, session = create_answer(parse_sdp(sdp), LOCAL, SdpOrigin(1))
        self.assertEqual([(m.media, m.port) for m in answer.media],
                         [("audio", 40000), ("video", 0), ("audio", 0)])
        self.assertEqual(session.remote_port, 49170)

    def test_hold_and_resume_offers(self) -> None:
        for offered, answered, hold in (("sendonly", "recvonly", True), ("inactive", "inactive", True),
                                        ("recvonly", "sendonly", False), ("sendrecv", "sendrecv", False)):
            answer, session = create_answer(parse_sdp(offer(direction=offered)), LOCAL, SdpOrigin(1))
            self.assertEqual((answer.direction_of(answer.media[0]), session.remote_hold),
                             (answered, hold), offered)
        _, session = create_answer(parse_sdp(offer(address="0.0.0.0")), LOCAL, SdpOrigin(1))
        self.assertTrue(session.remote_hold)
        self.assertFalse(session.sending)

    def test_direction_table(self) -> None:
        self.assertEqual(answer_direction("sendrecv", "sendonly"), "sendonly")
        self.assertEqual(answer_direction("sendonly", "sendonly"), "inactive")

    def test_ipv6(self) -> None:
        local = LocalMedia("2001:db8::5", 40000)
        sdp = offer().replace(b"c=IN IP4 192.0.2.10", b"c=IN IP6 2001:db8::10")
        answer, session = create_answer(parse_sdp(sdp), local, SdpOrigin(1))
        self.assertIn(b"c=IN IP6 2001:db8::5\r\n", answer.to_bytes())
        self.assertEqual(session.remote_address, "2001:db8::10")

    @given(st.lists(st.sampled_from(["0", "8", "18", "96", "101", "127", "x"]), min_size=1, max_size=6),
           st.sampled_from(["sendrecv", "sendonly", "recvonly", "inactive"]))
    def test_answers_or_488(self, formats: list[str], direction: str) -> None:
        rtpmaps = "a=rtpmap:96 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\n"
        try:
            description = parse_sdp(offer(" ".join(formats), rtpmaps=rtpmaps, direction=direction))
        except Exception:
            return
        try:
            answer, session = create_answer(description, LOCAL, SdpOrigin(1))
        except OfferAnswerError as error:
            self.assertFalse({"0", "8"} & set(formats))
            self.assertEqual(error.status, 488)
            return
        self.assertIn(session.codec.payload_type, (0, 8))
        self.assertEqual(parse_sdp(answer.to_bytes()), answer)


class OfferTests(SynchronousTestCase):
    def test_offer_and_version(self) -> None:
        origin = SdpOrigin(42)
        first = create_offer(LOCAL, origin)
        self.assertEqual(
            first.to_bytes(),
            b"v=0\r\no=voicedock 42 42 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\n"
            b"t=0 0\r\nm=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n"
            b"a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
            b"a=ptime:20\r\na=sendrecv\r\n",
        )
        # unchanged (a session refresh): same version; hold: version + 1 and a=sendonly
        self.assertEqual(create_offer(LOCAL, origin).origin.session_version, 42)
        hold = create_offer(LocalMedia("203.0.113.5", 40000, direction="sendonly"), origin)
        self.assertEqual((hold.origin.session_version, hold.direction_of(hold.media[0])), (43, "sendonly"))
        resume = create_offer(LOCAL, origin)
        self.assertEqual(resume.origin.session_version, 44)

    def test_accept_answer(self) -> None:
        ours = create_offer(LOCAL, SdpOrigin(1))
        theirs = parse_sdp(offer("8 101"))
        session = accept_answer(ours, theirs, LOCAL)
        self.assertEqual((session.codec, session.telephone_event, session.remote_port), (PCMA, 101, 49170))

    def test_refused_answers(self) -> None:
        ours = create_offer(LOCAL, SdpOrigin(1))
        for bad in (offer("18", rtpmaps="a=rtpmap:18 G729/8000\r\n"),
                    offer().replace(b"m=audio 49170", b"m=audio 0"),
                    offer(extra="m=video 5000 RTP/AVP 31\r\n")):
            self.assertRaises(OfferAnswerError, accept_answer, ours, parse_sdp(bad), LOCAL)

    def test_parse_body(self) -> None:
        self.assertRaises(OfferAnswerError, parse_body, b"not sdp")
        self.assertEqual(parse_body(SDP_OFFER).media[0].port, 49170)

"""SDP syntax (RFC 8866): media lines, c= per session and media, rtpmap, fmtp, ptime, direction."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from tests.sip.corpus import wire_bytes
from tests.sip.helpers import SDP_OFFER
from voicedock.sip.errors import SipParseError
from voicedock.sip.parser import parse_datagram
from voicedock.sip.sdp import (
    Attribute,
    Connection,
    MediaDescription,
    Origin,
    RtpMap,
    SdpParseError,
    SessionDescription,
    Timing,
    parse_sdp,
)


class ParseTests(SynchronousTestCase):
    def test_offer(self) -> None:
        sdp = parse_sdp(SDP_OFFER)
        self.assertEqual(sdp.origin, Origin("alice", 2890844526, 2890844526, "192.0.2.10"))
        self.assertEqual(sdp.connection, Connection("192.0.2.10"))
        [audio] = sdp.media
        self.assertEqual(
            (audio.media, audio.port, audio.proto, audio.formats),
            ("audio", 49170, "RTP/AVP", ("0", "8", "101")),
        )
        self.assertEqual(
            audio.rtpmaps,
            {
                0: RtpMap(0, "PCMU", 8000),
                8: RtpMap(8, "PCMA", 8000),
                101: RtpMap(101, "telephone-event", 8000),
            },
        )
        self.assertEqual(audio.fmtp(101), "0-16")
        self.assertIsNone(audio.fmtp(0))
        self.assertEqual(audio.ptime, 20.0)
        self.assertEqual(sdp.direction_of(audio), "sendrecv")
        self.assertEqual(sdp.connection_for(audio), Connection("192.0.2.10"))
        self.assertEqual(sdp.to_bytes(), SDP_OFFER)

    def test_directions(self) -> None:
        sdp = parse_sdp(
            "v=0\r\no=- 1 2 IN IP4 h\r\ns=-\r\nt=0 0\r\na=recvonly\r\n"
            "m=audio 1 RTP/AVP 0\r\nm=audio 2 RTP/AVP 0\r\na=inactive\r\n"
        )
        self.assertEqual([sdp.direction_of(m) for m in sdp.media], ["recvonly", "inactive"])

    def test_media_level_connection_rfc5118_4_8(self) -> None:
        message = parse_datagram(wire_bytes("rfc5118", "mult-ip-in-sdp", True))
        sdp = parse_sdp(message.body)
        self.assertIsNone(sdp.connection)
        self.assertEqual(
            [sdp.connection_for(m) for m in sdp.media],
            [Connection("192.0.2.1"), Connection("2001:db8::1", addr_type="IP6")],
        )
        self.assertEqual(sdp.session_name, "")

    def test_ipv6_rfc5118_4_6(self) -> None:
        sdp = parse_sdp(parse_datagram(wire_bytes("rfc5118", "ipv6-in-sdp", True)).body)
        self.assertEqual(sdp.connection, Connection("2001:db8::20", addr_type="IP6"))
        self.assertEqual(sdp.media[1].rtpmaps[107], RtpMap(107, "H263-1998", 90000))

    def test_rfc4475_bodies(self) -> None:
        sdp = parse_sdp(parse_datagram(wire_bytes("rfc4475", "wsinv.dat")).body)
        self.assertEqual([m.media for m in sdp.media], ["audio", "video"])
        self.assertEqual(sdp.media[1].rtpmaps[31], RtpMap(31, "LPC", None))

    def test_multicast_and_extras(self) -> None:
        text = (
            "v=0\no=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\ns=Call to John Smith\n"
            "i=SDP Offer #1\nu=http://www.jdoe.example.com/home.html\n"
            "e=Jane Doe <jane@jdoe.example.com>\n"
            "p=+1 617 555-6011\nc=IN IP4 233.252.0.1/127/3\nb=AS:64\nt=0 0\nr=7d 1h 0 25h\n"
            "z=2882844526 -1h\nk=prompt\na=recvonly\nm=audio 49170/2 RTP/AVP 0\ni=voice\n"
            "c=IN IP6 ff15::101/3\nb=TIAS:64000\na=rtpmap:0 PCMU/8000/1\n"
        )
        sdp = parse_sdp(text)
        self.assertEqual(sdp.connection, Connection("233.252.0.1", ttl=127, count=3))
        self.assertEqual(sdp.timings, (Timing(0, 0, ("7d 1h 0 25h",)),))
        self.assertEqual(sdp.bandwidths, (("AS", "64"),))
        media = sdp.media[0]
        self.assertEqual((media.port, media.port_count, media.title), (49170, 2, "voice"))
        self.assertEqual(media.connections, (Connection("ff15::101", addr_type="IP6", count=3),))
        self.assertEqual(media.rtpmaps[0].channels, 1)
        self.assertEqual(parse_sdp(str(sdp)), sdp)
        self.assertEqual(str(sdp), text.replace("\n", "\r\n"))

    def test_errors(self) -> None:
        good = SDP_OFFER.decode()
        for bad in (
            "",
            "v=1\r\n" + good[5:],
            good.replace("o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\n", ""),
            good.replace("t=0 0\r\n", ""),
            good.replace("m=audio 49170", "m=audio 99999"),
            good.replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:x PCMU/8000"),
            good.replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:200 PCMU/8000"),
            good.replace("c=IN IP4 192.0.2.10", "c=IN IP4"),
            good + "q=unknown\r\n",
            good.replace("s=-\r\n", "s=-\r\ns=again\r\n"),
            good.replace("a=ptime:20", "a=ptime:soon"),
            good + "garbage\r\n",
        ):
            try:
                parsed = parse_sdp(bad)
                parsed.media[0].ptime
            except SdpParseError:
                continue
            self.fail(f"accepted: {bad!r}")
        self.assertTrue(issubclass(SdpParseError, SipParseError))

    def test_build(self) -> None:
        sdp = SessionDescription(
            origin=Origin("voicedock", 1, 1, "192.0.2.99"),
            connection=Connection("192.0.2.99"),
            media=(
                MediaDescription(
                    "audio",
                    40000,
                    "RTP/AVP",
                    ("0", "101"),
                    attributes=(
                        Attribute("rtpmap", str(RtpMap(0, "PCMU", 8000))),
                        Attribute("rtpmap", str(RtpMap(101, "telephone-event", 8000))),
                        Attribute("fmtp", "101 0-15"),
                        Attribute("ptime", "20"),
                        Attribute("sendrecv"),
                    ),
                ),
            ),
        )
        self.assertEqual(
            sdp.to_bytes(),
            b"v=0\r\no=voicedock 1 1 IN IP4 192.0.2.99\r\ns=-\r\nc=IN IP4 192.0.2.99\r\nt=0 0\r\n"
            b"m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
            b"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n",
        )
        self.assertEqual(parse_sdp(sdp.to_bytes()), sdp)

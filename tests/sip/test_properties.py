"""
Property tests (hypothesis): what we write reads back the same, and nothing a
peer sends raises anything but the parser's own error.
"""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from tests.sip.corpus import corpus_files, raw_bytes, wire_bytes
from tests.sip.helpers import OK_200, SDP_OFFER, RecordingReceiver, invite
from voicedock.sip.address import Address, parse_address
from voicedock.sip.errors import SipParseError
from voicedock.sip.headers import CSeq
from voicedock.sip.message import make_request, make_response
from voicedock.sip.params import Parameters
from voicedock.sip.parser import StreamParser, parse_datagram
from voicedock.sip.routing import Destination, HostPort
from voicedock.sip.sdp import parse_sdp
from voicedock.sip.uri import AbsoluteUri, SipUri, TelUri, parse_uri
from voicedock.sip.via import MAGIC_COOKIE, Via, parse_via
from voicedock.testing.sip_loop import LoopNetwork

TOKEN_ALPHABET = string.ascii_letters + string.digits + "-.!%*_+`'~"
tokens = st.text(TOKEN_ALPHABET, min_size=1, max_size=12)
# Any text a header may carry: no CR/LF, no lone surrogates except what
# surrogateescape makes of undecodable octets.
texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=20
)
labels = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=8)
hostnames = st.lists(labels, min_size=1, max_size=3).map(".".join)
ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
ipv6 = st.ip_addresses(v=6).map(str)
hosts = st.one_of(hostnames, ipv4, ipv6)
ports = st.none() | st.integers(1, 65535)
uri_params = st.lists(st.tuples(tokens, st.none() | texts.filter(bool)), max_size=3).map(
    lambda items: Parameters(tuple(items))
)
userinfos = st.none() | st.tuples(texts.filter(bool), st.none() | texts)


@st.composite
def sip_uris(draw, with_headers: bool = True):  # type: ignore[no-untyped-def]
    userinfo = draw(userinfos)
    return SipUri(
        host=draw(hosts),
        user=userinfo[0] if userinfo else None,
        password=userinfo[1] if userinfo else None,
        port=draw(ports),
        params=draw(uri_params),
        headers=(
            tuple(draw(st.lists(st.tuples(texts.filter(bool), texts), max_size=2)))
            if with_headers
            else ()
        ),
        scheme=draw(st.sampled_from(["sip", "sips"])),
    )


tel_uris = st.builds(
    TelUri, number=st.from_regex(r"\+?[0-9][0-9\-.]{0,10}", fullmatch=True), params=uri_params
)
absolute_uris = st.builds(
    AbsoluteUri,
    scheme=st.sampled_from(["http", "urn", "isbn"]),
    opaque=st.from_regex(r"[a-z0-9/:.@]{1,15}", fullmatch=True),
)
uris = st.one_of(sip_uris(), tel_uris, absolute_uris)
gen_values = (
    st.none()
    | tokens
    | texts.map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"')
)
header_params = st.lists(st.tuples(tokens, gen_values), max_size=3).map(
    lambda i: Parameters(tuple(i))
)
addresses = st.builds(Address, uri=uris, display_name=st.none() | texts, params=header_params)
# Via parameters with a grammar of their own (branch, received, rport...) are not extensions.
extension_names = tokens.filter(
    lambda t: t.lower() not in ("branch", "received", "rport", "ttl", "maddr")
)
vias = st.builds(
    Via,
    transport=st.sampled_from(["UDP", "TCP", "TLS", "SCTP"]),
    host=hosts,
    port=ports,
    params=st.tuples(
        tokens, st.lists(st.tuples(extension_names, st.none() | tokens), max_size=2)
    ).map(lambda t: Parameters((("branch", MAGIC_COOKIE + t[0]), *t[1]))),
)
methods = st.sampled_from(["INVITE", "ACK", "BYE", "OPTIONS", "CANCEL"]) | tokens
unknown_headers = st.lists(
    st.tuples(tokens.map(lambda t: "X-" + t), texts.map(lambda t: t.strip(" \t"))), max_size=4
)


class RoundTripTests(SynchronousTestCase):
    @given(uris)
    def test_uri(self, uri) -> None:  # type: ignore[no-untyped-def]
        self.assertEqual(parse_uri(str(uri)), uri)

    @given(addresses)
    def test_address(self, address) -> None:  # type: ignore[no-untyped-def]
        self.assertEqual(parse_address(str(address)), address)

    @given(vias)
    def test_via(self, via) -> None:  # type: ignore[no-untyped-def]
        self.assertEqual(parse_via(str(via)), via)

    @given(
        methods,
        sip_uris(with_headers=False),
        vias,
        addresses,
        addresses,
        tokens,
        st.integers(0, 2**32 - 1),
        unknown_headers,
        st.binary(max_size=200),
        st.integers(100, 699),
        texts,
    )
    def test_message(
        self, method, uri, via, from_, to, call_id, number, extra, body, status, reason
    ) -> None:  # type: ignore[no-untyped-def]
        request = make_request(
            method,
            uri,
            [
                ("Via", via),
                ("From", from_),
                ("To", to),
                ("Call-ID", call_id),
                ("CSeq", CSeq(number, method)),
                ("Max-Forwards", 70),
                *extra,
            ],
            body=body,
            content_type="application/octet-stream" if body else None,
        )
        parsed = parse_datagram(request.to_bytes())
        self.assertEqual(parsed, request)
        self.assertEqual(
            (parsed.top_via, parsed.from_address, parsed.to_address, parsed.cseq),
            (via, from_, to, CSeq(number, method)),
        )
        self.assertEqual(parsed.body, body)
        for name, value in extra:
            self.assertIn(value, parsed.header_values(name))
        response = make_response(parsed, status, reason.strip(" \t") or None, to_tag="t", body=body)
        self.assertEqual(parse_datagram(response.to_bytes()), response)
        [streamed] = StreamParser().feed(response.to_bytes())
        self.assertEqual(streamed, response)


SEEDS = (
    [raw_bytes("rfc4475", name) for name in corpus_files("rfc4475")]
    + [wire_bytes("rfc5118", name, True) for name in corpus_files("rfc5118")]
    + [invite(), OK_200]
)

mutation = st.tuples(
    st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]),
    st.integers(0, 4000),
    st.sampled_from([0, 9, 10, 13, 32, 34, 37, 44, 58, 59, 60, 62, 64, 92, 0x7F, 0xC3, 0xFF])
    | st.integers(0, 255),
)


def mutate(data: bytes, mutations: list[tuple[str, int, int]]) -> bytes:
    buffer = bytearray(data)
    for kind, position, byte in mutations:
        if not buffer:
            break
        i = position % len(buffer)
        if kind == "flip":
            buffer[i] = byte
        elif kind == "insert":
            buffer.insert(i, byte)
        elif kind == "delete":
            del buffer[i]
        elif kind == "truncate":
            del buffer[i:]
        else:
            buffer[i:i] = buffer[i : i + byte % 64]
    return bytes(buffer)


class RobustnessTests(SynchronousTestCase):
    def check(self, data: bytes) -> None:
        """Only SipParseError may escape; whatever parses writes back to an equal message."""
        try:
            message = parse_datagram(data)
        except SipParseError as error:
            self.assertIsInstance(error.reason, str)
            error.reason.encode("utf-8")  # usable as a reason phrase
            self.assertNotIn("\r", error.reason)
            return
        self.assertEqual(parse_datagram(message.to_bytes()), message)

    @given(st.binary(max_size=600))
    def test_arbitrary_bytes(self, data: bytes) -> None:
        self.check(data)
        self.check(b"INVITE sip:a@b SIP/2.0\r\n" + data)

    @given(st.sampled_from(SEEDS), st.lists(mutation, min_size=1, max_size=4))
    def test_mutated_messages(self, seed: bytes, mutations) -> None:  # type: ignore[no-untyped-def]
        self.check(mutate(seed, mutations))

    @given(
        st.sampled_from(SEEDS),
        st.lists(mutation, max_size=3),
        st.lists(st.integers(1, 200), min_size=1, max_size=8),
    )
    def test_stream_chunks(self, seed, mutations, cuts) -> None:  # type: ignore
        data = mutate(seed, mutations) * 2
        parser = StreamParser()
        items = []
        position = 0
        for cut in cuts:
            items.extend(parser.feed(data[position : position + cut]))
            position += cut
        items.extend(parser.feed(data[position:]))
        for item in items:
            if not isinstance(item, SipParseError):
                [again] = StreamParser().feed(item.to_bytes())
                self.assertEqual(again, item)

    @given(
        st.binary(max_size=300)
        | st.sampled_from([SDP_OFFER]).flatmap(
            lambda s: st.lists(mutation, max_size=3).map(lambda m: mutate(s, m))
        )
    )
    def test_sdp_only_raises_its_error(self, data: bytes) -> None:
        try:
            description = parse_sdp(data)
        except SipParseError:
            return
        self.assertEqual(parse_sdp(description.to_bytes()), description)


class ArrivalPipelineTests(SynchronousTestCase):
    """Whatever arrives, the transport side (stamping, 400s, routing) never raises."""

    @given(st.sampled_from(SEEDS), st.lists(mutation, max_size=4), st.sampled_from(["UDP", "TCP"]))
    def test_mutated_arrivals(self, seed, mutations, transport) -> None:  # type: ignore
        clock = Clock()
        network = LoopNetwork(clock)
        sender_rx, receiver_rx = RecordingReceiver(), RecordingReceiver()
        sender = network.endpoint(HostPort("192.0.2.1", 5060), sender_rx)
        target = network.endpoint(HostPort("2001:db8::2", 5062), receiver_rx)
        data = mutate(seed, mutations)
        sender.send(data, Destination(transport, target.address))
        clock.pump([0.01] * 3)
        stats = target.stats
        self.assertEqual(
            stats.messages_received + stats.parse_errors + stats.rate_limited,
            1 if data.lstrip(b"\r\n") else 0,  # CRLF keep-alives are ignored
            stats,
        )
        for _, request, _ in receiver_rx.calls:
            # RFC 3261 §18.2.1: a sent-by naming anything but the source gets received=.
            if hasattr(request, "method") and request.top_via.host != "192.0.2.1":
                self.assertEqual(request.top_via.received, "192.0.2.1")

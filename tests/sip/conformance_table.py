"""
The expected outcome of every RFC 4475 and RFC 5118 torture message: ONE committed
outcome per file, as data. `test_conformance` checks the parser-level columns; the
`response`/`answered_by` columns are the contract for the layers above (the UA-core
test of the next issue drives them with `answered_by == UA`).

Columns:
- outcome: ACCEPT (parses; `fields` are checked), REJECT (request refused by the parser;
  the transport answers `response` statelessly, or drops it when `response` is None),
  DISCARD (a response that fails to parse: silently dropped, RFC 4475 §3.1.2.5/§3.1.2.19).
- error: for REJECT/DISCARD, the SipParseError subclass expected.
- response: the final status VoiceDock, acting as a UAS (not a proxy, not a registrar),
  sends back; None when nothing is sent or when the answer depends on ordinary routing.
- answered_by: TRANSPORT (stateless answer from the transport layer, decided here) or
  UA (transaction layer / UA core, completed by the next issue).
- fields: for ACCEPT, Python expressions over the parsed message `m` and their values.

Where the INDEX allows alternatives the choice and its reason are in `why`.
"""

from __future__ import annotations

import attrs

from voicedock.sip.errors import FramingError, SipParseError

ACCEPT = "accept"
REJECT = "reject"
DISCARD = "discard"
TRANSPORT = "transport"
UA = "ua"


@attrs.frozen
class Case:
    corpus: str
    file: str
    outcome: str
    response: int | None = None
    answered_by: str | None = None
    error: type[SipParseError] = SipParseError
    fields: dict[str, object] = attrs.field(factory=dict)
    why: str = ""
    # RFC 5118 only: the archive's Content-Length does not fit the CRLF wire form (INDEX).
    recompute_content_length: bool = False


NOT_A_REGISTRAR = "VoiceDock is not a registrar: a well-formed REGISTER is answered 405 with Allow"
NO_DIALOG = "BYE outside any dialog: 481 (RFC 3261 §15.1.2)"

RFC4475 = [
    Case(
        "rfc4475",
        "wsinv.dat",
        ACCEPT,
        fields={
            "m.method": "INVITE",
            "m.max_forwards": 68,
            "(m.cseq.number, m.cseq.method)": (9, "INVITE"),
            "m.from_address.display_name": 'J Rosenberg \\"',
            "m.from_tag": "98asjd8",
            "m.to_tag": "1918181833n",
            "m.contacts[0].display_name": 'Quoted string ""',
            "m.contacts[0].params.get('newparam')": "newvalue",
            "m.contacts[0].params.get('secondparam')": "",
            "m.contacts[0].params.get('q')": "0.33",
            "[(v.transport, v.host, v.branch) for v in m.vias]": [
                ("UDP", "192.0.2.2", "390skdjuw"),
                ("TCP", "spindle.example.com", "z9hG4bK9ikj8"),
                ("UDP", "192.168.255.111", "z9hG4bK30239"),
            ],
            "m.header('UnknownHeaderWithUnusualValue')": ";;,,;;,;",
            "m.header('NewFangledHeader')": "newfangled value continued newfangled value",
            "m.header('Subject')": "",
            "m.routes[0].uri.params.items": (
                ("lr", None),
                ("unknownwith", "value"),
                ("unknown-no-value", None),
            ),
            "m.uri.params.items": (("unknownparam", None),),
            "m.content_type.essence": "application/sdp",
            "len(m.body)": 150,
        },
        why="INVITE processed normally; its answer depends on routing",
    ),
    Case(
        "rfc4475",
        "intmeth.dat",
        ACCEPT,
        501,
        UA,
        fields={
            "m.method": "!interesting-Method0123456789_*+`.%indeed'~",
            "m.cseq.method": "!interesting-Method0123456789_*+`.%indeed'~",
            "m.top_via.branch": "z9hG4bK-.!%66*_+`'~",
            "m.uri.user": "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*",
            "m.uri.password": "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)",
            "m.to_address.display_name": "BEL:\x07 NUL:\x00 DEL:\x7f",
            "m.to_address.uri.user": "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*",
            "m.from_address.display_name": "token1~` token2'+_ token3*%!.-",
            "m.from_address.params.get(\"fromParam''~+*_!.-%\")": '"работающий"',
            "m.from_tag": "_token~1'+`*%!-.",
            "m.call_id": "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{",
            'm.header("extensionHeader-!.%*+_`\'~")': "\ufeff\u5927\u505c\u96fb",
        },
        why="unknown method: a UAS answers 501 with Allow (RFC 3261 §8.2.1)",
    ),
    Case(
        "rfc4475",
        "esc01.dat",
        ACCEPT,
        fields={
            "m.uri.user": "sips:user@example.com",
            "m.uri.host": "example.net",
            "m.to_address.uri.user": "user",
            "m.from_address.uri.user": "I have spaces",
            "m.contacts[0].uri.user": "caller",
            "m.contacts[0].uri.params.items": (("lr", None), ("name", "value%41")),
        },
        why="INVITE processed normally",
    ),
    Case(
        "rfc4475",
        "escnull.dat",
        ACCEPT,
        405,
        UA,
        fields={
            "m.to_address.uri.user": "null-\x00-null",
            "[c.uri.user for c in m.contacts]": ["\x00", "\x00\x00"],
            "m.contacts[0] != m.contacts[1]": True,
        },
        why=NOT_A_REGISTRAR,
    ),
    Case(
        "rfc4475",
        "esc02.dat",
        ACCEPT,
        501,
        UA,
        fields={
            "m.method": "RE%47IST%45R",
            "len(m.contacts)": 2,
            "m.header('C%6Fntact')": "<sip:alias2@host2.example.com>",
            "m.to_address.display_name": "%Z%45",
            "m.top_via.branch": "z9hG4bK209%fzsnel234",
        },
        why="RE%47IST%45R is an unknown method, not REGISTER: 501",
    ),
    Case(
        "rfc4475",
        "lwsdisp.dat",
        ACCEPT,
        200,
        UA,
        fields={
            "m.from_address.display_name": "caller",
            "str(m.from_address.uri)": "sip:caller@example.com",
        },
        why="OPTIONS to the UA: 200",
    ),
    Case(
        "rfc4475",
        "longreq.dat",
        ACCEPT,
        fields={
            "len(m.vias)": 34,
            "len(m.to_address.display_name)": 103,
            "m.top_via.host": "sip33.example.com",
            "m.vias[-1].received": "192.0.2.5",
            "len(m.vias[-1].branch)": 215,
            "len(m.call_id)": 141,
            "len(m.contacts[0].uri.user)": 115,
            "len(m.body)": 150,
        },
        why="INVITE processed normally",
    ),
    Case(
        "rfc4475",
        "dblreq.dat",
        ACCEPT,
        405,
        UA,
        fields={
            "m.method": "REGISTER",
            "m.content_length": 0,
            "m.body": b"",
            "len(m.to_bytes())": 300,
        },
        why="the 450 trailing octets are ignored (RFC 3261 §18.3); " + NOT_A_REGISTRAR,
    ),
    Case(
        "rfc4475",
        "semiuri.dat",
        ACCEPT,
        200,
        UA,
        fields={
            "m.uri.user": "user;par=u@example.net",
            "m.uri.host": "example.com",
            "m.uri.params.items": (),
            "[a.essence for a in m.accept]": [
                "application/sdp",
                "application/pkcs7-mime",
                "multipart/mixed",
                "multipart/signed",
                "message/sip",
                "message/sipfrag",
            ],
        },
        why="OPTIONS: 200",
    ),
    Case(
        "rfc4475",
        "transports.dat",
        ACCEPT,
        200,
        UA,
        fields={
            "[v.transport for v in m.vias]": ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"],
        },
        why="OPTIONS: 200",
    ),
    Case(
        "rfc4475",
        "mpart01.dat",
        ACCEPT,
        405,
        UA,
        fields={
            "m.method": "MESSAGE",
            "len(m.body)": 553,
            "m.content_type.essence": "multipart/mixed",
            "m.content_type.params.get('boundary')": "7a9cbec02ceef655",
            "m.body.count(b'\\x00')": 2,
        },
        why="VoiceDock does not take MESSAGE: 405 with Allow (method known, not supported)",
    ),
    Case(
        "rfc4475",
        "unreason.dat",
        ACCEPT,
        fields={
            "m.status": 200,
            "m.reason": "= 2**3 * 5**2 но сто девяносто девять - простое",
            "len(m.body)": 154,
        },
        why="a response: never answered; dropped by the transaction layer if unmatched",
    ),
    Case("rfc4475", "noreason.dat", ACCEPT, fields={"m.status": 100, "m.reason": ""}),
    Case(
        "rfc4475",
        "badinv01.dat",
        REJECT,
        400,
        TRANSPORT,
        why="empty Via and Contact parameters; the top Via is unusable, so the 400 goes "
        "back to the packet's source address and port",
    ),
    Case(
        "rfc4475",
        "clerr.dat",
        REJECT,
        400,
        TRANSPORT,
        why="UDP: Content-Length beyond the datagram; on TCP the stream parser waits and "
        "the idle timeout closes the connection (test_tcp)",
    ),
    Case("rfc4475", "ncl.dat", REJECT, 400, TRANSPORT, error=FramingError),
    Case(
        "rfc4475",
        "scalar02.dat",
        REJECT,
        400,
        TRANSPORT,
        why="CSeq exceeds 2**32-1 (the 400 echoes the CSeq text as received)",
    ),
    Case("rfc4475", "scalarlg.dat", DISCARD),
    Case(
        "rfc4475",
        "quotbal.dat",
        REJECT,
        400,
        TRANSPORT,
        why="chosen over inferring the closing quote: guessing could misread the To",
    ),
    Case("rfc4475", "ltgtruri.dat", REJECT, 400, TRANSPORT),
    Case("rfc4475", "lwsruri.dat", REJECT, 400, TRANSPORT),
    Case(
        "rfc4475",
        "lwsstart.dat",
        REJECT,
        400,
        TRANSPORT,
        why="strict request line (RFC 3261 §7.1: single SPs); a UA gains nothing by leniency",
    ),
    Case("rfc4475", "trws.dat", REJECT, 400, TRANSPORT, why="strict request line, as lwsstart"),
    Case(
        "rfc4475",
        "escruri.dat",
        REJECT,
        400,
        TRANSPORT,
        why="rejected rather than ignoring the URI headers: headers are not allowed in a "
        "Request-URI (RFC 3261 §19.1.1) and silently dropping them would hide the fault",
    ),
    Case(
        "rfc4475",
        "baddate.dat",
        ACCEPT,
        fields={
            "m.header('Date')": "Fri, 01 Jan 2010 16:00:00 EST",
        },
        why="the Date does not matter to VoiceDock: kept as opaque text, INVITE processed",
    ),
    Case("rfc4475", "regbadct.dat", REJECT, 400, TRANSPORT),
    Case(
        "rfc4475",
        "badaspec.dat",
        REJECT,
        400,
        TRANSPORT,
        why="strict, as lwsruri: whitespace inside <...> is refused",
    ),
    Case(
        "rfc4475",
        "baddn.dat",
        REJECT,
        400,
        TRANSPORT,
        why="as archived the header section has no empty line (INDEX), which is the fault "
        "seen first; test_conformance also checks the display-name fault with CRLF added",
    ),
    Case(
        "rfc4475",
        "badvers.dat",
        ACCEPT,
        505,
        UA,
        fields={"m.version": "SIP/7.0"},
        why="the parser exposes the version; the UA core answers 505",
    ),
    Case(
        "rfc4475",
        "mismatch01.dat",
        ACCEPT,
        400,
        UA,
        fields={
            "(m.method, m.cseq.method)": ("OPTIONS", "INVITE"),
        },
        why="syntax is fine; the method check is the UA core's",
    ),
    Case(
        "rfc4475",
        "mismatch02.dat",
        ACCEPT,
        501,
        UA,
        fields={
            "(m.method, m.cseq.method)": ("NEWMETHOD", "INVITE"),
        },
        why="501 preferred by the INDEX: the unknown method is refused before the CSeq check",
    ),
    Case("rfc4475", "bigcode.dat", DISCARD),
    Case(
        "rfc4475",
        "badbranch.dat",
        ACCEPT,
        400,
        UA,
        fields={
            "m.top_via.branch": "z9hG4bK",
        },
        why="the transaction layer rejects a bare magic cookie with 400 (statelessly) "
        "rather than matching every such request to one transaction",
    ),
    Case(
        "rfc4475",
        "insuf.dat",
        REJECT,
        400,
        TRANSPORT,
        why="no To, From or Call-ID: the message layer requires them (typed accessors must "
        "be exact); the stateless 400 copies what exists",
    ),
    Case(
        "rfc4475",
        "unkscm.dat",
        ACCEPT,
        416,
        UA,
        fields={
            "(m.uri.scheme, m.uri.opaque)": ("nobodyKnowsThisScheme", "totallyopaquecontent"),
        },
    ),
    Case(
        "rfc4475",
        "novelsc.dat",
        ACCEPT,
        416,
        UA,
        fields={"m.uri.scheme": "soap.beep"},
        why="VoiceDock never accepts a soap.beep Request-URI: 416",
    ),
    Case(
        "rfc4475",
        "unksm2.dat",
        ACCEPT,
        405,
        UA,
        fields={
            "str(m.to_address.uri)": "isbn:2983792873",
            "str(m.from_address.uri)": "http://www.example.com",
            "str(m.contacts[0].uri)": "name:John_Smith",
        },
        why=NOT_A_REGISTRAR + " (a registrar would answer 400)",
    ),
    Case(
        "rfc4475",
        "bext01.dat",
        ACCEPT,
        420,
        UA,
        fields={
            "m.token_list('Require')": ("nothingSupportsThis", "nothingSupportsThisEither"),
            "m.token_list('Proxy-Require')": ("noProxiesSupportThis", "norDoAnyProxiesSupportThis"),
        },
        why="as a UAS: Unsupported lists the Require tags only",
    ),
    Case(
        "rfc4475",
        "invut.dat",
        ACCEPT,
        415,
        UA,
        fields={
            "m.content_type.essence": "application/unknownformat",
        },
    ),
    Case(
        "rfc4475",
        "regaut01.dat",
        ACCEPT,
        405,
        UA,
        fields={
            "m.header('Authorization')": "NoOneKnowsThisScheme opaque-data=here",
        },
        why=NOT_A_REGISTRAR,
    ),
    Case(
        "rfc4475",
        "multi01.dat",
        REJECT,
        400,
        TRANSPORT,
        why="single-valued headers repeated: refused by the message layer",
    ),
    Case("rfc4475", "mcl01.dat", REJECT, 400, TRANSPORT, error=FramingError),
    Case(
        "rfc4475",
        "bcast.dat",
        ACCEPT,
        fields={"m.vias[1].host": "255.255.255.255"},
        why="a UA never forwards responses; unmatched, it is dropped",
    ),
    Case(
        "rfc4475",
        "zeromf.dat",
        ACCEPT,
        200,
        UA,
        fields={"m.max_forwards": 0},
        why="a UAS processes Max-Forwards 0 normally",
    ),
    Case(
        "rfc4475",
        "cparam01.dat",
        ACCEPT,
        405,
        UA,
        fields={
            "m.contacts[0].params.items": (("unknownparam", None),),
            "m.contacts[0].uri.params.items": (),
        },
        why=NOT_A_REGISTRAR,
    ),
    Case(
        "rfc4475",
        "cparam02.dat",
        ACCEPT,
        405,
        UA,
        fields={
            "m.contacts[0].params.items": (),
            "m.contacts[0].uri.params.items": (("unknownparam", None),),
        },
        why=NOT_A_REGISTRAR,
    ),
    Case(
        "rfc4475",
        "regescrt.dat",
        ACCEPT,
        405,
        UA,
        fields={
            "m.contacts[0].uri.headers": (("Route", "<sip:sip.example.com>"),),
        },
        why=NOT_A_REGISTRAR,
    ),
    Case(
        "rfc4475",
        "sdp01.dat",
        ACCEPT,
        406,
        UA,
        fields={
            "[a.essence for a in m.accept]": ["text/nobodyknowsthis"],
        },
        why="406 with a 399 Warning, the INDEX's first choice: it tells the caller why",
    ),
    Case(
        "rfc4475",
        "inv2543.dat",
        ACCEPT,
        fields={
            "m.top_via.branch": None,
            "m.from_tag": None,
            "m.max_forwards": None,
            "m.content_length": None,
            "len(m.body)": 105,
        },
        why="RFC 2543 interop: accepted; transactions fall back to RFC 2543 matching",
    ),
    Case(
        "rfc4475",
        "test.dat",
        REJECT,
        why="no SIP-Version and no Via: unanswerable, dropped (robustness input only)",
    ),
]

RFC5118 = [
    Case(
        "rfc5118",
        "ipv6-good",
        ACCEPT,
        405,
        UA,
        fields={
            "m.uri.host": "2001:db8::10",
            "m.top_via.host": "2001:db8::9:1",
            "m.contacts[0].uri.host": "2001:db8::1",
        },
        why=NOT_A_REGISTRAR,
    ),
    Case("rfc5118", "ipv6-bad", REJECT, 400, TRANSPORT),
    Case(
        "rfc5118",
        "port-ambiguous",
        ACCEPT,
        405,
        UA,
        fields={
            "(m.uri.host, m.uri.port)": ("2001:db8::10:5070", None),
        },
        why=NOT_A_REGISTRAR,
    ),
    Case(
        "rfc5118",
        "port-unambiguous",
        ACCEPT,
        405,
        UA,
        fields={
            "(m.uri.host, m.uri.port)": ("2001:db8::10", 5070),
        },
        why=NOT_A_REGISTRAR,
    ),
    Case(
        "rfc5118",
        "via-received-param-with-delim",
        ACCEPT,
        481,
        UA,
        fields={
            "m.top_via.received": "2001:db8::9:255",
        },
        why="brackets tolerated in received (RFC 5118 §4.5); " + NO_DIALOG,
    ),
    Case(
        "rfc5118",
        "via-received-param-no-delim",
        ACCEPT,
        200,
        UA,
        fields={
            "m.top_via.received": "2001:db8::9:255",
            "m.method": "OPTIONS",
        },
    ),
    Case(
        "rfc5118",
        "ipv6-in-sdp",
        ACCEPT,
        fields={
            "m.content_type.essence": "application/sdp",
            "m.body.startswith(b'v=0')": True,
        },
        recompute_content_length=True,
        why="INVITE processed normally",
    ),
    Case(
        "rfc5118",
        "mult-ip-in-header",
        ACCEPT,
        481,
        UA,
        fields={
            "[(v.host, v.port, v.received) for v in m.vias]": [
                ("2001:db8::9:1", 6050, None),
                ("192.0.2.1", None, None),
                ("2001:db8::9:255", None, "192.0.2.200"),
            ],
        },
        why=NO_DIALOG,
    ),
    Case(
        "rfc5118",
        "mult-ip-in-sdp",
        ACCEPT,
        fields={
            "m.content_type.essence": "application/sdp",
        },
        recompute_content_length=True,
        why="INVITE processed normally",
    ),
    Case(
        "rfc5118",
        "ipv4-mapped-ipv6",
        ACCEPT,
        fields={
            "(m.top_via.host, m.top_via.port)": ("::ffff:192.0.2.10", 19823),
            "m.contacts[0].uri.host": "::ffff:192.0.2.2",
        },
        recompute_content_length=True,
        why="INVITE processed normally",
    ),
    Case(
        "rfc5118",
        "ipv6-bug-abnf-3-colons",
        ACCEPT,
        200,
        UA,
        fields={
            "m.uri.host": "2001:db8:::192.0.2.1",
        },
        why="tolerated (RFC 5118 §4.10); the address is kept as written",
    ),
    Case(
        "rfc5118",
        "ipv6-correct-abnf-2-colons",
        ACCEPT,
        200,
        UA,
        fields={
            "m.uri.host": "2001:db8::192.0.2.1",
        },
    ),
]

CASES = RFC4475 + RFC5118

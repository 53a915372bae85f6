"""The UA core on an in-memory network: §8.2 checks, OPTIONS, routing of in-dialog requests."""

from __future__ import annotations

import attrs
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from tests.sip.helpers import SDP_OFFER
from tests.sip.test_transaction_manager import advance_clock_to, request
from voicedock.sip.interfaces import ISipMessageReceiver
from voicedock.sip.message import Request, Response, make_response
from voicedock.sip.offer_answer import LocalMedia
from voicedock.sip.routing import Destination, HostPort
from voicedock.sip.session_timer import SessionTimerSettings
from voicedock.sip.ua import UserAgent, UserAgentConfig
from voicedock.testing.sip_loop import LoopNetwork
from voicedock.testing.sip_recorder import Recorder, RecordingListener, SequentialIds

UA_ADDR = HostPort("192.0.2.1", 5060)
PHONE_ADDR = HostPort("192.0.2.10", 5060)
LOCAL = LocalMedia(address="", port=40000)


@implementer(ISipMessageReceiver)
class Phone:
    """A scripted peer: sends what the test says, keeps what it receives."""

    def __init__(self, network: LoopNetwork, address: HostPort = PHONE_ADDR) -> None:
        self.received: list[Request | Response] = []
        self.transport = network.endpoint(address, self)

    def messageReceived(self, message, source) -> None:  # type: ignore[no-untyped-def]
        self.received.append(message)

    def send(self, message: Request | Response | bytes, transport: str = "UDP") -> None:
        self.transport.send(message, Destination(transport, UA_ADDR))

    def statuses(self, method: str | None = None) -> list[int]:
        return [m.status for m in self.received
                if isinstance(m, Response) and (method is None or m.cseq.method == method)]

    def requests(self, method: str | None = None) -> list[Request]:
        return [m for m in self.received
                if isinstance(m, Request) and (method is None or m.method == method)]

    def last(self, status: int | None = None) -> Response:
        responses = [m for m in self.received if isinstance(m, Response)
                     and (status is None or m.status == status)]
        return responses[-1]

    def answer(self, req: Request, status: int, to_tag: str = "ph1", headers=(), body=b"",
               content_type=None) -> Response:
        response = make_response(req, status, to_tag=to_tag, headers=headers, body=body,
                                 content_type=content_type)
        self.send(response)
        return response


class UaHarness:
    """A UA on a loop network with a recording listener, and a phone to talk to it."""

    def __init__(self, config: UserAgentConfig | None = None, listener: bool = True,
                 delay: float = 0.0) -> None:
        self.clock = Clock()
        self.network = LoopNetwork(self.clock, delay=delay)
        self.recorder = Recorder(self.clock)
        self.listener = RecordingListener(self.recorder)
        self.ids = SequentialIds()
        self.config = config or UserAgentConfig(public_address="203.0.113.5")
        self.ua = UserAgent(self.config, self.clock, listener=self.listener if listener else None,
                            ids=self.ids)
        self.ua.attach_transport(self.network.endpoint(UA_ADDR, self.ua))
        self.phone = Phone(self.network)

    def run(self, seconds: float = 0.0) -> None:
        advance_clock_to(self.clock, self.clock.seconds() + seconds)

    def deliver(self, message: Request | Response | bytes) -> None:
        self.phone.send(message)
        self.run()

    def event_names(self) -> list[str]:
        return [type(e).__name__ for e in self.listener.events]


def invite(body: bytes = SDP_OFFER, extra=(), **kw) -> Request:
    extra = (("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE"), *extra)
    content = (("Content-Type", "application/sdp"),) if body else ()
    return request("INVITE", body=body, extra=(*content, *extra), **kw)


class ChecksTests(SynchronousTestCase):
    def test_options_answered_with_allow_accept_supported(self) -> None:
        h = UaHarness()
        h.deliver(request("OPTIONS"))
        ok = h.phone.last()
        self.assertEqual(ok.status, 200)
        self.assertEqual(ok.header("Allow"), "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, REFER, NOTIFY")
        self.assertEqual(ok.header("Accept"), "application/sdp")
        self.assertEqual(ok.header("Supported"), "timer")
        self.assertIsNotNone(ok.to_tag)
        self.assertIsNone(ok.header("Server"))
        self.assertIsNone(ok.header("User-Agent"))
        self.assertEqual(h.listener.events, [])

    def test_server_header_only_when_configured(self) -> None:
        h = UaHarness(UserAgentConfig(server="VoiceDock"))
        h.deliver(request("OPTIONS"))
        self.assertEqual(h.phone.last().header("Server"), "VoiceDock")

    def test_register_405_unknown_501(self) -> None:
        h = UaHarness()
        h.deliver(request("REGISTER"))
        h.deliver(request("FOOBAR", branch="z9hG4bK2"))
        h.deliver(request("MESSAGE", branch="z9hG4bK3"))
        self.assertEqual(h.phone.statuses(), [405, 501, 405])
        self.assertTrue(all(r.header("Allow") for r in h.phone.received))

    def test_requests_needing_a_dialog_get_481(self) -> None:
        h = UaHarness()
        for i, method in enumerate(("BYE", "INFO", "UPDATE", "NOTIFY", "REFER")):
            h.deliver(request(method, branch=f"z9hG4bKa{i}"))
        h.deliver(request("BYE", branch="z9hG4bKb", to_tag="nosuch"))
        h.deliver(request("INVITE", branch="z9hG4bKc", to_tag="nosuch"))
        self.assertEqual(h.phone.statuses(), [481] * 6 + [100, 481])

    def test_require_unsupported_420(self) -> None:
        h = UaHarness()
        h.deliver(request("OPTIONS", extra=(("Require", "100rel, timer, foo"),)))
        self.assertEqual(h.phone.last().status, 420)
        self.assertEqual(h.phone.last().header("Unsupported"), "100rel, foo")

    def test_version_505_and_cseq_mismatch_400_and_scheme_416(self) -> None:
        h = UaHarness()
        wire = request("OPTIONS").to_bytes().replace(b"SIP/2.0\r\n", b"SIP/3.0\r\n", 1)
        h.deliver(wire)
        h.deliver(request("OPTIONS", branch="z9hG4bK2", cseq_method="INVITE"))
        h.deliver(request("OPTIONS", branch="z9hG4bK3", uri="mailto:someone@example.com"))
        self.assertEqual(h.phone.statuses(), [505, 400, 416])

    def test_merged_request_482(self) -> None:
        h = UaHarness(listener=True)
        h.deliver(invite())
        h.deliver(invite(branch="z9hG4bKotherpath"))
        self.assertEqual(h.phone.statuses(), [100, 100, 482])

    def test_unsupported_body_415(self) -> None:
        h = UaHarness()
        h.deliver(request("INVITE", body=b"<xml/>", extra=(("Content-Type", "application/xml"),)))
        self.assertEqual(h.phone.last().status, 415)
        self.assertEqual(h.phone.last().header("Accept"), "application/sdp")

    def test_accept_without_sdp_406(self) -> None:
        h = UaHarness()
        h.deliver(invite(extra=(("Accept", "text/plain"),)))
        self.assertEqual(h.phone.last().status, 406)
        self.assertEqual(h.phone.last().header("Warning"),
                         '399 203.0.113.5 "Accept does not include application/sdp"')
        h.deliver(invite(branch="z9hG4bK9", call_id="c9", extra=(("Accept", "application/*"),)))
        self.assertEqual(h.event_names(), ["IncomingCall"])

    def test_max_forwards_zero_processed(self) -> None:
        h = UaHarness()
        h.deliver(request("OPTIONS").replace_header("Max-Forwards", "0"))
        self.assertEqual(h.phone.last().status, 200)

    def test_invite_contacts(self) -> None:
        h = UaHarness()
        h.deliver(invite().add_header("Contact", "<sip:other@192.0.2.11>"))
        self.assertEqual(h.phone.statuses(), [100, 400])
        # RFC 2543 style, no Contact: accepted, requests go back to the From URI
        h.deliver(invite(branch="z9hG4bK2", call_id="c2").remove_header("Contact"))
        call = h.listener.events[0].call
        self.assertEqual(str(call.dialog.remote_target), "sip:alice@192.0.2.10")

    def test_malformed_sdp_400(self) -> None:
        h = UaHarness()
        h.deliver(invite(body=b"v=0\r\nnonsense\r\n"))
        self.assertEqual(h.phone.statuses(), [100, 400])
        self.assertEqual(h.listener.events, [])

    def test_no_listener_503_and_logged(self) -> None:
        h = UaHarness(listener=False)
        h.deliver(invite())
        self.assertEqual(h.phone.statuses(), [100, 503])

    def test_cancel_without_invite_481(self) -> None:
        h = UaHarness()
        h.deliver(request("CANCEL"))
        self.assertEqual(h.phone.statuses(), [481])

    def test_listener_exception_does_not_break_the_stack(self) -> None:
        h = UaHarness()

        def boom(event):  # type: ignore[no-untyped-def]
            raise RuntimeError("handler bug")

        from voicedock.sip.ua import IncomingCall

        h.listener.reactions[IncomingCall] = boom
        h.deliver(invite())
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)
        h.run(60)
        self.assertEqual(h.phone.statuses(), [100, 480])


class OutOfDialogRequestTests(SynchronousTestCase):
    def test_options_keepalive_to_a_peer(self) -> None:
        h = UaHarness()
        results = []
        h.ua.request("OPTIONS", "sip:trunk@192.0.2.10").addCallback(results.append)
        h.run()
        options = h.phone.requests("OPTIONS")[0]
        self.assertEqual(str(options.uri), "sip:trunk@192.0.2.10")
        self.assertEqual(options.top_via.branch, "z9hG4bKbranch4")
        h.phone.answer(options, 200)
        h.run()
        self.assertEqual([r.status for r in results], [200])

    def test_host_name_needs_a_resolver(self) -> None:
        h = UaHarness()
        failures = []
        h.ua.request("OPTIONS", "sip:trunk.example.com").addErrback(failures.append)
        self.assertEqual(len(failures), 1)

    def test_timeout_is_408(self) -> None:
        h = UaHarness()
        results = []
        h.ua.request("OPTIONS", "sip:trunk@192.0.2.99").addCallback(results.append)
        h.run(40)
        self.assertEqual([r.status for r in results], [408])


__all__ = ["Phone", "UaHarness", "invite", "LOCAL", "attrs", "SessionTimerSettings"]

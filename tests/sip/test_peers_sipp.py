"""
VoiceDock's UA core as a server on real sockets, driven by SIPp on loopback:
OPTIONS, a retransmitted INVITE, CANCEL, BYE, requests outside a dialog,
a delayed offer, session timers, and the same over TCP.
"""

from __future__ import annotations

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import SkipTest, TestCase

from voicedock.sip.session_timer import SessionTimerSettings
from voicedock.sip.ua import (
    AckReceived,
    CallTerminated,
    IncomingCall,
    SessionRefreshed,
    TerminationReason,
    UserAgentConfig,
)
from voicedock.testing.sip_peers.process import sleep
from voicedock.testing.sip_peers.sipp import SIPP, SIPP_MISSING, run_sipp
from voicedock.testing.sip_peers.uas_app import AnsweringHandler, start_uas


class _Base(TestCase):
    timeout = 60
    transport = "UDP"

    def start(self, config: UserAgentConfig | None = None, **handler_options: object):  # type: ignore[no-untyped-def]
        if SIPP is None:
            raise SkipTest(SIPP_MISSING)
        handler = AnsweringHandler(reactor, **handler_options)  # type: ignore[arg-type]
        app = start_uas(reactor, config, handler=handler)
        self.addCleanup(app.close)
        return app

    def sipp(self, app, scenario: str, **options: object):  # type: ignore[no-untyped-def]
        return run_sipp(reactor, scenario, app.address, transport=self.transport, **options)

    def assertPassed(self, result) -> None:  # type: ignore[no-untyped-def]
        self.assertEqual(result.exit_code, 0, result.describe())


class SippUdpTests(_Base):
    @inlineCallbacks
    def test_options(self):  # type: ignore[no-untyped-def]
        app = self.start()
        result = yield self.sipp(app, "uac_options")
        self.assertPassed(result)
        self.assertEqual(app.handler.events, [])

    @inlineCallbacks
    def test_call_with_retransmitted_invite(self):  # type: ignore[no-untyped-def]
        app = self.start(answer_delay=2.0, ring=False)
        result = yield self.sipp(app, "uac_call")
        self.assertPassed(result)
        yield sleep(reactor, 0.1)
        self.assertEqual(app.handler.names(), ["IncomingCall", "AckReceived", "CallTerminated"])
        self.assertEqual(app.handler.of(CallTerminated)[0].reason, TerminationReason.REMOTE_BYE)
        self.assertEqual(app.handler.of(AckReceived)[0].media.codec.name, "PCMU")
        # the second INVITE met the transaction in Proceeding and was absorbed there
        self.assertIn(("INVITE", "Proceeding", "request retransmission", "Proceeding"), app.transitions)

    @inlineCallbacks
    def test_cancel_before_answer(self):  # type: ignore[no-untyped-def]
        app = self.start(answer_delay=None)
        result = yield self.sipp(app, "uac_cancel")
        self.assertPassed(result)
        self.assertEqual(app.handler.names(), ["IncomingCall", "InviteCancelled", "CallTerminated"])
        self.assertEqual(app.handler.events[-1].reason, TerminationReason.CANCELLED)
        # the ACK for the 487 matched the INVITE transaction (Completed -> Confirmed)
        self.assertIn(("INVITE", "Completed", "ACK", "Confirmed"), app.transitions)

    @inlineCallbacks
    def test_requests_outside_a_dialog(self):  # type: ignore[no-untyped-def]
        app = self.start()
        result = yield self.sipp(app, "uac_no_dialog")
        self.assertPassed(result)
        self.assertEqual(app.handler.events, [])

    @inlineCallbacks
    def test_delayed_offer(self):  # type: ignore[no-untyped-def]
        app = self.start()
        result = yield self.sipp(app, "uac_delayed_offer")
        self.assertPassed(result)
        yield sleep(reactor, 0.1)
        event = app.handler.of(IncomingCall)[0]
        self.assertIsNone(event.offer)
        self.assertEqual(app.handler.of(AckReceived)[0].media.codec.name, "PCMA")

    @inlineCallbacks
    def test_session_timer_refreshes_from_the_peer(self):  # type: ignore[no-untyped-def]
        app = self.start()
        result = yield self.sipp(app, "uac_session_timer")
        self.assertPassed(result)
        yield sleep(reactor, 0.1)
        refreshes = [(e.method, e.by_us, e.interval) for e in app.handler.of(SessionRefreshed)]
        self.assertEqual(refreshes, [("INVITE", False, 90), ("UPDATE", False, 90)])
        self.assertEqual(app.handler.events[-1].reason, TerminationReason.REMOTE_BYE)

    @inlineCallbacks
    def test_we_refresh_when_asked(self):  # type: ignore[no-untyped-def]
        # RFC 4028 wants Min-SE >= 90 s; a 4 s session keeps the test short.
        config = UserAgentConfig(public_address="127.0.0.1",
                                 session_timer=SessionTimerSettings(min_se=2))
        app = self.start(config)
        result = yield self.sipp(app, "uac_session_refresher", keys={"se": 4})
        self.assertPassed(result)
        yield sleep(reactor, 0.1)
        refreshes = [(e.method, e.by_us) for e in app.handler.of(SessionRefreshed)]
        self.assertEqual(refreshes, [("UPDATE", True)])


class SippTcpTests(_Base):
    transport = "TCP"

    @inlineCallbacks
    def test_options(self):  # type: ignore[no-untyped-def]
        app = self.start()
        result = yield self.sipp(app, "uac_options")
        self.assertPassed(result)

    @inlineCallbacks
    def test_call(self):  # type: ignore[no-untyped-def]
        app = self.start(answer_delay=0.5, ring=False)
        result = yield self.sipp(app, "uac_call")
        self.assertPassed(result)
        yield sleep(reactor, 0.1)
        self.assertEqual(app.handler.names(), ["IncomingCall", "AckReceived", "CallTerminated"])
        self.assertEqual(app.handler.of(IncomingCall)[0].source.transport, "TCP")
        ok = [t for t in app.transitions if t[0] == "INVITE" and t[1] == "Proceeding" and t[3] == "Accepted"]
        self.assertEqual(len(ok), 1)

    @inlineCallbacks
    def test_cancel(self):  # type: ignore[no-untyped-def]
        app = self.start(answer_delay=None)
        result = yield self.sipp(app, "uac_cancel")
        self.assertPassed(result)
        self.assertEqual(app.handler.events[-1].reason, TerminationReason.CANCELLED)

    @inlineCallbacks
    def test_session_timer(self):  # type: ignore[no-untyped-def]
        app = self.start()
        result = yield self.sipp(app, "uac_session_timer")
        self.assertPassed(result)

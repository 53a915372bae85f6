"""
VoiceDock's UA core as a client through a real Kamailio PBX that demands
digest authentication (407 with qop=auth, 401 without qop), with a SIPp UAS
as the extension: the call authenticates, is answered and hung up through
the Record-Route; a wrong password ends in 403 after exactly two INVITEs.
"""

from __future__ import annotations

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import SkipTest, TestCase

from voicedock.sip.digest import Credentials
from voicedock.sip.offer_answer import LocalMedia
from voicedock.sip.ua import CallAnswered, CallFailed, CallTerminated, TerminationReason
from voicedock.testing.sip_peers.kamailio import KAMAILIO, KAMAILIO_MISSING, KamailioPbx
from voicedock.testing.sip_peers.process import free_port, sleep
from voicedock.testing.sip_peers.sipp import SIPP, SIPP_MISSING, SippRun
from voicedock.testing.sip_peers.uas_app import AnsweringHandler, start_uas

USER, PASSWORD = "trunkuser", "s3cret"


class KamailioClientTests(TestCase):
    timeout = 60

    @inlineCallbacks
    def _setup(self, challenge: int, qop: bool):  # type: ignore[no-untyped-def]
        if KAMAILIO is None:
            raise SkipTest(KAMAILIO_MISSING)
        if SIPP is None:
            raise SkipTest(SIPP_MISSING)
        extension = SippRun(reactor, "uas_answer", None, calls=1, timeout=30)
        self.addCleanup(extension.stop)
        pbx = KamailioPbx(reactor, user=USER, password=PASSWORD, ext_port=extension.port,
                          challenge=challenge, qop=qop)
        self.addCleanup(pbx.stop)
        yield pbx.start()
        handler = AnsweringHandler(reactor)
        app = start_uas(reactor, handler=handler, tcp=False)
        self.addCleanup(app.close)
        return extension, pbx, app

    def _invite(self, app, pbx, password: str):  # type: ignore[no-untyped-def]
        return app.ua.invite(
            f"sip:5551234@127.0.0.1:{pbx.port}", LocalMedia("", free_port("udp")),
            from_address=f"<sip:{USER}@127.0.0.1:{pbx.port}>",
            credentials=Credentials(USER, password))

    @inlineCallbacks
    def _answered_and_hung_up(self, challenge: int, qop: bool):  # type: ignore[no-untyped-def]
        extension, pbx, app = yield self._setup(challenge, qop)
        outcome = app.handler.wait_for(CallAnswered, CallFailed)
        call = self._invite(app, pbx, PASSWORD)
        event = yield outcome
        self.assertIsInstance(event, CallAnswered, pbx.log()[-3000:])
        self.assertEqual(event.media.codec.name, "PCMU")
        self.assertEqual(len(call.dialog.route_set), 1)  # Kamailio record-routed
        bye = yield call.bye()
        self.assertEqual(bye.status, 200)
        result = yield extension.done
        self.assertEqual(result.exit_code, 0, result.describe())
        decisions = pbx.decisions()
        self.assertTrue(any(f"-> {challenge} challenge" in d for d in decisions), decisions)
        self.assertTrue(any(f"authenticated as <{USER}>" in d for d in decisions), decisions)
        self.assertEqual(app.handler.names(), ["CallProgress", "CallAnswered", "CallTerminated"])
        self.assertEqual(app.handler.events[-1].reason, TerminationReason.LOCAL_BYE)

    def test_407_with_qop(self):  # type: ignore[no-untyped-def]
        return self._answered_and_hung_up(407, True)

    def test_401_without_qop(self):  # type: ignore[no-untyped-def]
        return self._answered_and_hung_up(401, False)

    @inlineCallbacks
    def test_wrong_password_403_without_a_loop(self):  # type: ignore[no-untyped-def]
        extension, pbx, app = yield self._setup(407, True)
        outcome = app.handler.wait_for(CallAnswered, CallFailed)
        self._invite(app, pbx, "wrong")
        event = yield outcome
        self.assertIsInstance(event, CallFailed)
        self.assertEqual(event.status, 403)
        yield sleep(reactor, 1.0)
        invites = [d for d in pbx.decisions() if d.startswith("INVITE sip:")]
        self.assertEqual(len(invites), 2, pbx.decisions())  # without, then with credentials
        self.assertIn("auth-user=<trunkuser>", invites[1])
        self.assertEqual(app.handler.names(), ["CallFailed", "CallTerminated"])
        self.assertEqual(app.handler.of(CallTerminated)[0].reason, TerminationReason.REJECTED)

"""Trunk credentials never reach the log, whatever happens to the call."""

from __future__ import annotations

from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from tests.sip.test_ua_outbound import CHALLENGE, place
from tests.sip.test_ua_core import UaHarness
from voicedock.sip.digest import Credentials

PASSWORD = "s3cret-trunk-password"


class CredentialsNotLoggedTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.events: list[dict] = []
        globalLogPublisher.addObserver(self.events.append)
        self.addCleanup(globalLogPublisher.removeObserver, self.events.append)

    def assertNothingLeaked(self) -> None:
        self.assertTrue(self.events, "the flows below do log; an empty log would prove nothing")
        for event in self.events:
            text = formatEvent(event) + repr(event)
            failure = event.get("log_failure")
            if failure is not None:
                text += failure.getTraceback()
            self.assertNotIn(PASSWORD, text)

    def test_challenge_wrong_password_and_timeouts(self) -> None:
        credentials = Credentials("trunk", PASSWORD)
        self.assertNotIn(PASSWORD, repr(credentials))
        # 407, then 403 (wrong password)
        h = UaHarness()
        place(h, credentials=credentials, from_address="<sip:trunk@192.0.2.10>")
        first = h.phone.requests("INVITE")[0]
        h.phone.answer(first, 407, to_tag="c1", headers=(("Proxy-Authenticate", CHALLENGE),))
        h.run()
        second = h.phone.requests("INVITE")[1]
        h.phone.answer(second, 403, to_tag="c2")
        h.run()
        # 401, re-challenged (not stale): given up
        h = UaHarness()
        place(h, credentials=credentials, from_address="<sip:trunk@192.0.2.10>")
        first = h.phone.requests("INVITE")[0]
        h.phone.answer(first, 401, to_tag="c1", headers=(("WWW-Authenticate", CHALLENGE),))
        h.run()
        second = h.phone.requests("INVITE")[1]
        h.phone.answer(second, 401, to_tag="c2", headers=(("WWW-Authenticate", CHALLENGE),))
        h.run()
        # no answer at all: Timer B, 408
        h = UaHarness()
        place(h, credentials=credentials)
        h.clock.advance(64)
        h.run()
        self.assertNothingLeaked()

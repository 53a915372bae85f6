"""Session timers (RFC 4028): negotiation, the timer itself, and refreshes through the UA."""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from tests.sip.test_transaction_manager import request
from tests.sip.test_ua_core import LOCAL, UaHarness, invite
from tests.sip.test_ua_inbound import ack
from voicedock.sip.errors import SipParseError
from voicedock.sip.message import make_response
from voicedock.sip.session_timer import (
    Agreed,
    SessionExpires,
    SessionTimer,
    SessionTimerSettings,
    TooSmall,
    agreed_from_response,
    negotiate_as_uas,
    parse_session_expires,
)
from voicedock.sip.ua import IncomingCall, SessionRefreshed, TerminationReason, UserAgentConfig

SETTINGS = SessionTimerSettings()


def with_timer(*headers: tuple[str, str]):  # type: ignore[no-untyped-def]
    return request(extra=headers)


class NegotiationTests(SynchronousTestCase):
    def test_parse(self) -> None:
        self.assertEqual(parse_session_expires("1800;refresher=UAS"), SessionExpires(1800, "uas"))
        self.assertEqual(parse_session_expires("90"), SessionExpires(90))
        self.assertEqual(str(SessionExpires(90, "uac")), "90;refresher=uac")
        for bad in ("", "x", "90;refresher=both", "-5"):
            self.assertRaises(SipParseError, parse_session_expires, bad)

    def test_uas_choices(self) -> None:
        cases = [
            ((("Session-Expires", "60"), ("Supported", "timer")), TooSmall(90)),
            ((("Session-Expires", "1800;refresher=uac"), ("Supported", "timer")), Agreed(1800, "uac", True)),
            ((("Session-Expires", "1800;refresher=uas"), ("Supported", "timer")), Agreed(1800, "uas", True)),
            ((("Session-Expires", "1800"), ("Supported", "timer")), Agreed(1800, "uas", True)),
            ((("Session-Expires", "1800;refresher=uac"),), Agreed(1800, "uas", False)),
            ((("Supported", "timer"),), None),
            ((), None),
        ]
        for headers, expected in cases:
            self.assertEqual(negotiate_as_uas(with_timer(*headers), SETTINGS), expected, headers)
        offering = SessionTimerSettings(offer_when_absent=True)
        self.assertEqual(negotiate_as_uas(with_timer(("Supported", "timer")), offering),
                         Agreed(1800, "uas", True))
        self.assertIsNone(negotiate_as_uas(with_timer(("Session-Expires", "60")),
                                           SessionTimerSettings(enabled=False)))

    def test_uac_reads_2xx(self) -> None:
        ok = make_response(request(), 200, to_tag="x", headers=(("Session-Expires", "900"),))
        self.assertEqual(agreed_from_response(ok), Agreed(900, "uac"))
        self.assertIsNone(agreed_from_response(make_response(request(), 200, to_tag="x")))


class TimerTests(SynchronousTestCase):
    def test_refresher_and_expiry_times(self) -> None:
        clock = Clock()
        log: list[tuple[str, float]] = []
        timer = SessionTimer(clock, lambda: log.append(("refresh", clock.seconds())),
                             lambda: log.append(("expire", clock.seconds())))
        timer.start(Agreed(1800, "uas"), we_refresh=True)
        clock.advance(900)
        timer.start(Agreed(90, "uac"), we_refresh=False)
        clock.advance(59)
        self.assertEqual(log, [("refresh", 900)])
        timer.start(Agreed(90, "uac"), we_refresh=False)  # a refresh arrived: restart
        clock.advance(60)
        self.assertEqual(log, [("refresh", 900), ("expire", 1019)])
        self.assertFalse(timer.running)


def confirmed_call(h: UaHarness, *headers: tuple[str, str]):  # type: ignore[no-untyped-def]
    h.listener.reactions[IncomingCall] = lambda e: e.call.answer(LOCAL)
    h.deliver(invite(extra=headers))
    tag = h.phone.last().to_tag
    h.deliver(ack(tag))
    return h.listener.events[0].call, tag


class ThroughTheUaTests(SynchronousTestCase):
    def test_422_below_min_se(self) -> None:
        h = UaHarness()
        h.deliver(invite(extra=(("Session-Expires", "30"), ("Supported", "timer"))))
        self.assertEqual(h.phone.statuses(), [100, 422])
        self.assertEqual(h.phone.last().header("Min-SE"), "90")
        self.assertEqual(h.listener.events, [])

    def test_we_refresh_by_update_when_asked(self) -> None:
        h = UaHarness()
        call, tag = confirmed_call(h, ("Session-Expires", "120;refresher=uas"), ("Supported", "timer"))
        ok = h.phone.last(200)
        self.assertEqual((ok.header("Session-Expires"), ok.header("Require")), ("120;refresher=uas", "timer"))
        h.run(59.9)
        self.assertEqual(h.phone.requests("UPDATE"), [])
        h.run(0.1)
        update = h.phone.requests("UPDATE")[0]
        self.assertEqual(update.header("Session-Expires"), "120;refresher=uac")
        self.assertEqual(update.body, b"")
        h.phone.answer(update, 200, to_tag="ft", headers=(("Session-Expires", "120;refresher=uac"),))
        h.run(60)
        self.assertEqual(len(h.phone.requests("UPDATE")), 2)  # the next refresh, 60 s later
        refreshed = h.listener.of(SessionRefreshed)[0]
        self.assertEqual((refreshed.method, refreshed.by_us, refreshed.interval), ("UPDATE", True, 120))

    def test_refresh_by_reinvite_when_update_not_allowed(self) -> None:
        h = UaHarness()
        headers = (("Session-Expires", "120;refresher=uas"), ("Supported", "timer"))
        h.listener.reactions[IncomingCall] = lambda e: e.call.answer(LOCAL)
        h.deliver(invite(extra=headers).replace_header("Allow", "INVITE, ACK, BYE, CANCEL"))
        first_sdp = h.phone.last(200).body
        h.deliver(ack(h.phone.last().to_tag))
        h.run(60)
        reinvite = h.phone.requests("INVITE")[0]
        self.assertEqual(reinvite.body, first_sdp)  # same SDP, same version: a refresh
        self.assertEqual(reinvite.header("Session-Expires"), "120;refresher=uac")

    def test_silent_refresher_bye(self) -> None:
        h = UaHarness()
        call, tag = confirmed_call(h, ("Session-Expires", "120;refresher=uac"), ("Supported", "timer"))
        h.run(60)
        h.deliver(request("UPDATE", branch="z9hG4bKup", to_tag=tag, cseq=2,
                          extra=(("Session-Expires", "120;refresher=uac"), ("Supported", "timer"))))
        self.assertEqual(h.phone.last().header("Session-Expires"), "120;refresher=uac")
        h.run(87.9)  # 120 - 32 after the refresh
        self.assertEqual(h.phone.requests("BYE"), [])
        h.run(0.1)
        self.assertEqual(len(h.phone.requests("BYE")), 1)
        self.assertEqual(h.listener.events[-1].reason, TerminationReason.SESSION_EXPIRED)

    def test_refresh_reinvite_from_peer(self) -> None:
        h = UaHarness()
        call, tag = confirmed_call(h, ("Session-Expires", "90;refresher=uac"), ("Supported", "timer"))
        from tests.sip.helpers import SDP_OFFER

        h.run(40)
        h.deliver(request("INVITE", branch="z9hG4bKre", to_tag=tag, cseq=2, body=SDP_OFFER,
                          extra=(("Content-Type", "application/sdp"), ("Session-Expires", "90;refresher=uac"),
                                 ("Supported", "timer"))))
        ok = h.phone.last(200)
        self.assertEqual(ok.cseq.number, 2)
        self.assertEqual(ok.header("Session-Expires"), "90;refresher=uac")
        h.deliver(ack(tag, cseq=2, branch="z9hG4bKack2"))
        h.run(59.9)  # expiry is 90 - min(32, 90/3) = 60 s after the refresh
        self.assertEqual(h.phone.requests("BYE"), [])
        self.assertEqual(h.event_names()[-1], "SessionRefreshed")
        h.run(0.1)
        self.assertEqual(len(h.phone.requests("BYE")), 1)

    def test_disabled(self) -> None:
        config = UserAgentConfig(session_timer=SessionTimerSettings(enabled=False))
        h = UaHarness(config)
        confirmed_call(h, ("Session-Expires", "120;refresher=uas"), ("Supported", "timer"))
        self.assertIsNone(h.phone.last(200).header("Session-Expires"))
        h.run(200)
        self.assertEqual(h.phone.requests(), [])

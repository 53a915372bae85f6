# -*- test-case-name: tests.sip.test_session_timer -*-
"""
Session timers (RFC 4028): the Session-Expires and Min-SE headers, the
negotiation a UAS does on an INVITE or UPDATE (§9: 422 when too small,
who refreshes), what a UAC learns from the 2xx (§7.2), and the timer that
refreshes at half the interval or gives up on a silent peer (§10).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import attrs
from twisted.internet.interfaces import IDelayedCall, IReactorTime

from voicedock.sip.errors import SipParseError
from voicedock.sip.message import Message, Request, Response

TIMER = "timer"
UAC, UAS = "uac", "uas"
_DELTA_RE = re.compile(r"[0-9]{1,10}")


@attrs.frozen
class SessionTimerSettings:
    """
    ``session_expires``: the interval we ask for as a UAC (and offer as a
    UAS when ``offer_when_absent``); ``min_se``: the smallest we accept
    (RFC 4028 §5: at least 90 s; smaller values are for tests only);
    ``refresh_method``: ``"UPDATE"`` (used when the peer allows it, else
    re-INVITE) or ``"INVITE"``.
    """

    enabled: bool = True
    session_expires: int = 1800
    min_se: int = 90
    offer_when_absent: bool = False
    refresh_method: str = "UPDATE"


@attrs.frozen
class SessionExpires:
    """A Session-Expires value (RFC 4028 §4): delta-seconds and an optional refresher."""

    delta: int
    refresher: str | None = None

    def __str__(self) -> str:
        return f"{self.delta}" + (f";refresher={self.refresher}" if self.refresher else "")


@attrs.frozen
class Agreed:
    """The session timer in force: its interval and who refreshes (from the transaction's point of view)."""

    delta: int
    refresher: str
    require_timer: bool = False

    def header(self) -> SessionExpires:
        return SessionExpires(self.delta, self.refresher)

    def we_refresh(self, we_are_uac: bool) -> bool:
        """Whether we refresh, given our role in the transaction that agreed it."""
        return self.refresher == (UAC if we_are_uac else UAS)


@attrs.frozen
class TooSmall:
    """Answer 422 with ``Min-SE: min_se`` (RFC 4028 §6)."""

    min_se: int


def parse_session_expires(text: str) -> SessionExpires:
    """``delta-seconds *( ";" se-params )``, ``refresher=uac|uas`` (RFC 4028 §4)."""
    delta_text, *params = [part.strip() for part in text.split(";")]
    if not _DELTA_RE.fullmatch(delta_text):
        raise SipParseError("Malformed Session-Expires header")
    refresher = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "refresher":
            value = value.strip().lower()
            if value not in (UAC, UAS):
                raise SipParseError("Malformed Session-Expires header: bad refresher")
            refresher = value
    return SessionExpires(int(delta_text), refresher)


def session_expires_of(message: Message) -> SessionExpires | None:
    value = message.header("session-expires")
    return None if value is None else parse_session_expires(value)


def min_se_of(message: Message) -> int | None:
    value = message.header("min-se")
    if value is None:
        return None
    delta = value.split(";")[0].strip()
    if not _DELTA_RE.fullmatch(delta):
        raise SipParseError("Malformed Min-SE header")
    return int(delta)


def peer_supports_timer(message: Message) -> bool:
    return TIMER in {t.lower() for t in message.token_list("Supported") + message.token_list("Require")}


def negotiate_as_uas(request: Request, settings: SessionTimerSettings) -> Agreed | TooSmall | None:
    """
    RFC 4028 §9. With Session-Expires in the request: 422 if below our
    Min-SE; else the requested interval, refreshed by whoever the request
    names, by us (``uas``) when it names nobody, and always by us when the
    UAC lacks the extension. Without it: no timer, unless
    ``offer_when_absent`` and the UAC supports the extension.
    ``require_timer`` says to put ``Require: timer`` in the 2xx.
    """
    if not settings.enabled:
        return None
    requested = session_expires_of(request)
    supports = peer_supports_timer(request)
    if requested is None:
        if settings.offer_when_absent and supports:
            delta = max(settings.session_expires, min_se_of(request) or 0, settings.min_se)
            return Agreed(delta, UAS, require_timer=True)
        return None
    if requested.delta < settings.min_se:
        return TooSmall(settings.min_se)
    refresher = (requested.refresher or UAS) if supports else UAS
    return Agreed(requested.delta, refresher, require_timer=supports)


def request_headers(settings: SessionTimerSettings, min_se: int | None = None) -> list[tuple[str, str]]:
    """What a UAC puts in an INVITE to ask for a session timer (RFC 4028 §7.1)."""
    if not settings.enabled:
        return []
    floor = max(settings.min_se, min_se or 0)
    delta = max(settings.session_expires, floor)
    return [("Session-Expires", str(delta)), ("Min-SE", str(floor))]


def agreed_from_response(response: Response) -> Agreed | None:
    """
    RFC 4028 §7.2: the 2xx's Session-Expires decides; with no refresher
    named, the UAC refreshes. None when the 2xx has no Session-Expires.
    """
    value = session_expires_of(response)
    if value is None:
        return None
    return Agreed(value.delta, value.refresher or UAC)


class SessionTimer:
    """
    One session's timer on an injected clock (RFC 4028 §10): when we refresh,
    ``refresh`` runs at half the interval; otherwise ``expire`` runs at the
    interval minus min(32 s, a third of it) unless :meth:`start` is called
    again first (a refresh arrived).
    """

    def __init__(
        self, clock: IReactorTime, refresh: Callable[[], None], expire: Callable[[], None]
    ) -> None:
        self._clock = clock
        self._refresh = refresh
        self._expire = expire
        self._call: IDelayedCall | None = None
        self.agreed: Agreed | None = None
        self.we_refresh = False

    def start(self, agreed: Agreed, we_refresh: bool) -> None:
        self.stop()
        self.agreed = agreed
        self.we_refresh = we_refresh
        if we_refresh:
            self._call = self._clock.callLater(agreed.delta / 2, self._fire, self._refresh)
        else:
            delay = agreed.delta - min(32, agreed.delta / 3)
            self._call = self._clock.callLater(delay, self._fire, self._expire)

    def _fire(self, action: Callable[[], None]) -> None:
        self._call = None
        action()

    def stop(self) -> None:
        if self._call is not None and self._call.active():
            self._call.cancel()
        self._call = None

    @property
    def running(self) -> bool:
        return self._call is not None

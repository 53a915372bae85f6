# -*- test-case-name: tests.sip.test_ua_core -*-
"""The settings of a user agent, and where its random identifiers come from."""

from __future__ import annotations

import random
import secrets

import attrs

from voicedock.sip.session_timer import SessionTimerSettings
from voicedock.sip.transaction.timers import TimerSettings
from voicedock.sip.via import MAGIC_COOKIE

#: Methods of RFC 3261 and its extensions: a request with another method gets 501,
#: one of these that we do not allow gets 405 (RFC 3261 §8.2.1).
KNOWN_METHODS = frozenset({
    "INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "REGISTER", "INFO", "PRACK", "SUBSCRIBE",
    "NOTIFY", "UPDATE", "MESSAGE", "REFER", "PUBLISH",
})

DEFAULT_METHODS = ("INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "UPDATE", "INFO", "REFER", "NOTIFY")


@attrs.frozen
class UserAgentConfig:
    """
    How the UA core presents itself and behaves.

    - ``public_address``: the host written in Contact and in SDP ``c=``/``o=``
      lines (the address peers reach us at); None uses the transport's address.
    - ``allowed_methods``: what we take (others: 405 with Allow, or 501 when
      unknown); REGISTER is never taken: VoiceDock is not a registrar.
    - ``supported``: option tags we support (Require with others: 420).
    - ``accept``: body types we take on INVITE, ACK, UPDATE, BYE and OPTIONS
      (others: 415 with Accept). INFO and NOTIFY bodies go up as they are.
    - ``server`` / ``user_agent``: the Server and User-Agent header values,
      none by default (no software version unless configured).
    - ``timers``: T1, T2, T4. ``session_timer``: RFC 4028 settings.
    - ``unanswered_invite_timeout``: an INVITE the upper layer neither answers
      nor rejects within this many seconds gets 480.
    - ``no_listener_status``: the answer to an INVITE when no listener is attached.
    - ``invite_timeout``: an outgoing INVITE without a final response after
      this long is cancelled.
    """

    public_address: str | None = None
    contact_user: str = "voicedock"
    allowed_methods: tuple[str, ...] = DEFAULT_METHODS
    supported: tuple[str, ...] = ("timer",)
    accept: tuple[str, ...] = ("application/sdp",)
    server: str | None = None
    user_agent: str | None = None
    timers: TimerSettings = TimerSettings()
    session_timer: SessionTimerSettings = SessionTimerSettings()
    unanswered_invite_timeout: float = 60.0
    no_listener_status: int = 503
    invite_timeout: float = 180.0

    def __attrs_post_init__(self) -> None:
        if "REGISTER" in self.allowed_methods:
            raise ValueError("VoiceDock is not a registrar: REGISTER cannot be allowed")
        for needed in ("ACK", "CANCEL", "BYE"):
            if "INVITE" in self.allowed_methods and needed not in self.allowed_methods:
                raise ValueError(f"a UA taking INVITE must take {needed}")

    @property
    def allow_header(self) -> str:
        return ", ".join(self.allowed_methods)


class RandomIds:
    """Tags, branches, Call-IDs and SDP session ids from a CSPRNG (RFC 3261 §19.3)."""

    def tag(self) -> str:
        return secrets.token_hex(6)

    def branch(self) -> str:
        return MAGIC_COOKIE + secrets.token_hex(8)

    def call_id(self, host: str) -> str:
        return f"{secrets.token_hex(10)}@{host}"

    def cnonce(self) -> str:
        return secrets.token_hex(8)

    def sdp_session(self) -> int:
        return secrets.randbelow(2**31)

    def uniform(self, low: float, high: float) -> float:
        return random.uniform(low, high)  # noqa: S311 - a retry delay, not a secret

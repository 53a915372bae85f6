# -*- test-case-name: tests.sip.test_ua_core -*-
"""The UA core's upward interface (to call control) and its name resolution hook."""

from __future__ import annotations

from typing import Protocol

from twisted.internet.defer import Deferred
from zope.interface import Interface


class IUserAgentListener(Interface):
    """What call control implements to hear from the UA core."""

    def eventReceived(event):  # type: ignore[no-untyped-def]
        """
        One event from :mod:`voicedock.sip.ua.events`. Called synchronously;
        an :class:`~voicedock.sip.ua.events.IncomingCall` may be answered
        during the call or later, a REFER must be decided during it.
        """


class Resolver(Protocol):
    """Turns a host name into an IP address (RFC 3263 is out of scope: A/AAAA only)."""

    def resolve(self, host: str) -> Deferred[str]:
        ...

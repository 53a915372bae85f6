# -*- test-case-name: tests.sip.test_ua_dialog -*-
"""The states of a call as call control sees them, and the glare error."""

from __future__ import annotations

import enum


class CallState(enum.Enum):
    """Where a call is, as call control sees it."""

    RINGING = "ringing"        # INVITE sent or received, no final response yet
    ANSWERED = "answered"      # we sent a 2xx and wait for the ACK
    CONFIRMED = "confirmed"    # the dialog is up
    TERMINATED = "terminated"


class RequestPending(Exception):
    """An offer is already in flight in this dialog (RFC 3261 §14.1; the peer would answer 491)."""

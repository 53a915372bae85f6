# -*- test-case-name: tests.sip.test_ua_core -*-
"""
The SIP user agent core (RFC 3261 §8, §12 to §15): inbound and outbound
calls over the transaction layer, with SDP offer/answer, digest
authentication and session timers. See ``notes/sip-ua-api.md``.
"""

from voicedock.sip.ua.call import Call, CallState, RequestPending
from voicedock.sip.ua.config import DEFAULT_METHODS, KNOWN_METHODS, RandomIds, UserAgentConfig
from voicedock.sip.ua.core import IpOnlyResolver, ReactorResolver, UserAgent
from voicedock.sip.ua.events import (
    AckReceived,
    CallAnswered,
    CallEvent,
    CallFailed,
    CallProgress,
    CallTerminated,
    IncomingCall,
    InfoReceived,
    InviteCancelled,
    NotifyReceived,
    OptionsReceived,
    ReferReceived,
    RequestFailed,
    SessionModified,
    SessionRefreshed,
    TerminationReason,
)
from voicedock.sip.ua.inbound import InboundCall
from voicedock.sip.ua.interfaces import IUserAgentListener, Resolver
from voicedock.sip.ua.outbound import OutboundCall

__all__ = [
    "AckReceived", "Call", "CallAnswered", "CallEvent", "CallFailed", "CallProgress",
    "CallState", "CallTerminated", "DEFAULT_METHODS", "IUserAgentListener", "InboundCall",
    "IncomingCall", "InfoReceived", "InviteCancelled", "IpOnlyResolver", "KNOWN_METHODS",
    "NotifyReceived", "OptionsReceived", "OutboundCall", "RandomIds", "ReactorResolver",
    "ReferReceived", "RequestFailed", "RequestPending", "Resolver", "SessionModified",
    "SessionRefreshed", "TerminationReason", "UserAgent", "UserAgentConfig",
]

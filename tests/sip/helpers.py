"""Shared bits for the SIP tests: a recording receiver and realistic sample messages."""

from __future__ import annotations

from zope.interface import implementer

from voicedock.sip.interfaces import ISipMessageReceiver
from voicedock.testing.sip_samples import OK_200, SDP_OFFER  # noqa: F401 (shared by the SIP tests)


def invite(
    branch: str = "z9hG4bK776asdhds",
    via_host: str = "192.0.2.10:5060",
    transport: str = "UDP",
    extra: bytes = b"",
) -> bytes:
    """A realistic INVITE with an SDP offer, as a softphone sends it."""
    head = (
        b"INVITE sip:+15551234567@voicedock.example.com SIP/2.0\r\n"
        b"Via: SIP/2.0/"
        + transport.encode()
        + b" "
        + via_host.encode()
        + b";branch="
        + branch.encode()
        + b";rport\r\n"
        b"Max-Forwards: 70\r\n"
        b"To: <sip:+15551234567@voicedock.example.com>\r\n"
        b'From: "Alice" <sip:alice@atlanta.example.com>;tag=1928301774\r\n'
        b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
        b"CSeq: 314159 INVITE\r\n"
        b"Contact: <sip:alice@192.0.2.10:5060;transport=udp>\r\n"
        b"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"
        b"Supported: replaces, timer\r\n"
        b"User-Agent: Softphone/1.0\r\n" + extra + b"Content-Type: application/sdp\r\n"
        b"Content-Length: " + str(len(SDP_OFFER)).encode() + b"\r\n"
        b"\r\n"
    )
    return head + SDP_OFFER




def options(branch: str = "z9hG4bKopt1", call_id: str = "opt-1@example.com") -> bytes:
    return (
        b"OPTIONS sip:voicedock@example.com SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 192.0.2.30;branch=" + branch.encode() + b"\r\n"
        b"Max-Forwards: 70\r\n"
        b"To: <sip:voicedock@example.com>\r\n"
        b"From: <sip:scanner@example.com>;tag=77\r\n"
        b"Call-ID: " + call_id.encode() + b"\r\n"
        b"CSeq: 1 OPTIONS\r\n"
        b"Content-Length: 0\r\n"
        b"\r\n"
    )


@implementer(ISipMessageReceiver)
class RecordingReceiver:
    """Appends ("messageReceived", message, source) to ``calls``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object, object]] = []
        self.waiters: list = []

    def messageReceived(self, message, source):  # type: ignore[no-untyped-def]
        self.calls.append(("messageReceived", message, source))
        waiters, self.waiters = self.waiters, []
        for waiter in waiters:
            waiter.callback((message, source))

    @property
    def messages(self) -> list:
        return [call[1] for call in self.calls]

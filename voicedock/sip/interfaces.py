# -*- test-case-name: tests.sip.test_udp -*-
"""The two small interfaces between the transport layer and what sits above it."""

from __future__ import annotations

from zope.interface import Interface


class ISipMessageReceiver(Interface):
    """What a transport hands parsed messages to (the transaction layer, or a test)."""

    def messageReceived(message, source):  # type: ignore[no-untyped-def]
        """
        A message arrived. ``message`` is a :class:`voicedock.sip.message.Request`
        or :class:`~voicedock.sip.message.Response` that passed
        ``Message.validate()``; a request's top Via already carries
        ``received``/``rport`` (RFC 3261 §18.2.1, RFC 3581 §4). ``source`` is a
        :class:`voicedock.sip.routing.Source`.
        """


class ISipTransport(Interface):
    """Sends SIP messages; implemented by the real UDP/TCP transport and the loop transport."""

    def send(message, destination):  # type: ignore[no-untyped-def]
        """
        Send a Request, Response or raw bytes to a
        :class:`voicedock.sip.routing.Destination`. Returns a Deferred that
        fires with None once the bytes are handed to the socket, or fails
        with :class:`voicedock.sip.transport.SipTransportError` (no such
        transport, connection refused or lost: RFC 3261 §8.1.3.1 treats that
        as a 503 for the client transaction).
        """

    def sentBy(destination):  # type: ignore[no-untyped-def]
        """
        The :class:`voicedock.sip.routing.HostPort` to put in the Via sent-by
        (and Contact) of a request for ``destination``: our listening address
        on that transport and address family.
        """

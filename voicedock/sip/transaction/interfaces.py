# -*- test-case-name: tests.sip.test_transaction_manager -*-
"""What a transaction tells its user (the TU: UA core, dialog, call) and what the manager tells the core."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from voicedock.sip.message import Request, Response
from voicedock.sip.routing import Source

if TYPE_CHECKING:
    from voicedock.sip.transaction.machine import Transaction
    from voicedock.sip.transaction.manager import ServerTransaction


class ClientTransactionUser(Protocol):
    """The owner of a client transaction (RFC 3261 §17.1)."""

    def response_received(self, transaction: Transaction, response: Response) -> None:
        """A response the TU must see: every 1xx, the final one, and 2xx retransmissions in Accepted."""

    def transaction_timed_out(self, transaction: Transaction) -> None:
        """Timer B or F fired (RFC 3261 §8.1.3.1: treat as a 408)."""

    def transport_failed(self, transaction: Transaction, error: Exception) -> None:
        """The transport could not send (RFC 3261 §8.1.3.1: treat as a 503)."""


class ServerTransactionUser(Protocol):
    """The owner of a server transaction (RFC 3261 §17.2)."""

    def ack_received(self, transaction: Transaction, ack: Request) -> None:
        """An ACK matched an INVITE server transaction in Accepted (RFC 6026 §8.7)."""

    def transaction_timed_out(self, transaction: Transaction) -> None:
        """Timer H fired: the ACK for a non-2xx final response never came."""

    def transport_failed(self, transaction: Transaction, error: Exception) -> None:
        """A response could not be sent."""


class TransactionCore(Protocol):
    """What the transaction layer hands up (RFC 3261 §17.1.3, §17.2.3: what matches no transaction)."""

    def request_received(self, request: Request, source: Source,
                         transaction: ServerTransaction) -> None:
        """A new request, with the server transaction just created for it."""

    def ack_received(self, ack: Request, source: Source) -> None:
        """An ACK matching no transaction: the ACK for a 2xx (RFC 3261 §17.2.3, §13.3.1.4)."""

    def stray_response(self, response: Response, source: Source) -> None:
        """A response matching no client transaction (e.g. a 2xx retransmission after Timer M)."""

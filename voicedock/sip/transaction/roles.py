# -*- test-case-name: tests.sip.test_transaction_manager -*-
"""
What the two client machines (RFC 3261 §17.1) and the two server machines (§17.2) share:
the outputs their tables name that do the same thing in both, and the TU of a server
transaction nobody claimed. The machines themselves keep their own tables and timers.
"""

from __future__ import annotations

from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from voicedock.sip.interfaces import ISipTransport
from voicedock.sip.message import Request, Response
from voicedock.sip.routing import Destination
from voicedock.sip.transaction.interfaces import ClientTransactionUser, ServerTransactionUser
from voicedock.sip.transaction.machine import State, Transaction, response_input
from voicedock.sip.transaction.timers import TimerSettings


class UnattendedServerUser:
    """The TU of a server transaction nobody claimed: logs what it is told."""

    log = Logger()

    def ack_received(self, transaction: Transaction, ack: Request) -> None:
        pass

    def transaction_timed_out(self, transaction: Transaction) -> None:
        self.log.info("No ACK for the final response of {transaction}", transaction=transaction)

    def transport_failed(self, transaction: Transaction, error: Exception) -> None:
        self.log.info("Could not send a response of {transaction}: {error}",
                      transaction=transaction, error=error)


#: One shared instance: it holds no state.
UNATTENDED = UnattendedServerUser()


class ClientTransaction(Transaction):
    """A client machine: sends its request, hands responses and failures to its TU."""

    def __init__(
        self,
        request: Request,
        transport: ISipTransport,
        destination: Destination,
        clock: IReactorTime,
        settings: TimerSettings,
        initial: State,
        user: ClientTransactionUser,
    ) -> None:
        super().__init__(request, transport, destination, clock, settings, initial)
        self.user = user

    def receive_response(self, response: Response) -> None:
        self.handle(response_input(response.status), response)

    # -- outputs shared by both client tables -------------------------------------

    def retransmit(self, _: object) -> None:
        self._send(self.request)

    def pass_up(self, response: Response) -> None:
        self.user.response_received(self, response)

    def inform_timeout(self, _: object) -> None:
        self.user.transaction_timed_out(self)

    def inform_transport_error(self, error: Exception) -> None:
        self.user.transport_failed(self, error)


class ServerTransaction(Transaction):
    """A server machine: keeps the last response its TU sent and sends it again."""

    def __init__(
        self,
        request: Request,
        transport: ISipTransport,
        destination: Destination,
        clock: IReactorTime,
        settings: TimerSettings,
        initial: State,
    ) -> None:
        super().__init__(request, transport, destination, clock, settings, initial)
        self.user: ServerTransactionUser = UNATTENDED
        self.last_response: Response | None = None

    @property
    def to_tag(self) -> str | None:
        """The To tag of the last response sent (RFC 2543 ACK matching, §17.2.3)."""
        return self.last_response.to_tag if self.last_response is not None else None

    # -- outputs shared by both server tables -------------------------------------

    def send_response(self, response: Response) -> None:
        self.last_response = response
        self._send(response)

    def resend_response(self, _: object) -> None:
        assert self.last_response is not None
        self._send(self.last_response)

    def inform_timeout(self, _: object) -> None:
        self.user.transaction_timed_out(self)

    def inform_transport_error(self, error: Exception) -> None:
        self.user.transport_failed(self, error)

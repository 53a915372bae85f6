# -*- test-case-name: tests.sip.test_transaction_manager -*-
"""
The transaction layer (RFC 3261 §17): creates transactions, matches what
arrives to them (§17.1.3 for responses, §17.2.3 for requests, with the
RFC 2543 fallback for requests whose branch lacks the magic cookie), finds
the INVITE a CANCEL targets (§9.2) and spots merged requests (§8.2.2.2).
What matches nothing goes up to the core.
"""

from __future__ import annotations

import hashlib
from typing import Union

from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from zope.interface import implementer

from voicedock.sip.interfaces import ISipMessageReceiver, ISipTransport
from voicedock.sip.message import Request, Response, make_response
from voicedock.sip.routing import Destination, Source, response_destination
from voicedock.sip.transaction.interfaces import ClientTransactionUser, TransactionCore
from voicedock.sip.transaction.invite_client import InviteClientTransaction
from voicedock.sip.transaction.invite_server import InviteServerTransaction
from voicedock.sip.transaction.machine import Observer, State, Transaction
from voicedock.sip.transaction.non_invite_client import NonInviteClientTransaction
from voicedock.sip.transaction.non_invite_server import NonInviteServerTransaction
from voicedock.sip.transaction.timers import TimerSettings
from voicedock.sip.via import MAGIC_COOKIE, Via

ClientTransaction = Union[InviteClientTransaction, NonInviteClientTransaction]
ServerTransaction = Union[InviteServerTransaction, NonInviteServerTransaction]


def client_key(branch: str | None, method: str) -> tuple[str | None, str]:
    """§17.1.3: the top Via branch and the CSeq method."""
    return branch, method


def _sent_by(via: Via) -> str:
    return via.sent_by.lower()


def server_key(request: Request) -> tuple[str, str, str] | None:
    """
    §17.2.3: branch, sent-by and method (ACK counts as INVITE), for a branch
    with the magic cookie; None otherwise (RFC 2543 matching applies).
    """
    via = request.top_via
    if not via.is_rfc3261_branch:
        return None
    method = "INVITE" if request.method == "ACK" else request.method
    return via.branch, _sent_by(via), method  # type: ignore[return-value]


def rfc2543_key(request: Request) -> tuple[object, ...]:
    """
    §17.2.3's fallback: Request-URI, From tag, Call-ID, CSeq number and the
    top Via; To tag and method are compared per transaction.
    """
    return (str(request.uri), request.from_tag, request.call_id, request.cseq.number,
            str(request.top_via))


def is_bare_cookie(request: Request) -> bool:
    """A branch that is only ``z9hG4bK`` (RFC 4475 badbranch): it would match every such request."""
    return request.top_via.branch == MAGIC_COOKIE


@implementer(ISipMessageReceiver)
class TransactionManager:
    """
    Receives every message from the transport. Responses go to their client
    transaction; requests to their server transaction, or, when new, to a
    new one and then to ``core.request_received``; unmatched ACKs and
    responses to ``core``. Transactions are forgotten once Terminated.
    """

    log = Logger()

    def __init__(
        self,
        clock: IReactorTime,
        core: TransactionCore,
        settings: TimerSettings = TimerSettings(),
        transport: ISipTransport | None = None,
    ) -> None:
        self.clock = clock
        self.core = core
        self.settings = settings
        self.transport = transport
        self.observers: list[Observer] = []
        self._clients: dict[tuple[str | None, str], ClientTransaction] = {}
        self._servers: dict[tuple[str, str, str], ServerTransaction] = {}
        self._servers_2543: dict[tuple[object, ...], list[ServerTransaction]] = {}
        self._request_ids: dict[tuple[object, ...], ServerTransaction] = {}

    @property
    def client_transactions(self) -> tuple[ClientTransaction, ...]:
        return tuple(self._clients.values())

    @property
    def server_transactions(self) -> tuple[ServerTransaction, ...]:
        unique = {id(t): t for t in self._servers.values()}
        for group in self._servers_2543.values():
            unique.update((id(t), t) for t in group)
        return tuple(unique.values())

    def stop(self) -> None:
        """Cancel every transaction timer (shutting down): nothing more is sent."""
        for transaction in (*self.client_transactions, *self.server_transactions):
            transaction.timers.keep_only(())

    # -- ISipMessageReceiver -----------------------------------------------------

    def messageReceived(self, message: Request | Response, source: Source) -> None:
        if isinstance(message, Response):
            self._response_received(message, source)
        else:
            self._request_received(message, source)

    def _response_received(self, response: Response, source: Source) -> None:
        transaction = self._clients.get(client_key(response.top_via.branch, response.cseq.method))
        if transaction is None:
            self.core.stray_response(response, source)
            return
        transaction.receive_response(response)

    def _request_received(self, request: Request, source: Source) -> None:
        if is_bare_cookie(request):
            if request.method != "ACK":
                self._stateless(request, source, 400, "Malformed Via header: branch is only z9hG4bK")
            return
        transaction = self.match_server(request)
        if transaction is not None:
            transaction.receive_request(request)
            return
        if request.method == "ACK":
            self.core.ack_received(request, source)
            return
        transaction = self._new_server(request, source)
        try:
            self.core.request_received(request, source, transaction)
        except Exception:
            self.log.failure("The SIP core failed on a {method} request", method=request.method)
            if not transaction.final_sent:
                transaction.respond(make_response(request, 500))

    def _stateless(self, request: Request, source: Source, status: int, reason: str) -> None:
        assert self.transport is not None
        # The tag is derived from the request, so a retransmission gets the same one (§8.2.7).
        seed = f"{request.top_via}|{request.from_tag}|{request.call_id}|{request.cseq}".encode()
        to_tag = None if request.to_tag else "sl" + hashlib.sha256(seed).hexdigest()[:16]
        response = make_response(request, status, reason, to_tag=to_tag)
        self.transport.send(response, response_destination(request.top_via, source)).addErrback(
            lambda failure: None
        )

    # -- server side -------------------------------------------------------------

    def match_server(self, request: Request) -> ServerTransaction | None:
        """The server transaction ``request`` belongs to (§17.2.3), or None."""
        key = server_key(request)
        if key is not None:
            return self._servers.get(key)
        method = "INVITE" if request.method == "ACK" else request.method
        for transaction in self._servers_2543.get(rfc2543_key(request), ()):
            if transaction.method != method:
                continue
            if request.method == "ACK":
                if request.to_tag == transaction.to_tag:
                    return transaction
            elif request.to_tag == transaction.request.to_tag:
                return transaction
        return None

    def invite_for_cancel(self, cancel: Request) -> InviteServerTransaction | None:
        """The INVITE server transaction a CANCEL targets (§9.2: §17.2.3 matching but for the method)."""
        via = cancel.top_via
        if via.is_rfc3261_branch:
            found = self._servers.get((via.branch, _sent_by(via), "INVITE"))  # type: ignore[arg-type]
        else:
            found = next(
                (t for t in self._servers_2543.get(rfc2543_key(cancel), ())
                 if t.method == "INVITE" and t.request.to_tag == cancel.to_tag),
                None,
            )
        return found if isinstance(found, InviteServerTransaction) else None

    def is_merged(self, request: Request, transaction: Transaction | None = None) -> bool:
        """
        §8.2.2.2: a request without a To tag whose From tag, Call-ID and CSeq
        equal those of an ongoing transaction it does not belong to (it
        reached us twice, forked by a proxy): the caller answers 482.
        """
        if request.to_tag is not None:
            return False
        other = self._request_ids.get(_request_id(request))
        return (other is not None and other is not transaction
                and other.state is not State.TERMINATED)

    def _new_server(self, request: Request, source: Source) -> ServerTransaction:
        assert self.transport is not None, "no transport attached"
        destination = response_destination(request.top_via, source)
        kind = InviteServerTransaction if request.method == "INVITE" else NonInviteServerTransaction
        transaction = kind(request, self.transport, destination, self.clock, self.settings)
        self._register(transaction)
        key = server_key(request)
        if key is not None:
            self._servers[key] = transaction
        else:
            self._servers_2543.setdefault(rfc2543_key(request), []).append(transaction)
        if request.to_tag is None:
            self._request_ids.setdefault(_request_id(request), transaction)
        transaction.on_terminated = self._server_terminated
        transaction.start()
        return transaction

    def _server_terminated(self, transaction: Transaction) -> None:
        request = transaction.request
        key = server_key(request)
        if key is not None:
            if self._servers.get(key) is transaction:
                del self._servers[key]
        else:
            group = self._servers_2543.get(rfc2543_key(request), [])
            if transaction in group:
                group.remove(transaction)
            if not group:
                self._servers_2543.pop(rfc2543_key(request), None)
        if self._request_ids.get(_request_id(request)) is transaction:
            del self._request_ids[_request_id(request)]

    # -- client side -------------------------------------------------------------

    def send_request(
        self, request: Request, destination: Destination, user: ClientTransactionUser
    ) -> ClientTransaction:
        """
        Start a client transaction for ``request``, whose top Via must carry a
        new, unique branch (§8.1.1.7). ACK is never sent through here.
        """
        assert self.transport is not None, "no transport attached"
        if request.method == "ACK":
            raise ValueError("an ACK has no client transaction")
        key = client_key(request.top_via.branch, request.method)
        if key in self._clients:
            raise ValueError(f"branch {key[0]} is already in use")
        kind = InviteClientTransaction if request.method == "INVITE" else NonInviteClientTransaction
        transaction = kind(request, self.transport, destination, self.clock, self.settings, user)
        self._register(transaction)
        self._clients[key] = transaction
        transaction.on_terminated = self._client_terminated
        transaction.start()
        return transaction

    def _client_terminated(self, transaction: Transaction) -> None:
        key = client_key(transaction.branch, transaction.method)
        if self._clients.get(key) is transaction:
            del self._clients[key]

    def _register(self, transaction: Transaction) -> None:
        transaction.observers.extend(self.observers)


def _request_id(request: Request) -> tuple[object, ...]:
    return (request.from_tag, request.call_id, request.cseq.number, request.cseq.method)

# -*- test-case-name: tests.sip.test_ua_core -*-
"""
Requests the UA sends (with the digest retry of RFC 3261 §22.2) and the
handle through which the layer above answers a request it was given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs
from twisted.logger import Logger

from voicedock.sip.digest import DigestClient
from voicedock.sip.message import Request, Response, make_response
from voicedock.sip.routing import Destination
from voicedock.sip.transaction.machine import Transaction
from voicedock.sip.transaction.manager import ServerTransaction

if TYPE_CHECKING:
    from voicedock.sip.ua.core import UserAgent

#: A synthetic final response stands for a failure without one (RFC 3261 §8.1.3.1).
TIMEOUT, TRANSPORT_ERROR = "timeout", "transport error"
_AUTH_HEADERS = ("authorization", "proxy-authorization")


class OutgoingRequest:
    """
    One request we send, through a client transaction, and its resends after
    a 401 or 407 (RFC 3261 §22.2: same request, new CSeq from ``renumber``,
    new branch, with credentials). ``on_provisional`` sees each 1xx,
    ``on_final`` every final response (for an INVITE, each 2xx, forks and
    retransmissions included); a timeout or transport error arrives there as
    a 408 or 503 made here, with :attr:`local_failure` set.
    """

    log = Logger()

    def __init__(
        self,
        ua: UserAgent,
        request: Request,
        destination: Destination,
        *,
        on_final: Callable[[OutgoingRequest, Response], None],
        on_provisional: Callable[[OutgoingRequest, Response], None] | None = None,
        digest: DigestClient | None = None,
        renumber: Callable[[Request], int] | None = None,
    ) -> None:
        self.ua = ua
        self.request = request
        self.destination = destination
        self.on_final = on_final
        self.on_provisional = on_provisional
        self.digest = digest
        self.renumber = renumber or (lambda request: request.cseq.number + 1)
        self.transaction: Transaction | None = None
        self.local_failure: str | None = None
        self.attempts = 0

    def start(self) -> None:
        self._send(self.request)

    def _send(self, request: Request) -> None:
        self.attempts += 1
        self.request = self.ua.with_new_branch(request, self.destination)
        self.local_failure = None
        self.transaction = self.ua.transactions.send_request(self.request, self.destination, self)

    # -- ClientTransactionUser -----------------------------------------------------

    def response_received(self, transaction: Transaction, response: Response) -> None:
        if transaction is not self.transaction:
            return  # a late response to a request we already resent
        if response.status < 200:
            if self.on_provisional is not None:
                self.on_provisional(self, response)
            return
        if response.status in (401, 407) and self._retry_with_credentials(response):
            return
        self.on_final(self, response)

    def transaction_timed_out(self, transaction: Transaction) -> None:
        if transaction is self.transaction:
            self.local_failure = TIMEOUT
            self.on_final(self, make_response(self.request, 408))

    def transport_failed(self, transaction: Transaction, error: Exception) -> None:
        if transaction is self.transaction:
            self.log.info("Could not send {method}: {error}", method=self.request.method, error=error)
            self.local_failure = TRANSPORT_ERROR
            self.on_final(self, make_response(self.request, 503))

    def _retry_with_credentials(self, response: Response) -> bool:
        if self.digest is None:
            return False
        headers = [(h.name, h.value) for h in response.headers]
        fields = self.digest.answer(headers, self.request.method, str(self.request.uri),
                                    self.request.body)
        if fields is None:
            self.log.info("Not retrying {method}: credentials refused or none for the realm",
                          method=self.request.method)
            return False
        retry = self.request
        for name in _AUTH_HEADERS:
            retry = retry.remove_header(name)  # type: ignore[assignment]
        number = self.renumber(retry)
        retry = retry.replace_header("CSeq", f"{number} {retry.method}")  # type: ignore[assignment]
        for name, value in fields:
            retry = retry.add_header(name, value)  # type: ignore[assignment]
        self._send(retry)
        return True


@attrs.define
class IncomingRequest:
    """
    A request handed up for an answer (INFO, NOTIFY, REFER). ``respond``
    sends the final response once; :attr:`answered` tells if it was.
    """

    ua: UserAgent
    request: Request
    transaction: ServerTransaction
    answered: bool = False

    def respond(self, status: int, reason: str | None = None,
                headers: tuple[tuple[str, str], ...] = (), body: bytes = b"",
                content_type: str | None = None) -> None:
        if self.answered:
            raise RuntimeError(f"{self.request.method} already answered")
        self.answered = True
        self.ua.respond(self.transaction, status, reason, headers=headers, body=body,
                        content_type=content_type)

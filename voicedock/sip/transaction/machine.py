# -*- test-case-name: tests.sip.test_transaction_invite_client -*-
"""
What the four transaction machines share (RFC 3261 §17): the states and
inputs, named as the RFCs name them, and a runner that reads a machine's
transition table. A machine is its table: ``(state, input) -> (next state,
outputs)``, where each output is a method of the machine; a pair missing
from the table is an input that state ignores (a late response, say).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import ClassVar

import attrs
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from voicedock.sip.interfaces import ISipTransport
from voicedock.sip.message import Request, Response
from voicedock.sip.routing import Destination
from voicedock.sip.transaction.timers import NamedTimers, TimerSettings


class State(enum.Enum):
    """Transaction states (RFC 3261 §17, Accepted from RFC 6026)."""

    CALLING = "Calling"
    TRYING = "Trying"
    PROCEEDING = "Proceeding"
    ACCEPTED = "Accepted"
    COMPLETED = "Completed"
    CONFIRMED = "Confirmed"
    TERMINATED = "Terminated"


class Input(enum.Enum):
    """What can happen to a transaction."""

    REQUEST = "request retransmission"
    ACK = "ACK"
    RESPONSE_1XX = "1xx"
    RESPONSE_2XX = "2xx"
    RESPONSE_300_699 = "300-699"
    TU_1XX = "1xx from TU"
    TU_2XX = "2xx from TU"
    TU_300_699 = "300-699 from TU"
    TRANSPORT_ERROR = "transport error"
    TIMER_A = "Timer A"
    TIMER_B = "Timer B"
    TIMER_D = "Timer D"
    TIMER_E = "Timer E"
    TIMER_F = "Timer F"
    TIMER_G = "Timer G"
    TIMER_H = "Timer H"
    TIMER_I = "Timer I"
    TIMER_J = "Timer J"
    TIMER_K = "Timer K"
    TIMER_L = "Timer L"
    TIMER_M = "Timer M"


def response_input(status: int, from_tu: bool = False) -> Input:
    """The input a response is, by class: 1xx, 2xx or 300-699."""
    if status < 200:
        return Input.TU_1XX if from_tu else Input.RESPONSE_1XX
    if status < 300:
        return Input.TU_2XX if from_tu else Input.RESPONSE_2XX
    return Input.TU_300_699 if from_tu else Input.RESPONSE_300_699


@attrs.frozen
class Transition:
    next: State
    outputs: tuple[str, ...]


Table = dict[tuple[State, Input], Transition]


def transition_table(*rows: tuple[object, ...]) -> Table:
    """Rows of ``(state, input, next state, *outputs)``, as a lookup table."""
    table: Table = {}
    for state, input_, next_state, *outputs in rows:
        key = (state, input_)
        if key in table:
            raise ValueError(f"two transitions for {key}")
        table[key] = Transition(next_state, tuple(outputs))  # type: ignore[arg-type]
    return table


#: ``observer(transaction, old_state, input, new_state)``, for logs, metrics and tests.
Observer = Callable[["Transaction", State, Input, State], None]


class Transaction:
    """
    Runs a machine's :attr:`TABLE`. Inputs are handled to completion one at
    a time: an input raised while another is being handled (a transport
    error reported synchronously by ``send``) waits its turn. On entering a
    state, timers not listed for it in :attr:`TIMERS` are cancelled.
    """

    TABLE: ClassVar[Table]
    TIMERS: ClassVar[dict[State, frozenset[str]]]
    log = Logger()

    def __init__(
        self,
        request: Request,
        transport: ISipTransport,
        destination: Destination,
        clock: IReactorTime,
        settings: TimerSettings,
        initial: State,
    ) -> None:
        self.request = request
        self.transport = transport
        self.destination = destination
        self.clock = clock
        self.settings = settings
        self.state = initial
        self.timers = NamedTimers(clock)
        self.observers: list[Observer] = []
        self.on_terminated: Callable[[Transaction], None] | None = None
        self._queue: list[tuple[Input, object]] = []
        self._busy = False

    @property
    def reliable(self) -> bool:
        return self.destination.is_reliable

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def branch(self) -> str | None:
        return self.request.top_via.branch

    def handle(self, input_: Input, argument: object = None) -> None:
        self._queue.append((input_, argument))
        if self._busy:
            return
        self._busy = True
        try:
            while self._queue:
                self._step(*self._queue.pop(0))
        finally:
            self._busy = False

    def _step(self, input_: Input, argument: object) -> None:
        old = self.state
        transition = self.TABLE.get((old, input_))
        if transition is None:
            return
        if transition.next is not old:
            self.state = transition.next
            self.timers.keep_only(self.TIMERS.get(transition.next, frozenset()))
        for observer in self.observers:
            observer(self, old, input_, transition.next)
        for output in transition.outputs:
            getattr(self, output)(argument)
        if transition.next is State.TERMINATED and old is not State.TERMINATED:
            self._queue.clear()
            if self.on_terminated is not None:
                self.on_terminated(self)

    def _start_timer(self, name: str, delay: float) -> None:
        self.timers.start(name, delay, lambda: self.handle(Input[f"TIMER_{name}"]))

    def _send(self, message: Request | Response, destination: Destination | None = None) -> None:
        sent: Deferred[None] = self.transport.send(message, destination or self.destination)
        sent.addErrback(lambda failure: self.handle(Input.TRANSPORT_ERROR, failure.value))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.method} {self.branch} {self.state.value}>"

# -*- test-case-name: tests.store.test_outbox -*-
"""
The transactional outbox: messages written in the same transaction as the change they
report, delivered afterwards with retries that survive restarts.

- :func:`enqueue` runs inside the caller's ``runInteraction``, next to the change.
- :func:`claim` leases due messages to one relay (``FOR UPDATE SKIP LOCKED``: several
  server processes may relay from the same table without delivering a message twice while
  its lease lasts); :func:`delivered` and :func:`retry_later` settle them.
- :class:`OutboxRelay` runs the loop on an injected clock: it wakes on the store's NOTIFY
  (an enqueue in any process) and when the next retry falls due, hands each message to a
  handler, and reschedules failures with :class:`RetryPolicy`'s backoff.

Times are passed in from the caller's clock (never the database's ``now()``), so a test
on ``task.Clock`` decides when a retry is due.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable

import attrs
from twisted.internet import defer
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from voicedock.store.pool import Database, StoreUnavailable

CHANNEL = "voicedock_outbox"


@attrs.frozen
class OutboxMessage:
    """A message leased for delivery: its topic, payload and how often it was tried."""

    id: int
    topic: str
    payload: Any
    organization_id: str | None
    attempts: int
    created_at: datetime


@attrs.frozen
class RetryPolicy:
    """Exponential backoff: ``first_delay * factor**(attempts-1)``, capped; then give up."""

    first_delay: float = 5.0
    factor: float = 2.0
    max_delay: float = 3600.0
    max_attempts: int = 12

    def delay_after(self, attempts: int) -> float | None:
        """Seconds until the next try after ``attempts`` failed ones; None: give up."""
        if attempts >= self.max_attempts:
            return None
        return float(min(self.max_delay, self.first_delay * self.factor ** (attempts - 1)))


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


@defer.inlineCallbacks
def enqueue(cursor: Any, topic: str, payload: Any, organization_id: object = None) -> Any:
    """Inside the caller's transaction: add a message; fires with its id."""
    yield cursor.execute(
        "INSERT INTO outbox (organization_id, topic, payload) VALUES (%s, %s, %s) RETURNING id",
        (str(organization_id) if organization_id is not None else None, topic, json.dumps(payload)),
    )
    return cursor.fetchone()[0]


@defer.inlineCallbacks
def claim(db: Database, now: float, limit: int = 20, lease: float = 60.0) -> Any:
    """Lease up to ``limit`` due messages for ``lease`` seconds; fires with them, oldest first."""
    rows = yield db.runQuery(
        "UPDATE outbox SET leased_until = %(until)s, attempts = attempts + 1"
        " WHERE id IN (SELECT id FROM outbox"
        "   WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= %(now)s"
        "     AND (leased_until IS NULL OR leased_until <= %(now)s)"
        "   ORDER BY next_attempt_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
        " RETURNING id, topic, payload, organization_id, attempts, created_at",
        {"now": _at(now), "until": _at(now + lease), "limit": limit},
    )
    messages = [
        OutboxMessage(r[0], r[1], r[2], str(r[3]) if r[3] is not None else None, r[4], r[5])
        for r in rows
    ]
    return sorted(messages, key=lambda m: m.id)


def delivered(db: Database, message_id: int, now: float) -> defer.Deferred[None]:
    return db.runOperation(
        "UPDATE outbox SET delivered_at = %s, leased_until = NULL, last_error = NULL WHERE id = %s",
        (_at(now), message_id),
    )


def retry_later(db: Database, message_id: int, now: float, delay: float | None, error: str) -> defer.Deferred[None]:
    """Record a failed attempt: due again after ``delay`` seconds, or given up when None."""
    if delay is None:
        return db.runOperation(
            "UPDATE outbox SET failed_at = %s, leased_until = NULL, last_error = %s WHERE id = %s",
            (_at(now), error[:2000], message_id),
        )
    return db.runOperation(
        "UPDATE outbox SET next_attempt_at = %s, leased_until = NULL, last_error = %s WHERE id = %s",
        (_at(now + delay), error[:2000], message_id),
    )


@defer.inlineCallbacks
def next_due(db: Database) -> Any:
    """The earliest ``next_attempt_at`` (unix seconds) of an undelivered message, or None."""
    rows = yield db.runQuery(
        "SELECT extract(epoch FROM min(greatest(next_attempt_at, coalesce(leased_until, next_attempt_at))))"
        " FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL"
    )
    value = rows[0][0]
    return float(value) if value is not None else None


Handler = Callable[[OutboxMessage], "defer.Deferred[Any]"]


class OutboxRelay:
    """
    Delivers outbox messages through ``handler`` (a Deferred: success delivers, failure
    retries). One pass at a time; wakes on NOTIFY, at the next due time, and every
    ``poll_interval`` seconds as a safety net.
    """

    log = Logger(namespace="voicedock.outbox")

    def __init__(
        self,
        db: Database,
        clock: IReactorTime,
        handler: Handler,
        policy: RetryPolicy = RetryPolicy(),
        batch: int = 20,
        lease: float = 60.0,
        poll_interval: float = 30.0,
    ) -> None:
        self.db = db
        self.clock = clock
        self.handler = handler
        self.policy = policy
        self.batch = batch
        self.lease = lease
        self.poll_interval = poll_interval
        self._timer: IDelayedCall | None = None
        self._running: defer.Deferred[Any] | None = None
        self._again = False
        self._stopped = True

    @defer.inlineCallbacks
    def start(self) -> Any:
        self._stopped = False
        yield self.db.listen(CHANNEL, lambda payload: self.wake())
        self.wake()

    def stop(self) -> defer.Deferred[Any]:
        """Stop scheduling; fires once a pass in progress has finished."""
        self._stopped = True
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None
        return self._running if self._running is not None else defer.succeed(None)

    @property
    def busy(self) -> bool:
        """True while a delivery pass is running."""
        return self._running is not None

    def wake(self) -> None:
        """Run a pass now (or right after the one in progress)."""
        if self._stopped:
            return
        if self._running is not None:
            self._again = True
            return
        self._running = self._pass()
        self._running.addBoth(self._passed)

    def _passed(self, result: Any) -> None:
        self._running = None
        if self._again:
            self._again = False
            self.wake()

    def _schedule(self, at: float | None) -> None:
        if self._stopped:
            return
        now = self.clock.seconds()
        delay = self.poll_interval if at is None else min(self.poll_interval, max(0.0, at - now))
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = self.clock.callLater(delay, self.wake)

    @defer.inlineCallbacks
    def _pass(self) -> Any:
        try:
            while not self._stopped:
                messages = yield claim(self.db, self.clock.seconds(), self.batch, self.lease)
                for message in messages:
                    yield self._deliver(message)
                if len(messages) < self.batch:
                    break
            self._schedule((yield next_due(self.db)))
        except StoreUnavailable as e:
            self.log.warn("outbox relay: database unavailable ({why}); retrying", why=str(e))
            self._schedule(None)

    @defer.inlineCallbacks
    def _deliver(self, message: OutboxMessage) -> Any:
        try:
            yield defer.maybeDeferred(self.handler, message)
        except Exception as e:
            delay = self.policy.delay_after(message.attempts)
            why = f"{type(e).__name__}: {e}"
            if delay is None:
                self.log.warn(
                    "outbox message {id} ({topic}) given up after {n} attempts: {why}",
                    id=message.id, topic=message.topic, n=message.attempts, why=why,
                )
            yield retry_later(self.db, message.id, self.clock.seconds(), delay, why)
        else:
            yield delivered(self.db, message.id, self.clock.seconds())

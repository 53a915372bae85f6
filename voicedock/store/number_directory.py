# -*- test-case-name: tests.api.test_number_directory -*-
"""
The number lookup the SIP side routes inbound calls with: dialled user part in, the
registered number with its organization, assistant and transfer trunk out.

Lookups are served from memory. Every change to numbers, assistants, organizations and
trunks fires ``NOTIFY voicedock_routing`` (statement triggers in the schema), in this
process or any other server process sharing the database; the directory LISTENs and drops
its cache on each notification, and after a reconnection of the listener (when
notifications may have been missed). The API also calls :meth:`NumberDirectory.invalidate`
directly after its own writes, so a change it answered is visible here before the
notification even arrives.

A generation counter closes the remaining race: a query that started before an
invalidation still answers its caller but is not cached.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import unquote

import attrs
from twisted.internet import defer
from twisted.logger import Logger

from voicedock.store.pool import Database

CHANNEL = "voicedock_routing"

# RFC 3966 §3 visual separators ("-", ".", "(", ")") plus the spaces and slashes people type.
_SEPARATORS = re.compile(r"[\s\-.()/]")
_E164 = re.compile(r"\+[1-9][0-9]{1,14}\Z")


def normalise_number(dialled: str) -> str | None:
    """
    The E.164 form of a dialled user part (DECISIONS.md: a missing leading ``+`` and
    visual separators are ignored; ``%2B`` escapes and ``;`` parameters are allowed), or
    None when it cannot be an E.164 number.
    """
    text = unquote(dialled).split(";", 1)[0]
    text = _SEPARATORS.sub("", text)
    if not text.startswith("+"):
        text = "+" + text
    return text if _E164.match(text) else None


@attrs.frozen
class RouteTarget:
    """Where a call to a registered number goes."""

    number_id: uuid.UUID
    organization_id: uuid.UUID
    phone_number: str
    number_name: str | None
    number_is_active: bool
    assistant_id: uuid.UUID | None
    assistant_name: str | None
    assistant_is_active: bool
    transfer_trunk_id: uuid.UUID | None

    @property
    def answerable(self) -> bool:
        """An active number with an active assistant (else the call gets 480)."""
        return self.number_is_active and self.assistant_id is not None and self.assistant_is_active


_LOOKUP = (
    "SELECT n.id, n.organization_id, n.phone_number, n.name, n.is_active, n.assistant_id,"
    " a.name, coalesce(a.is_active, false), n.transfer_trunk_id FROM phone_numbers n"
    " LEFT JOIN assistants a ON a.id = n.assistant_id WHERE n.phone_number = %s"
)


def _target(row: tuple[Any, ...]) -> RouteTarget:
    return RouteTarget(
        number_id=uuid.UUID(str(row[0])),
        organization_id=uuid.UUID(str(row[1])),
        phone_number=row[2],
        number_name=row[3],
        number_is_active=row[4],
        assistant_id=None if row[5] is None else uuid.UUID(str(row[5])),
        assistant_name=row[6],
        assistant_is_active=row[7],
        transfer_trunk_id=None if row[8] is None else uuid.UUID(str(row[8])),
    )


class NumberDirectory:
    """A cached lookup of registered numbers, kept fresh by LISTEN/NOTIFY."""

    log = Logger(namespace="voicedock.store")

    def __init__(self, db: Database, max_entries: int = 100_000) -> None:
        self.db = db
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self.notifications = 0
        self._cache: dict[str, RouteTarget | None] = {}
        self._generation = 0
        self._listening = False
        self._pending: dict[str, tuple[int, list[defer.Deferred[Any]]]] = {}

    @defer.inlineCallbacks
    def start(self) -> Any:
        """Subscribe to routing changes; until then every lookup queries the database."""
        yield self.db.listen(CHANNEL, self._changed)
        self.invalidate()
        self._listening = True

    def _changed(self, payload: str) -> None:
        self.notifications += 1
        self.invalidate()

    def invalidate(self) -> None:
        """Forget everything cached (a routing change happened)."""
        self._generation += 1
        self._cache.clear()

    def lookup(self, dialled: str) -> defer.Deferred[RouteTarget | None]:
        """The target for a dialled user part, or None for a number nobody registered."""
        number = normalise_number(dialled)
        if number is None:
            return defer.succeed(None)
        if number in self._cache:
            self.hits += 1
            return defer.succeed(self._cache[number])
        self.misses += 1
        waiter: defer.Deferred[Any] = defer.Deferred()
        pending = self._pending.get(number)
        if pending is not None and pending[0] == self._generation:
            pending[1].append(waiter)
            return waiter
        generation = self._generation
        waiters = [waiter]
        self._pending[number] = (generation, waiters)
        query = self.db.runQuery(_LOOKUP, (number,))
        query.addCallbacks(
            self._answered, self._failed,
            callbackArgs=(number, generation, waiters),
            errbackArgs=(number, generation, waiters),
        )
        return waiter

    def _settle(self, number: str, waiters: list[defer.Deferred[Any]]) -> None:
        current = self._pending.get(number)
        if current is not None and current[1] is waiters:
            del self._pending[number]

    def _answered(self, rows: list[tuple[Any, ...]], number: str, generation: int,
                  waiters: list[defer.Deferred[Any]]) -> None:
        self._settle(number, waiters)
        target = _target(rows[0]) if rows else None
        if self._listening and generation == self._generation:
            if len(self._cache) >= self.max_entries:
                self._cache.pop(next(iter(self._cache)))
            self._cache[number] = target
        for w in waiters:
            w.callback(target)

    def _failed(self, failure: Any, number: str, generation: int,
                waiters: list[defer.Deferred[Any]]) -> None:
        self._settle(number, waiters)
        for w in waiters:
            w.errback(failure)

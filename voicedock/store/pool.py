# -*- test-case-name: tests.store.test_pool -*-
"""
The database connection pool (txpostgres) with reconnection and LISTEN/NOTIFY.

Every pooled connection carries a ``DeadConnectionDetector``: when the server goes away,
queries fail at once with :class:`StoreUnavailable` (the API answers 503) while the
connection reconnects in the background with backoff; when the server is back, queries work
again without a restart. Notifications are received on one dedicated connection that
re-issues its ``LISTEN`` commands after every reconnection.
"""

from __future__ import annotations

from typing import Any, Callable

import psycopg2
from twisted.internet import defer
from twisted.logger import Logger
from txpostgres import reconnection, txpostgres

class StoreUnavailable(Exception):
    """The database cannot be reached right now; the operation was not carried out."""


def _is_connection_failure(failure: Any) -> bool:
    return bool(
        failure.check(
            reconnection.ConnectionDead,
            psycopg2.InterfaceError,
            psycopg2.OperationalError,
            txpostgres.RollbackFailed,
        )
    )


def _translate(failure: Any) -> Any:
    if _is_connection_failure(failure):
        raise StoreUnavailable(str(failure.value).strip() or failure.type.__name__)
    return failure


class _Detector(reconnection.DeadConnectionDetector):
    """Reconnects with backoff capped at 5 s; logs once per outage."""

    log = Logger(namespace="voicedock.store")

    def __init__(self, reactor: Any, name: str) -> None:
        super().__init__(
            reconnectionIterator=lambda: txpostgres_backoff(),
            reactor=reactor,
        )
        self.name = name

    def startReconnecting(self, f: Any) -> None:
        self.log.warn(
            "database connection lost ({name}): {why}; reconnecting",
            name=self.name,
            why=str(f.value).strip(),
        )
        super().startReconnecting(f)

    def connectionRecovered(self) -> Any:
        self.log.info("database connection restored ({name})", name=self.name)
        return super().connectionRecovered()


def txpostgres_backoff() -> Any:
    from txpostgres import retrying

    return retrying.simpleBackoffIterator(
        initialDelay=0.2, maxDelay=5.0, factor=2.0, maxRetries=0, now=True
    )


class _Connection(txpostgres.Connection):
    """A txpostgres connection whose idle socket closing is a connection loss, not a crash."""

    def doRead(self) -> Any:
        try:
            super().doRead()
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as e:
            # Returning the exception makes the reactor call connectionLost with it, which
            # hands it to the detector (reconnect) instead of logging an unhandled error.
            return e
        return None


class Database:
    """A pool of connections to one PostgreSQL database, plus a listener connection."""

    log = Logger(namespace="voicedock.store")

    def __init__(self, reactor: Any, dsn: str, size: int = 4) -> None:
        self.reactor = reactor
        self.dsn = dsn
        self.size = size
        self._pool: txpostgres.ConnectionPool | None = None
        self._listener: txpostgres.Connection | None = None
        self._channels: dict[str, list[Callable[[str], None]]] = {}

    def _connection(self, name: str) -> txpostgres.Connection:
        return _Connection(reactor=self.reactor, detector=_Detector(self.reactor, name))

    @defer.inlineCallbacks
    def start(self) -> Any:
        """Open the pool (and the listener connection); fails if the server is unreachable."""
        database = self

        class Pool(txpostgres.ConnectionPool):
            reactor = database.reactor

            @staticmethod
            def connectionFactory(reactor: Any, cooperator: Any) -> txpostgres.Connection:
                return database._connection("pool")

        self._pool = Pool(None, self.dsn, min=self.size)
        try:
            yield self._pool.start()
        except Exception as e:
            self._pool.close()
            self._pool = None
            cause = getattr(e, "subFailure", None)  # DeferredList's FirstError
            reason = cause.value if cause is not None else e
            if isinstance(reason, (psycopg2.OperationalError, psycopg2.InterfaceError)):
                raise StoreUnavailable(f"cannot connect to the database: {str(reason).strip()}")
            raise
        return self

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def _require_pool(self) -> txpostgres.ConnectionPool:
        if self._pool is None:
            raise StoreUnavailable("the database pool is not started")
        return self._pool

    def runQuery(self, sql: str, params: Any = None) -> defer.Deferred[list[tuple[Any, ...]]]:
        try:
            pool = self._require_pool()
        except StoreUnavailable:
            return defer.fail()
        return pool.runQuery(sql, params).addErrback(_translate)

    def runOperation(self, sql: str, params: Any = None) -> defer.Deferred[None]:
        try:
            pool = self._require_pool()
        except StoreUnavailable:
            return defer.fail()
        return pool.runOperation(sql, params).addErrback(_translate)

    def runInteraction(self, interaction: Callable[..., Any], *args: Any, **kw: Any) -> defer.Deferred[Any]:
        """Run ``interaction(cursor, ...)`` in one transaction: all of it commits or none."""
        try:
            pool = self._require_pool()
        except StoreUnavailable:
            return defer.fail()
        return pool.runInteraction(interaction, *args, **kw).addErrback(_translate)

    # LISTEN/NOTIFY -------------------------------------------------------------------

    @defer.inlineCallbacks
    def listen(self, channel: str, callback: Callable[[str], None]) -> Any:
        """Call ``callback(payload)`` for every NOTIFY on ``channel``, across reconnections."""
        first = channel not in self._channels
        self._channels.setdefault(channel, []).append(callback)
        if self._listener is None:
            detector = _Detector(self.reactor, "listener")
            self._listener = _Connection(reactor=self.reactor, detector=detector)
            self._listener.addNotifyObserver(self._dispatch)
            detector.addRecoveryHandler(self._relisten)
            yield self._listener.connect(self.dsn)
            yield self._relisten()
        elif first:
            yield self._listener.runOperation(f'LISTEN "{channel}"')

    @defer.inlineCallbacks
    def _relisten(self) -> Any:
        assert self._listener is not None
        for channel in self._channels:
            yield self._listener.runOperation(f'LISTEN "{channel}"')
        # Anything may have changed while we were away: tell every listener so caches flush.
        for channel, callbacks in self._channels.items():
            for cb in callbacks:
                cb("*")

    def _dispatch(self, notify: Any) -> None:
        for cb in self._channels.get(notify.channel, []):
            try:
                cb(notify.payload)
            except Exception:
                self.log.failure("notification handler failed for {channel}", channel=notify.channel)

# -*- test-case-name: tests.api.test_conventions -*-
"""
Bearer-key authentication (DECISIONS.md): ``Authorization: Bearer <key>``; a missing,
unknown or revoked key is 401. The principal names the key and its organization; every
query a route makes is scoped by that organization.

Valid keys are cached in memory (by their SHA-256, never the key itself), so a request
costs one database round trip instead of two. Any change to the ``api_keys`` table, by
this process or another (``voicedock keys revoke``), fires ``NOTIFY voicedock_api_keys``
(migration 002) and empties the cache; so does every reconnection of the listener. Until
the LISTEN is in place nothing is cached, and entries also expire after
:data:`CACHE_SECONDS` on the injected clock.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from voicedock.api.errors import unauthorized
from voicedock.store import api_keys
from voicedock.store.api_keys import Principal
from voicedock.store.pool import Database

CHANNEL = "voicedock_api_keys"
CACHE_SECONDS = 300.0
MAX_CACHED = 10_000

log = Logger(namespace="voicedock.api")


def bearer_token(request: Any) -> str | None:
    header = request.getHeader(b"authorization")
    if header is None:
        return None
    try:
        scheme, _, token = header.decode("ascii").strip().partition(" ")
    except UnicodeDecodeError:
        return None
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class Authenticator:
    """Turns a request's bearer key into the :class:`Principal` it acts for."""

    def __init__(self, db: Database, clock: IReactorTime) -> None:
        self.db = db
        self.clock = clock
        self._cache: dict[bytes, tuple[Principal, float]] = {}
        self._generation = 0
        self._listening = False
        self._subscribing = False

    def _subscribe(self) -> None:
        if self._listening or self._subscribing:
            return
        self._subscribing = True

        def listening(_: Any) -> None:
            self._subscribing = False
            self._forget()
            self._listening = True

        def failed(failure: Any) -> None:
            self._subscribing = False
            log.warn("cannot LISTEN for API key changes (keys are not cached): {why}",
                     why=str(failure.value))

        self.db.listen(CHANNEL, lambda payload: self._forget()).addCallbacks(listening, failed)

    def _forget(self) -> None:
        self._generation += 1
        self._cache.clear()

    def _lookup(self, token: str) -> defer.Deferred[Principal | None]:
        # Not inlineCallbacks: a cached key (nearly every request) costs no generator.
        if not api_keys.looks_like_key(token):
            return defer.succeed(None)
        self._subscribe()
        digest = api_keys.hash_key(token)
        now = self.clock.seconds()
        cached = self._cache.get(digest)
        if cached is not None and cached[1] > now:
            return defer.succeed(cached[0])
        generation = self._generation

        def found(principal: Principal | None) -> Principal | None:
            if principal is not None and self._listening and generation == self._generation:
                if len(self._cache) >= MAX_CACHED:
                    self._cache.clear()
                self._cache[digest] = (principal, now + CACHE_SECONDS)
            return principal

        lookup: defer.Deferred[Principal | None] = api_keys.authenticate(self.db, token)
        return lookup.addCallback(found)

    def principal(self, request: Any) -> defer.Deferred[Principal]:
        """The principal; fails with the 401 ``ApiError`` for a missing, unknown or revoked key."""
        token = bearer_token(request)
        if token is None:
            return defer.fail(unauthorized())
        return self._lookup(token).addCallback(_required)

    def optional_principal(self, request: Any) -> defer.Deferred[Principal | None]:
        """The principal when a valid key was sent, else None (never an error)."""
        token = bearer_token(request)
        if token is None:
            return defer.succeed(None)
        return self._lookup(token)


def _required(found: Principal | None) -> Principal:
    if found is None:
        raise unauthorized()
    return found

# -*- test-case-name: tests.api.test_conventions -*-
"""
Bearer-key authentication (DECISIONS.md): ``Authorization: Bearer <key>``; a missing,
unknown or revoked key is 401. The principal names the key and its organization; every
query a route makes is scoped by that organization.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer

from voicedock.api.errors import unauthorized
from voicedock.store import api_keys
from voicedock.store.api_keys import Principal
from voicedock.store.pool import Database


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

    def __init__(self, db: Database) -> None:
        self.db = db

    @defer.inlineCallbacks
    def principal(self, request: Any) -> Any:
        """The principal; raises the 401 ``ApiError`` for a missing, unknown or revoked key."""
        token = bearer_token(request)
        if token is None:
            raise unauthorized()
        found: Principal | None = yield api_keys.authenticate(self.db, token)
        if found is None:
            raise unauthorized()
        return found

    @defer.inlineCallbacks
    def optional_principal(self, request: Any) -> Any:
        """The principal when a valid key was sent, else None (never an error)."""
        token = bearer_token(request)
        if token is None:
            return None
        return (yield api_keys.authenticate(self.db, token))

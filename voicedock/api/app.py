# -*- test-case-name: tests.api.test_health -*-
"""The REST API application: routes under ``/api/v1`` (Klein)."""

from __future__ import annotations

import json
from typing import Any

import attrs
from klein import Klein
from twisted.internet import defer
from twisted.internet.interfaces import IReactorTime

from voicedock.secretbox import SecretBox
from voicedock.store.pool import Database, StoreUnavailable


@attrs.frozen
class ApiDependencies:
    """What the API needs from the process: the store, the secret box, settings, a clock."""

    db: Database
    secretbox: SecretBox
    clock: IReactorTime
    rate_limit_per_minute: int = 100


class ApiServer:
    """The Klein application serving the provisioning API."""

    app = Klein()

    def __init__(self, deps: ApiDependencies) -> None:
        self.deps = deps

    def resource(self) -> Any:
        return self.app.resource()

    @app.route("/api/v1/health", methods=["GET"])
    @defer.inlineCallbacks
    def health(self, request: Any) -> Any:
        request.setHeader(b"Content-Type", b"application/json")
        start = self.deps.clock.seconds()
        try:
            yield self.deps.db.runQuery("SELECT 1")
        except StoreUnavailable:
            request.setResponseCode(503)
            return json.dumps({"status": "unavailable", "checks": {"database": {"status": "down"}}})
        latency = round((self.deps.clock.seconds() - start) * 1000, 1)
        return json.dumps({"status": "ok", "checks": {"database": {"status": "up", "latency_ms": latency}}})

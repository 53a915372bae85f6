# -*- test-case-name: tests.api.test_conventions -*-
"""
The REST API application: every resource's operations under ``/api/v1`` on one Klein app,
each run through the shared pipeline (``voicedock.api.routing``), plus JSON answers for
unknown paths (404) and wrong methods on known paths (405).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from klein import Klein
from twisted.internet import defer
from twisted.web.server import Site
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from voicedock import __version__
from voicedock.api.assistants import AssistantRoutes
from voicedock.api.auth import Authenticator
from voicedock.api.deps import ApiDependencies
from voicedock.api.errors import ApiError
from voicedock.api.numbers import NumberRoutes
from voicedock.api.openapi import BASE_PATH, build_document
from voicedock.api.organizations import OrganizationRoutes
from voicedock.api.ratelimit import RateLimiter
from voicedock.api.routing import Call, Operation, Pipeline, Reply, render
from voicedock.api.schema import AnyJson, Field, Object, Ref, String
from voicedock.api.site import make_site
from voicedock.api.trunks import TrunkRoutes
from voicedock.api.usage import UsageRoutes
from voicedock.api.voices import VoiceRoutes
from voicedock.api.wire import timestamp
from voicedock.store.pool import StoreUnavailable

__all__ = ["ApiDependencies", "ApiServer"]

HEALTH = Ref("Health", Object({
    "status": Field(String(enum=["ok", "unavailable"]), required=True),
    "timestamp": Field(String(), required=True),
    "version": Field(String(description="Only when a valid API key is sent")),
    "checks": Field(AnyJson(description="{database: {status, latency_ms}}"), required=True),
}))
OPENAPI = Ref("OpenApiDocument", AnyJson(description="This document"))


def _klein_path(path: str) -> str:
    return BASE_PATH + path.replace("{", "<").replace("}", ">")


class ApiServer:
    """The Klein application serving the provisioning API."""

    def __init__(self, deps: ApiDependencies) -> None:
        self.deps = deps
        self.authenticator = Authenticator(deps.db, deps.clock)
        self.limiter = RateLimiter(deps.clock, deps.rate_limit_per_minute)
        self.pipeline = Pipeline(self.authenticator, self.limiter)
        self.operations: list[Operation] = [
            Operation("GET", "/health", "getHealth", "Health check (no key needed)", "Server",
                      self.health, response=HEALTH, auth=False,
                      other_responses={503: ("The database is unreachable", HEALTH)}),
            Operation("GET", "/openapi.json", "getOpenApi", "This OpenAPI description", "Server",
                      self.openapi, response=OPENAPI, auth=False),
        ]
        for routes in (OrganizationRoutes, NumberRoutes, TrunkRoutes, AssistantRoutes,
                       VoiceRoutes, UsageRoutes):
            self.operations += routes(deps).operations()
        self.document = build_document(self.operations, rate_limited=self.limiter.enabled)
        self.app = Klein()
        self.app.url_map.merge_slashes = False
        for op in self.operations:
            self.app.route(
                _klein_path(op.path), methods=[op.method], endpoint=op.operation_id,
                strict_slashes=False,
            )(self.pipeline.endpoint(op))
        self.app.handle_errors(HTTPException)(self._routing_error)

    def resource(self) -> Any:
        return self.app.resource()

    def site(self) -> Site:
        """An HTTP site for this API that refuses bodies over 1 MiB without buffering them."""
        return make_site(self.resource())

    def _routing_error(self, request: Any, failure: Any) -> bytes:
        error = failure.value
        if isinstance(error, MethodNotAllowed):
            allowed = sorted(set(error.valid_methods or ()))
            api_error = ApiError(
                "method_not_allowed",
                f"{request.method.decode('latin-1')} is not allowed here; use {', '.join(allowed)}.",
                headers={"Allow": ", ".join(allowed)},
            )
        elif isinstance(error, NotFound):
            api_error = ApiError(
                "not_found",
                f"There is no endpoint {request.path.decode('latin-1')}; "
                f"see {BASE_PATH}/openapi.json.",
            )
        else:
            api_error = ApiError("invalid_request", f"The request could not be routed ({error.code}).")
        return render(request, api_error.status, api_error.body(), api_error.headers)

    @defer.inlineCallbacks
    def health(self, call: Call) -> Any:
        clock = self.deps.clock
        start = clock.seconds()
        body: dict[str, Any] = {"status": "ok"}
        try:
            yield self.deps.db.runQuery("SELECT 1")
        except StoreUnavailable:
            body["status"] = "unavailable"
            body["checks"] = {"database": {"status": "unavailable"}}
        else:
            latency = round((clock.seconds() - start) * 1000, 1)
            body["checks"] = {"database": {"status": "ok", "latency_ms": latency}}
        body["timestamp"] = _now(clock)
        if body["status"] != "ok":
            return Reply(503, body)
        try:
            principal = yield self.authenticator.optional_principal(call.request)
        except StoreUnavailable:
            principal = None
        if principal is not None:
            body["version"] = __version__
        return body

    def openapi(self, call: Call) -> Any:
        return self.document


def _now(clock: Any) -> str:
    return timestamp(datetime.fromtimestamp(clock.seconds(), timezone.utc)) or ""

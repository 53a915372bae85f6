# -*- test-case-name: tests.api.test_conventions -*-
"""
Operations and the request pipeline every route goes through.

An :class:`Operation` declares one method on one path: its handler, its request body and
query schemas, its success response schema and the error codes it may answer. The same
declarations drive the pipeline below and ``voicedock.api.openapi``.

Pipeline, in order (each step's answer is an error of DECISIONS.md's flat shape):
authentication (401; 503 when the store is down) -> rate limit (429; the
``X-RateLimit-*`` headers from here on) -> body (413, 415, 400) -> validation (400) ->
the handler (404, 409, 422, 503) -> the success status with its envelope.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import attrs
from twisted.internet import defer
from twisted.logger import Logger

from voicedock.api.auth import Authenticator
from voicedock.api.errors import ApiError, internal_error, invalid_request, service_unavailable
from voicedock.api.ratelimit import RateLimiter
from voicedock.api.schema import Object, Schema, ValidationError
from voicedock.api.wire import dump_json, read_json_body
from voicedock.store.api_keys import Principal
from voicedock.store.pool import StoreUnavailable

log = Logger(namespace="voicedock.api")


@attrs.frozen
class QueryParam:
    """A query-string parameter: its schema validates the value parsed from text."""

    name: str
    schema: Schema
    parse: Callable[[str], Any] = str
    description: str = ""


@attrs.frozen
class Call:
    """One authenticated request as a handler sees it."""

    request: Any
    principal: Principal | None
    path: Mapping[str, str]
    body: dict[str, Any] | None
    query: Mapping[str, Any]

    @property
    def organization_id(self) -> Any:
        assert self.principal is not None
        return self.principal.organization_id


Handler = Callable[[Call], Any]


@attrs.frozen
class Reply:
    """A handler's answer when its status is not the operation's usual one."""

    status: int
    body: Any


@attrs.frozen
class Operation:
    """One method on one path, declared once for the pipeline and the OpenAPI document."""

    method: str
    path: str  # relative to /api/v1, OpenAPI style: /numbers/{id}
    operation_id: str
    summary: str
    tag: str
    handler: Handler
    response: Schema | None = None
    status: int = 200
    body: Object | None = None
    partial: bool = False  # PATCH: validate only the fields sent
    query: Sequence[QueryParam] = ()
    errors: Sequence[str] = ()  # codes beyond the ones every authenticated call may give
    auth: bool = True
    deprecated: bool = False
    description: str = ""
    # Answers that are not errors in the flat shape: status -> (description, body schema).
    other_responses: Mapping[int, tuple[str, Schema]] = attrs.field(factory=dict)

    def aliased(self, old: str, new: str, suffix: str) -> "Operation":
        """The same operation under another path prefix (``/agents`` for ``/assistants``)."""
        return attrs.evolve(
            self,
            path=new + self.path[len(old):],
            operation_id=self.operation_id + suffix,
            deprecated=True,
            description=f"Deprecated alias of `{self.method} {self.path}`.",
        )


def _parse_query(request: Any, params: Sequence[QueryParam]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    args = request.args or {}
    for param in params:
        values = args.get(param.name.encode("ascii"))
        if not values:
            continue
        try:
            text = values[0].decode("utf-8")
        except UnicodeDecodeError:
            raise invalid_request(f"The query parameter `{param.name}` is not valid UTF-8.", param.name)
        try:
            parsed = param.parse(text)
        except ValueError as e:
            raise invalid_request(f"The query parameter `{param.name}`: {e}", param.name)
        try:
            out[param.name] = param.schema.validate(parsed, param.name)
        except ValidationError as e:
            raise invalid_request(e.message, param.name)
    return out


class Pipeline:
    """Runs operations: auth, rate limit, body, validation, handler, JSON rendering."""

    def __init__(self, authenticator: Authenticator, limiter: RateLimiter) -> None:
        self.authenticator = authenticator
        self.limiter = limiter

    def endpoint(self, operation: Operation) -> Callable[..., Any]:
        def run(request: Any, **path: str) -> Any:
            return self.run(operation, request, path)

        run.__name__ = operation.operation_id
        return run

    @defer.inlineCallbacks
    def run(self, operation: Operation, request: Any, path: Mapping[str, str]) -> Any:
        headers: dict[str, str] = {}
        try:
            principal = None
            if operation.auth:
                principal = yield self.authenticator.principal(request)
                if self.limiter.enabled:
                    decision = self.limiter.hit(principal.key_id)
                    headers.update(decision.headers())
                    if not decision.allowed:
                        raise ApiError(
                            "rate_limit_exceeded",
                            f"Too many requests. Please retry after {decision.retry_after} seconds.",
                            headers={"Retry-After": str(decision.retry_after)},
                            extra={"retry_after": decision.retry_after},
                        )
            body = None
            if operation.body is not None:
                raw = read_json_body(request)
                body = operation.body.validate(raw, "", partial=operation.partial)
            query = _parse_query(request, operation.query)
            call = Call(request, principal, path, body, query)
            result = yield operation.handler(call)
            status = operation.status
            if isinstance(result, Reply):
                status, result = result.status, result.body
        except ValidationError as e:
            status, result = _error(invalid_request(e.message, e.param), headers)
        except ApiError as e:
            status, result = _error(e, headers)
        except StoreUnavailable:
            status, result = _error(service_unavailable(), headers)
        except defer.CancelledError:
            raise
        except Exception:
            log.failure("{method} {path} failed", method=operation.method, path=operation.path)
            status, result = _error(internal_error(), headers)
        return render(request, status, result, headers)


def _error(error: ApiError, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    headers.update(error.headers)
    return error.status, error.body()


def render(request: Any, status: int, payload: Any, headers: Mapping[str, str] = {}) -> bytes:
    body = dump_json(payload)
    request.setResponseCode(status)
    request.setHeader(b"Content-Type", b"application/json")
    request.setHeader(b"Content-Length", b"%d" % len(body))
    request.setHeader(b"Cache-Control", b"no-store")
    for name, value in headers.items():
        request.setHeader(name.encode("ascii"), value.encode("ascii"))
    return body

# -*- test-case-name: tests.api.test_openapi -*-
"""
``GET /api/v1/openapi.json``: the OpenAPI 3.1 description, generated from the same
:class:`~voicedock.api.routing.Operation` declarations and schemas the server validates
and answers with, so the two cannot drift.
"""

from __future__ import annotations

from typing import Any, Sequence

from voicedock.api.errors import CODES
from voicedock.api.routing import Operation
from voicedock.api.schema import Ref

API_VERSION = "1"
BASE_PATH = "/api/v1"

_RATE_HEADERS = {
    "X-RateLimit-Limit": "Requests allowed per minute for this key",
    "X-RateLimit-Remaining": "Requests left in the current minute",
    "X-RateLimit-Reset": "When the current minute ends (unix seconds)",
}


def _header_components() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, description in _RATE_HEADERS.items():
        for required in (True, False):
            out[name + ("" if required else "-Optional")] = {
                "description": description, "required": required,
                "schema": {"type": "string", "pattern": "^[0-9]+$"},
            }
    out["Retry-After"] = {"description": "Seconds to wait before retrying", "required": True,
                          "schema": {"type": "string", "pattern": "^[0-9]+$"}}
    return out


def _headers(rate_limited: bool, retry_after: bool = False, rate_required: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if rate_limited:
        for name in _RATE_HEADERS:
            component = name + ("" if rate_required else "-Optional")
            out[name] = {"$ref": f"#/components/headers/{component}"}
    if retry_after:
        out["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
    return out


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


_ERROR_REF = {"$ref": "#/components/schemas/Error"}

# Codes every authenticated operation may answer, and those every operation with a body may.
_AUTH_CODES = ("unauthorized", "rate_limit_exceeded", "service_unavailable")
_BODY_CODES = ("invalid_request", "payload_too_large", "unsupported_media_type")


def _error_responses(op: Operation, rate_limited: bool) -> dict[str, Any]:
    codes: list[str] = []
    if op.auth:
        codes += _AUTH_CODES
    if op.body is not None:
        codes += _BODY_CODES
    codes += op.errors
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(CODES[code][0], [])
        if code not in by_status[CODES[code][0]]:
            by_status[CODES[code][0]].append(code)
    out: dict[str, Any] = {}
    for status, names in sorted(by_status.items()):
        response: dict[str, Any] = {
            "description": " or ".join(names),
            "content": _json(_ERROR_REF),
        }
        if status == 401:
            headers: dict[str, Any] = {}
        elif status == 503:
            headers = _headers(rate_limited, retry_after=True, rate_required=False)
        else:
            headers = _headers(rate_limited and op.auth, retry_after=(status == 429))
        if headers:
            response["headers"] = headers
        out[str(status)] = response
    return out


def _operation(op: Operation, rate_limited: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.tag],
    }
    if op.description:
        out["description"] = op.description
    if op.deprecated:
        out["deprecated"] = True
    out["security"] = [{"bearerAuth": []}] if op.auth else []
    parameters = []
    if "{id}" in op.path:
        parameters.append({"name": "id", "in": "path", "required": True,
                           "description": "The resource's id (a UUID)", "schema": {"type": "string"}})
    for q in op.query:
        parameters.append({"name": q.name, "in": "query", "required": False,
                           "description": q.description, "schema": q.schema.json_schema()})
    if parameters:
        out["parameters"] = parameters
    if op.body is not None:
        name = f"{op.body.name}{'Update' if op.partial else 'Create'}"
        out["requestBody"] = {
            "required": True,
            "content": _json({"$ref": f"#/components/schemas/{name}"}),
        }
    success: dict[str, Any] = {"description": "Success"}
    if op.response is not None:
        success["content"] = _json(op.response.json_schema())
    headers = _headers(rate_limited and op.auth)
    if headers:
        success["headers"] = headers
    out["responses"] = {str(op.status): success, **_error_responses(op, rate_limited)}
    for status, (description, schema) in op.other_responses.items():
        out["responses"][str(status)] = {"description": description, "content": _json(schema.json_schema())}
    return out


def _references(value: Any) -> set[str]:
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                found.add(ref.rsplit("/", 1)[1])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def build_document(operations: Sequence[Operation], rate_limited: bool) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document for these operations."""
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, rate_limited)
        if op.body is not None:
            name = f"{op.body.name}{'Update' if op.partial else 'Create'}"
            schemas[name] = op.body.json_schema(partial=op.partial)
    # The named schemas the paths use, and the ones those use, and so on.
    pending = _references(paths) | _references(schemas)
    while pending:
        name = pending.pop()
        if name not in schemas:
            schemas[name] = Ref.registry[name].json_schema()
            pending |= _references(schemas[name])
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "VoiceDock API",
            "version": API_VERSION,
            "description": (
                "Provisioning API of a VoiceDock server: phone numbers, SIP trunks, assistants. "
                "Errors are flat: {error, message, code, type, param}. Request bodies are JSON "
                "objects of at most 1 MiB; no string in them may contain U+0000 (NUL) or an "
                "unpaired surrogate (400). Fields the platform documents for a later release are "
                "accepted and stored; references to kinds of resources this server does not have "
                "yet (workflows, MCP servers, analysis templates) are 422 unknown_reference."
            ),
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": BASE_PATH}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "headers": _header_components() if rate_limited else {},
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "An API key: Authorization: Bearer vd_live_..."},
            },
        },
    }

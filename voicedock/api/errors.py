# -*- test-case-name: tests.api.test_conventions -*-
"""
API errors and their flat wire form (DECISIONS.md, "Errors are flat"):

    {"error": "<short title>", "message": "<one sentence>", "code": "<machine code>",
     "type": "<the same code>", "param": "<field, when one field is at fault>"}

The official client shows ``error`` as the exception text and reads ``type`` as the code.
"""

from __future__ import annotations

from typing import Any

# code -> (HTTP status, short title)
CODES: dict[str, tuple[int, str]] = {
    "invalid_request": (400, "Invalid request"),
    "unauthorized": (401, "Unauthorized"),
    "not_found": (404, "Not found"),
    "method_not_allowed": (405, "Method not allowed"),
    "conflict": (409, "Conflict"),
    "call_not_active": (409, "Call not active"),
    "payload_too_large": (413, "Payload too large"),
    "unsupported_media_type": (415, "Unsupported media type"),
    "unknown_reference": (422, "Unknown reference"),
    "rate_limit_exceeded": (429, "Rate limit exceeded"),
    "internal_error": (500, "Internal error"),
    "service_unavailable": (503, "Service unavailable"),
}


class ApiError(Exception):
    """An error answer: raise it anywhere in a handler and the pipeline renders it."""

    def __init__(
        self,
        code: str,
        message: str,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status, self.title = CODES[code]
        self.message = message
        self.param = param
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "error": self.title,
            "message": self.message,
            "code": self.code,
            "type": self.code,
        }
        if self.param is not None:
            out["param"] = self.param
        out.update(self.extra)
        return out


def invalid_request(message: str, param: str | None = None) -> ApiError:
    return ApiError("invalid_request", message, param)


def not_found(what: str) -> ApiError:
    return ApiError("not_found", f"No {what} with this id exists in your organization.")


def unknown_reference(param: str, message: str) -> ApiError:
    return ApiError("unknown_reference", message, param)


def conflict(message: str, param: str | None = None) -> ApiError:
    return ApiError("conflict", message, param)


def unauthorized() -> ApiError:
    return ApiError(
        "unauthorized",
        "Invalid or missing API key: send it as 'Authorization: Bearer <key>'.",
        headers={"WWW-Authenticate": 'Bearer realm="voicedock"'},
    )


def service_unavailable() -> ApiError:
    return ApiError(
        "service_unavailable",
        "The database is unreachable right now; retry in a few seconds.",
        headers={"Retry-After": "5"},
    )


def internal_error() -> ApiError:
    return ApiError("internal_error", "The server failed to handle this request; it has been logged.")

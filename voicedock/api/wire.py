# -*- test-case-name: tests.api.test_conventions -*-
"""
Wire conventions shared by every route: JSON request bodies (size limit, media type,
strict parsing) and JSON responses, timestamps and ids.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timezone
from typing import Any

import attrs

from voicedock.api.errors import ApiError, invalid_request

MAX_BODY_BYTES = 1024 * 1024

# Characters PostgreSQL cannot store in text or jsonb, and halves of UTF-16 pairs that
# cannot be encoded as UTF-8: refused wherever they appear in a body.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def timestamp(value: datetime | None) -> str | None:
    """ISO-8601 UTC with milliseconds and ``Z``: ``2025-12-13T10:00:00.000Z``."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    elif value.utcoffset():
        value = value.astimezone(timezone.utc)
    return value.isoformat(timespec="milliseconds")[:-6] + "Z"


def parse_uuid(text: str) -> uuid.UUID | None:
    """The id in a path segment, or None when it cannot be an id (answered as 404)."""
    try:
        return uuid.UUID(text) if len(text) == 36 else None
    except ValueError:
        return None


@attrs.frozen
class EncodedJson:
    """A response body already serialized as UTF-8 JSON (``voicedock.api.json_rows``)."""

    data: bytes


# Made once: json.dumps with these options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dump_json(value: Any) -> bytes:
    """Compact UTF-8 JSON (non-ASCII not escaped); an :class:`EncodedJson` as it is."""
    if type(value) is EncodedJson:
        return value.data
    return _ENCODER.encode(value).encode("utf-8")


def _is_json_media_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _too_large() -> ApiError:
    return ApiError(
        "payload_too_large",
        f"The request body is larger than {MAX_BODY_BYTES} bytes (1 MiB).",
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def body_size(request: Any) -> int:
    """The size of the body received, without reading it."""
    content = request.content
    if content is None:
        return 0
    here = content.tell()
    content.seek(0, 2)
    size = content.tell()
    content.seek(here)
    return size


def read_json_body(request: Any) -> dict[str, Any]:
    """
    The request's JSON object body. 413 over 1 MiB (checked before anything is parsed),
    415 when a body of another declared media type is present, 400 for an empty body,
    malformed JSON, a non-object, or strings PostgreSQL cannot store (NUL, lone
    surrogates).
    """
    if getattr(request, "voicedock_body_too_large", False):
        raise _too_large()
    declared = request.getHeader(b"content-length")
    if declared is not None:
        try:
            if int(declared) > MAX_BODY_BYTES:
                raise _too_large()
        except ValueError:
            pass
    size = body_size(request)
    if size > MAX_BODY_BYTES:
        raise _too_large()
    request.content.seek(0)
    raw = request.content.read()
    if not raw.strip():
        raise invalid_request("This request needs a JSON object body (Content-Type: application/json).")
    content_type = request.getHeader(b"content-type")
    if content_type is not None and not _is_json_media_type(content_type.decode("latin-1")):
        raise ApiError(
            "unsupported_media_type",
            "The body must be JSON: send it with 'Content-Type: application/json'.",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid_request("The body is not valid UTF-8.")
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise invalid_request(f"The body is not valid JSON: {e.msg} (line {e.lineno}, column {e.colno}).")
    except (ValueError, RecursionError) as e:
        raise invalid_request(f"The body is not valid JSON: {e}." if isinstance(e, ValueError)
                              else "The body is nested too deeply.")
    if not isinstance(value, dict):
        raise invalid_request("The body must be a JSON object ({...}).")
    _check_storable(value)
    return value


def _check_storable(value: Any) -> None:
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict):
            for key, sub in item.items():
                where = f"{path}.{key}" if path else key
                if _UNSTORABLE.search(key):
                    raise invalid_request("Field names must not contain NUL characters or unpaired surrogates.")
                stack.append((sub, where))
        elif isinstance(item, list):
            stack.extend((sub, f"{path}[{i}]") for i, sub in enumerate(item))
        elif isinstance(item, str) and _UNSTORABLE.search(item):
            raise invalid_request(
                f"`{path}` must not contain NUL characters or unpaired surrogates.", param=path or None
            )

# -*- test-case-name: tests.api.test_conventions -*-
"""Schemas and helpers every resource shares: ids, timestamps, envelopes, errors."""

from __future__ import annotations

import uuid

from voicedock.api.errors import not_found
from voicedock.api.routing import Call
from voicedock.api.schema import Array, Boolean, Field, Integer, Object, Ref, String
from voicedock.api.validators import E164_HINT, E164_PATTERN, UUID_PATTERN
from voicedock.api.wire import parse_uuid


def _canonical_uuid(text: str) -> str:
    return str(uuid.UUID(text))


def uuid_string(description: str | None = None) -> String:
    return String(
        pattern=UUID_PATTERN, pattern_hint="a UUID", format="uuid",
        check=_canonical_uuid, description=description,
    )


def e164_string(description: str | None = None) -> String:
    return String(pattern=E164_PATTERN, pattern_hint=E164_HINT, description=description)


def text(max_length: int, description: str | None = None, min_length: int = 1) -> String:
    return String(min_length=min_length, max_length=max_length, description=description)


TIMESTAMP = String(
    pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$",
    format="date-time",
    description="ISO-8601 UTC with milliseconds, e.g. 2025-12-13T10:00:00.000Z",
)

SUCCESS = Ref("Success", Object({"success": Field(Boolean(), required=True)}))

ERROR = Ref(
    "Error",
    Object(
        {
            "error": Field(String(description="A short title"), required=True),
            "message": Field(String(description="One sentence a person can act on"), required=True),
            "code": Field(String(description="The machine code"), required=True),
            "type": Field(String(description="The machine code (same as `code`)"), required=True),
            "param": Field(String(description="The field at fault, when one is")),
            "retry_after": Field(Integer(description="Seconds to wait (429 only)")),
        },
        description="The flat error body of every error answer.",
    ),
)


def envelope(name: str, key: str, item: Ref, *more_keys: str) -> Ref:
    """``{"<key>": item}`` (and the same item under ``more_keys``)."""
    fields = {k: Field(item, required=True) for k in (key, *more_keys)}
    return Ref(name, Object(fields))


def list_envelope(name: str, key: str, item: Ref, *more_keys: str) -> Ref:
    fields = {k: Field(Array(item), required=True) for k in (key, *more_keys)}
    return Ref(name, Object(fields))


def path_id(call: Call, what: str) -> uuid.UUID:
    """The ``{id}`` of the path; an id that cannot exist is answered like an unknown one."""
    found = parse_uuid(call.path.get("id", ""))
    if found is None:
        raise not_found(what)
    return found


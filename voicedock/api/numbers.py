# -*- test-case-name: tests.api.test_numbers -*-
"""
``/numbers``: register E.164 numbers, point them at an assistant and a transfer trunk.

Both spellings (DECISIONS.md): requests may say ``agent_id`` for ``assistant_id``;
responses carry both, and ``agent_name`` next to ``assistant_name``.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer

from voicedock.api import errors
from voicedock.api.common import (
    SUCCESS, TIMESTAMP, e164_string, envelope, list_envelope, path_id, text, uuid_string,
)
from voicedock.api.deps import ApiDependencies
from voicedock.api.json_rows import (
    NULL, ObjectTemplate, array_body, json_boolean, json_nullable_string, json_string, object_body,
)
from voicedock.api.routing import Call, Operation
from voicedock.api.schema import Boolean, Field, Nullable, Object, Ref, String
from voicedock.api.wire import EncodedJson
from voicedock.store import numbers as store
from voicedock.store.numbers import PhoneNumber

NUMBER_INPUT = Object(
    {
        "phone_number": Field(e164_string("The number in E.164 form, unique on this server"), required=True),
        "name": Field(Nullable(text(200, "Display name"))),
        "assistant_id": Field(Nullable(uuid_string("The assistant that answers calls; null: calls are not handled"))),
        "transfer_trunk_id": Field(Nullable(uuid_string("SIP trunk used for transfers from this number"))),
        "workflow_id": Field(Nullable(uuid_string(
            "Workflows are not available yet: a non-null value is answered 422 unknown_reference"))),
        "is_active": Field(Boolean(description="An inactive number does not take calls")),
    },
    aliases={"agent_id": "assistant_id"},
    ignored=(
        "id", "organization_id", "org_id", "assistant_name", "agent_name", "business_name",
        "transfer_trunk_name", "workflow_name", "source", "created_at", "updated_at",
    ),
    name="Number",
    example={"phone_number": "+31850835037", "name": "Main Support Line"},
)

_NAME = Nullable(String())
_NUMBER_FIELDS = Object(
    {
        "id": Field(uuid_string(), required=True),
        "phone_number": Field(e164_string(), required=True),
        "name": Field(_NAME, required=True),
        "assistant_id": Field(Nullable(uuid_string()), required=True),
        "agent_id": Field(Nullable(uuid_string("Same as assistant_id")), required=True),
        "assistant_name": Field(_NAME, required=True),
        "agent_name": Field(Nullable(String(description="Same as assistant_name")), required=True),
        "business_name": Field(_NAME, required=True),
        "transfer_trunk_id": Field(Nullable(uuid_string()), required=True),
        "transfer_trunk_name": Field(_NAME, required=True),
        "workflow_id": Field(Nullable(uuid_string()), required=True),
        "workflow_name": Field(_NAME, required=True),
        "is_active": Field(Boolean(), required=True),
        "created_at": Field(TIMESTAMP, required=True),
        "updated_at": Field(TIMESTAMP, required=True),
    }
)
NUMBER = Ref("PhoneNumber", _NUMBER_FIELDS)
NUMBER_ENVELOPE = envelope("NumberEnvelope", "number", NUMBER)
NUMBER_LIST = list_envelope("NumberList", "numbers", NUMBER)


_NUMBER_OBJECT = ObjectTemplate(list(_NUMBER_FIELDS.properties))


def number_json(n: PhoneNumber) -> str:
    """The JSON text of a number, in the order of :data:`NUMBER`'s properties."""
    assistant_id = json_nullable_string(n.assistant_id)
    assistant_name = json_nullable_string(n.assistant_name)
    return _NUMBER_OBJECT.render((
        json_string(n.id),
        json_string(n.phone_number),
        json_nullable_string(n.name),
        assistant_id,
        assistant_id,  # agent_id
        assistant_name,
        assistant_name,  # agent_name
        json_nullable_string(n.business_name),
        json_nullable_string(n.transfer_trunk_id),
        json_nullable_string(n.transfer_trunk_name),
        NULL,  # workflow_id: no workflows yet
        NULL,  # workflow_name
        json_boolean(n.is_active),
        json_string(n.created_at),
        json_string(n.updated_at),
    ))


def _number_body(number: PhoneNumber | None) -> EncodedJson:
    """``{"number": ...}``; 404 when there is no such number."""
    if number is None:
        raise errors.not_found("phone number")
    return object_body("number", number_json(number))


_REFERENCE_MESSAGES = {
    "assistant_id": "No assistant with this id exists in your organization.",
    "transfer_trunk_id": "No SIP trunk with this id exists in your organization.",
}


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    if body.pop("workflow_id", None) is not None:
        raise errors.unknown_reference(
            "workflow_id", "VoiceDock has no workflows yet: leave workflow_id out or send null."
        )
    return body


class NumberRoutes:
    """The handlers of ``/numbers``."""

    def __init__(self, deps: ApiDependencies) -> None:
        self.deps = deps

    def operations(self) -> list[Operation]:
        return [
            Operation("GET", "/numbers", "listNumbers", "List phone numbers", "Phone numbers",
                      self.list, response=NUMBER_LIST),
            Operation("POST", "/numbers", "createNumber", "Register a phone number", "Phone numbers",
                      self.create, response=NUMBER_ENVELOPE, status=201, body=NUMBER_INPUT,
                      errors=("conflict", "unknown_reference")),
            Operation("GET", "/numbers/{id}", "getNumber", "Get a phone number", "Phone numbers",
                      self.get, response=NUMBER_ENVELOPE, errors=("not_found",)),
            Operation("PATCH", "/numbers/{id}", "updateNumber", "Update a phone number",
                      "Phone numbers", self.update, response=NUMBER_ENVELOPE, body=NUMBER_INPUT,
                      partial=True, errors=("not_found", "conflict", "unknown_reference")),
            Operation("DELETE", "/numbers/{id}", "deleteNumber", "Delete a phone number",
                      "Phone numbers", self.delete, response=SUCCESS, errors=("not_found",)),
        ]

    def list(self, call: Call) -> Any:
        found = store.list_numbers(self.deps.db, call.organization_id)
        return found.addCallback(lambda numbers: array_body("numbers", map(number_json, numbers)))

    def get(self, call: Call) -> Any:
        found = store.get_number(self.deps.db, call.organization_id, path_id(call, "phone number"))
        return found.addCallback(_number_body)

    @defer.inlineCallbacks
    def _write(self, operation: Any) -> Any:
        try:
            result = yield operation()
        except store.DuplicateNumber:
            raise errors.conflict("This phone number is already registered.", "phone_number")
        except store.UnknownReference as e:
            raise errors.unknown_reference(e.field, _REFERENCE_MESSAGES[e.field])
        self.deps.routing_changed()
        return result

    def create(self, call: Call) -> Any:
        fields = _fields(dict(call.body or {}))
        created = self._write(lambda: store.create_number(self.deps.db, call.organization_id, fields))
        return created.addCallback(_number_body)

    @defer.inlineCallbacks
    def update(self, call: Call) -> Any:
        number_id = path_id(call, "phone number")
        changes = _fields(dict(call.body or {}))
        updated = yield self._write(
            lambda: store.update_number(self.deps.db, call.organization_id, number_id, changes)
        )
        return _number_body(updated)

    @defer.inlineCallbacks
    def delete(self, call: Call) -> Any:
        deleted = yield store.delete_number(self.deps.db, call.organization_id, path_id(call, "phone number"))
        if not deleted:
            raise errors.not_found("phone number")
        self.deps.routing_changed()
        return {"success": True}

# -*- test-case-name: tests.api.test_assistants -*-
"""
``/assistants`` (and its deprecated alias ``/agents``): create, read, partially update
and delete assistants.

PATCH is partial at the top level: an omitted field is left alone, an explicit null
clears it, and a nested config sent (``llm_config``, ``speech_config``, ...) replaces that
config as a whole. ``webhook_secret`` is write-only: sealed with the server's secret box
and answered as ``has_webhook_secret``; so are the tools' webhook secrets
(``voicedock.api.tool_secrets``).
"""

from __future__ import annotations

import uuid
from typing import Any

from twisted.internet import defer

from voicedock.api import errors
from voicedock.api.assistant_schema import (
    ASSISTANT, ASSISTANT_INPUT, CONFIG_FIELDS, check_rules, defaults_for_create,
)
from voicedock.api.common import SUCCESS, envelope, list_envelope, path_id
from voicedock.api.deps import ApiDependencies
from voicedock.api.routing import Call, Operation
from voicedock.api.schema import in_schema_order
from voicedock.api.tool_secrets import present_tool_secrets, seal_tool_secrets
from voicedock.api.wire import timestamp
from voicedock.store import assistants as store
from voicedock.store.assistants import UNCHANGED, AssistantChanges, StoredAssistant

ASSISTANT_ENVELOPE = envelope("AssistantEnvelope", "assistant", ASSISTANT)
ASSISTANT_LIST = list_envelope("AssistantList", "assistants", ASSISTANT)


def assistant_json(a: StoredAssistant) -> dict[str, Any]:
    config = defaults_for_create(present_tool_secrets(dict(a.config)))
    return {
        "id": a.id,
        "name": a.name,
        "is_active": a.is_active,
        **{name: in_schema_order(value, CONFIG_FIELDS[name][0].schema) for name, value in config.items()},
        "has_webhook_secret": a.has_webhook_secret,
        "created_at": timestamp(a.created_at),
        "updated_at": timestamp(a.updated_at),
    }


class AssistantRoutes:
    """The handlers of ``/assistants``."""

    def __init__(self, deps: ApiDependencies) -> None:
        self.deps = deps

    def operations(self) -> list[Operation]:
        tag = "Assistants"
        own = [
            Operation("GET", "/assistants", "listAssistants", "List assistants", tag, self.list,
                      response=ASSISTANT_LIST),
            Operation("POST", "/assistants", "createAssistant", "Create an assistant", tag,
                      self.create, response=ASSISTANT_ENVELOPE, status=201, body=ASSISTANT_INPUT,
                      errors=("unknown_reference",)),
            Operation("GET", "/assistants/{id}", "getAssistant", "Get an assistant", tag, self.get,
                      response=ASSISTANT_ENVELOPE, errors=("not_found",)),
            Operation("PATCH", "/assistants/{id}", "updateAssistant",
                      "Update an assistant (partial at the top level)", tag, self.update,
                      response=ASSISTANT_ENVELOPE, body=ASSISTANT_INPUT, partial=True,
                      errors=("not_found", "unknown_reference")),
            Operation("DELETE", "/assistants/{id}", "deleteAssistant",
                      "Delete an assistant (its numbers get assistant_id null)", tag, self.delete,
                      response=SUCCESS, errors=("not_found",)),
        ]
        return own + [op.aliased("/assistants", "/agents", "Deprecated") for op in own]

    def _seal(self, secret: str | None, assistant_id: uuid.UUID) -> bytes | None:
        if secret is None:
            return None
        return self.deps.secretbox.seal(secret, store.TABLE, assistant_id, store.SECRET_COLUMN)

    @defer.inlineCallbacks
    def list(self, call: Call) -> Any:
        found = yield store.list_assistants(self.deps.db, call.organization_id)
        return {"assistants": [assistant_json(a) for a in found]}

    @defer.inlineCallbacks
    def get(self, call: Call) -> Any:
        found = yield store.get_assistant(self.deps.db, call.organization_id, path_id(call, "assistant"))
        if found is None:
            raise errors.not_found("assistant")
        return {"assistant": assistant_json(found)}

    @defer.inlineCallbacks
    def create(self, call: Call) -> Any:
        body = dict(call.body or {})
        name = body.pop("name")
        is_active = body.pop("is_active", True)
        secret = body.pop("webhook_secret", None)
        config = defaults_for_create(body)
        check_rules(config)
        assistant_id = uuid.uuid4()
        config = seal_tool_secrets(config, None, self.deps.secretbox, assistant_id)
        created = yield store.create_assistant(
            self.deps.db, call.organization_id, assistant_id, name, is_active, config,
            self._seal(secret, assistant_id),
        )
        self.deps.routing_changed()
        return {"assistant": assistant_json(created)}

    @defer.inlineCallbacks
    def update(self, call: Call) -> Any:
        assistant_id = path_id(call, "assistant")
        body = dict(call.body or {})

        def mutate(current: StoredAssistant) -> AssistantChanges:
            name = body.pop("name", UNCHANGED)
            is_active = body.pop("is_active", UNCHANGED)
            secret = body.pop("webhook_secret", UNCHANGED)
            config = UNCHANGED
            if body:
                config = {**defaults_for_create(dict(current.config)), **body}
                check_rules(config)
                if "llm_config" in body:  # the stored tools (and sealed secrets) stay otherwise
                    config = seal_tool_secrets(config, current.config, self.deps.secretbox, assistant_id)
            return AssistantChanges(
                name=name,
                is_active=is_active,
                config=config,
                webhook_secret_ciphertext=(
                    UNCHANGED if secret is UNCHANGED else self._seal(secret, assistant_id)
                ),
            )

        updated = yield store.update_assistant(self.deps.db, call.organization_id, assistant_id, mutate)
        if updated is None:
            raise errors.not_found("assistant")
        self.deps.routing_changed()
        return {"assistant": assistant_json(updated)}

    @defer.inlineCallbacks
    def delete(self, call: Call) -> Any:
        deleted = yield store.delete_assistant(self.deps.db, call.organization_id, path_id(call, "assistant"))
        if not deleted:
            raise errors.not_found("assistant")
        self.deps.routing_changed()
        return {"success": True}

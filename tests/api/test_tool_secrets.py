"""Custom tools' webhook secrets are write-only and encrypted, like ``webhook_secret``."""

from __future__ import annotations

import json
from typing import Any

from twisted.internet import defer

from tests.api.support import ApiTestCase
from voicedock.api.tool_secrets import open_tool_secret


def _tools(*servers: dict[str, Any]) -> dict[str, Any]:
    return {"provider": "local", "tools": [
        {"name": f"tool_{i}", "description": "d", "server": server} for i, server in enumerate(servers)
    ]}


class ToolSecretTests(ApiTestCase):
    @defer.inlineCallbacks
    def test_secret_is_sealed_and_never_answered(self) -> Any:
        secret = "tool-secret-do-not-leak"
        a = yield self.assistant(llm_config=_tools(
            {"url": "https://hooks.example.com/a", "secret": secret},
            {"url": "https://hooks.example.com/b"},
        ))
        servers = [t["server"] for t in a["llm_config"]["tools"]]
        self.assertEqual(servers, [
            {"url": "https://hooks.example.com/a", "has_secret": True},
            {"url": "https://hooks.example.com/b", "has_secret": False},
        ])
        for path in ("/api/v1/assistants", f"/api/v1/assistants/{a['id']}", f"/api/v1/agents/{a['id']}"):
            response = yield self.client.get(path)
            self.assertNotIn(secret.encode(), response.body)
        rows = yield self.db.runQuery("SELECT config::text FROM assistants")
        self.assertNotIn(secret, rows[0][0])
        stored = json.loads(rows[0][0])
        self.assertEqual(open_tool_secret(stored, self.secretbox, a["id"], "tool_0"), secret)

    @defer.inlineCallbacks
    def test_echoing_a_tool_back_keeps_its_secret(self) -> Any:
        a = yield self.assistant(llm_config=_tools({"url": "https://hooks.example.com/a", "secret": "s1"}))
        echoed = dict(a["llm_config"])  # what a client read, sent back with a new temperature
        echoed["temperature"] = 0.2
        response = yield self.client.patch(f"/api/v1/assistants/{a['id']}", {"llm_config": echoed})
        got = self.assertStatus(response, 200)["assistant"]
        self.assertIs(got["llm_config"]["tools"][0]["server"]["has_secret"], True)
        rows = yield self.db.runQuery("SELECT config FROM assistants")
        self.assertEqual(open_tool_secret(rows[0][0], self.secretbox, a["id"], "tool_0"), "s1")

        # another URL, or no has_secret: the old secret is not carried over
        moved = _tools({"url": "https://hooks.example.com/elsewhere", "has_secret": True})
        got = self.assertStatus((yield self.client.patch(f"/api/v1/assistants/{a['id']}", {"llm_config": moved})), 200)
        self.assertIs(got["assistant"]["llm_config"]["tools"][0]["server"]["has_secret"], False)

    @defer.inlineCallbacks
    def test_a_sealed_value_from_a_client_is_refused(self) -> Any:
        response = yield self.client.post("/api/v1/assistants", {"name": "x", "llm_config": _tools(
            {"url": "https://hooks.example.com/a", "sealed_secret": "AAAA"})})
        self.assertError(response, 400, "invalid_request", "llm_config.tools[0].server.sealed_secret")

    @defer.inlineCallbacks
    def test_patching_other_fields_keeps_the_secret(self) -> Any:
        a = yield self.assistant(llm_config=_tools({"url": "https://hooks.example.com/a", "secret": "s1"}))
        got = self.assertStatus((yield self.client.patch(f"/api/v1/assistants/{a['id']}", {"first_message": "Hi"})), 200)
        self.assertIs(got["assistant"]["llm_config"]["tools"][0]["server"]["has_secret"], True)
        rows = yield self.db.runQuery("SELECT config FROM assistants")
        self.assertEqual(open_tool_secret(rows[0][0], self.secretbox, a["id"], "tool_0"), "s1")

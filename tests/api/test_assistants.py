"""``/assistants`` (and ``/agents``): every documented field, defaults, tools, PATCH."""

from __future__ import annotations

import copy
from typing import Any

from twisted.internet import defer

from tests.api.examples import FULL, SEED_TRANSFER_TOOL
from tests.api.support import ApiTestCase, random_id

class AssistantCreateTests(ApiTestCase):
    @defer.inlineCallbacks
    def test_only_name_required_and_local_engines_by_default(self) -> Any:
        assistant = yield self.assistant()
        self.assertEqual(assistant["name"], "Support")
        self.assertEqual(assistant["stt_config"], {"provider": "local", "model": "whisper-tiny.en", "language": "en"})
        self.assertEqual(assistant["llm_config"], {"provider": "local", "model": "smollm2-135m-instruct",
                                                   "temperature": 0.7, "messages": [], "tools": []})
        self.assertEqual(assistant["tts_config"], {"provider": "local", "voice_id": "en_US-joe-medium"})
        self.assertIs(assistant["is_active"], True)
        self.assertEqual(assistant["max_duration_seconds"], 1800)
        self.assertIs(assistant["autonomous_silence_handling"], False)
        self.assertIs(assistant["has_webhook_secret"], False)
        for key in ("first_message", "webhook_url", "analysis_plan", "speech_config", "recording_consent"):
            self.assertIsNone(assistant[key], key)
        response = yield self.client.post("/api/v1/assistants", {})
        self.assertError(response, 400, "invalid_request", "name")

    @defer.inlineCallbacks
    def test_every_documented_field_is_stored_and_answered(self) -> Any:
        assistant = yield self.create("/api/v1/assistants", FULL, "assistant")
        got = self.assertStatus((yield self.client.get(f"/api/v1/assistants/{assistant['id']}")), 200)["assistant"]
        self.assertEqual(got, assistant)
        for key, value in FULL.items():
            if key in ("llm_config", "tts_config"):
                continue
            self.assertEqual(got[key], value, key)
        self.assertEqual(got["tts_config"], {**FULL["tts_config"]})
        llm = got["llm_config"]
        self.assertEqual(llm["tools"][0]["name"], "lookup_contact")
        self.assertIs(llm["tools"][1]["async"], False)
        self.assertEqual(llm["tools"][3], SEED_TRANSFER_TOOL)
        self.assertEqual({k: llm[k] for k in ("provider", "model", "temperature", "max_completion_tokens")},
                         {"provider": "openai", "model": "gpt-4.1-mini", "temperature": 0.3,
                          "max_completion_tokens": 512})

    @defer.inlineCallbacks
    def test_realtime_model_needs_no_stt_or_tts(self) -> Any:
        assistant = yield self.assistant(llm_config={
            "provider": "xai_realtime", "voice": "eve",
            "turn_detection": {"threshold": 3, "silence_duration_ms": 10},
            "provider_tools": [{"type": "web_search"}, {"type": "file_search", "vector_store_ids": ["vs_1"]}],
        })
        self.assertIsNone(assistant["stt_config"])
        self.assertIsNone(assistant["tts_config"])
        llm = assistant["llm_config"]
        self.assertEqual(llm["model"], "grok-voice-think-fast-2.0")
        self.assertEqual(llm["turn_detection"], {"threshold": 1, "silence_duration_ms": 100})
        response = yield self.client.post("/api/v1/assistants", {"name": "x", "tts_config": None})
        self.assertError(response, 400, "invalid_request", "tts_config")

    @defer.inlineCallbacks
    def test_seed_tool_snippet_without_provider_means_local(self) -> Any:
        assistant = yield self.assistant(llm_config={"tools": [SEED_TRANSFER_TOOL]})
        self.assertEqual(assistant["llm_config"]["provider"], "local")
        self.assertEqual(assistant["llm_config"]["tools"], [SEED_TRANSFER_TOOL])
        path = f"/api/v1/assistants/{assistant['id']}"
        body = self.assertStatus((yield self.client.patch(path, {"stt_config": {"language": "nl"},
                                                                 "tts_config": {"speed": 1.2}})), 200)
        self.assertEqual(body["assistant"]["stt_config"], {"provider": "local", "model": "whisper-tiny.en",
                                                           "language": "nl"})
        self.assertEqual(body["assistant"]["tts_config"], {"provider": "local", "voice_id": "en_US-joe-medium",
                                                           "speed": 1.2})

    @defer.inlineCallbacks
    def test_provider_spellings(self) -> Any:
        assistant = yield self.assistant(tts_config={"provider": "11labs", "voice_id": "abc"})
        self.assertEqual(assistant["tts_config"], {"provider": "elevenlabs", "voice_id": "abc",
                                                   "model": "eleven_flash_v2_5"})
        assistant = yield self.assistant(llm_config={"provider": "mistral", "tools": [
            {"type": "endCall"}, {"type": "transferCall", "destinations": [
                {"number": "sip:desk@pbx.example.com", "description": "desk"}]}]})
        tools = assistant["llm_config"]["tools"]
        self.assertEqual(tools[0], {"type": "end_call"})
        self.assertEqual(tools[1]["type"], "transfer_call")
        self.assertEqual(tools[1]["destinations"][0]["type"], "number")


class AssistantValidationTests(ApiTestCase):
    @defer.inlineCallbacks
    def _refused(self, fields: dict[str, Any], param: str, status: int = 400,
                 code: str = "invalid_request") -> Any:
        response = yield self.client.post("/api/v1/assistants", {"name": "x", **fields})
        return self.assertError(response, status, code, param)

    @defer.inlineCallbacks
    def test_llm_config(self) -> Any:
        for temperature in (-0.1, 2.01, "hot", None):
            yield self._refused({"llm_config": {"provider": "openai", "temperature": temperature}},
                                "llm_config.temperature")
        yield self._refused({"llm_config": {"provider": "skynet"}}, "llm_config.provider")
        yield self._refused({"llm_config": {"provider": None}}, "llm_config.provider")
        yield self._refused({"llm_config": {"provider": "openai", "model": "gpt-2"}}, "llm_config.model")
        yield self._refused({"llm_config": {"provider": "xai", "max_completion_tokens": 5}},
                            "llm_config.max_completion_tokens")
        yield self._refused({"llm_config": {"provider": "openai", "max_completion_tokens": 0}},
                            "llm_config.max_completion_tokens")
        yield self._refused({"llm_config": {"provider": "local", "messages": [{"role": "robot", "content": "x"}]}},
                            "llm_config.messages[0].role")
        yield self._refused({"llm_config": None}, "llm_config")

    @defer.inlineCallbacks
    def test_transfer_destinations(self) -> Any:
        for number in ("0612345678", "+0612345678", "tel:+31612345678", "sip:", "sip:@", "sip:a b@host",
                       "sip:desk@bad_host", "+31 6 12345678"):
            tool = {"type": "transfer_call", "destinations": [{"type": "number", "number": number,
                                                               "description": "d"}]}
            yield self._refused({"llm_config": {"provider": "local", "tools": [tool]}},
                                "llm_config.tools[0].destinations[0].number")
        for number in ("+31612345678", "sip:support@pbx.example.com", "sips:desk@10.0.0.1:5061",
                       "sip:[2001:db8::1]:5060;transport=tcp", "sip:200@pbx.example.com;user=phone"):
            tool = {"type": "transfer_call", "destinations": [{"number": number, "description": "d"}]}
            yield self.assistant(llm_config={"provider": "local", "tools": [tool]})
        yield self._refused({"llm_config": {"provider": "local", "tools": [
            {"type": "transfer_call", "destinations": []}]}}, "llm_config.tools[0].destinations")
        yield self._refused({"llm_config": {"provider": "local", "tools": [
            {"type": "transfer_call", "destinations": [{"number": "+31612345678"}]}]}},
            "llm_config.tools[0].destinations[0].description")

    @defer.inlineCallbacks
    def test_tools(self) -> Any:
        def tools(*items: Any) -> dict[str, Any]:
            return {"llm_config": {"provider": "local", "tools": list(items)}}

        yield self._refused(tools({"type": "teleport"}), "llm_config.tools[0]")
        yield self._refused(tools({"name": "1bad", "description": "d"}), "llm_config.tools[0].name")
        yield self._refused(tools({"name": "ok"}), "llm_config.tools[0].description")
        yield self._refused(tools({"name": "a", "description": "d"}, {"type": "function", "function": {"name": "a"}}),
                            "llm_config.tools[1].name")
        yield self._refused(tools({"name": "a", "description": "d", "url": "ftp://x"}), "llm_config.tools[0].url")
        yield self._refused(tools({"type": "end_call", "destinations": []}), "llm_config.tools[0].destinations")
        yield self._refused(tools({"type": "mcp", "mcp_server_id": random_id()}),
                            "llm_config.tools[0].mcp_server_id", 422, "unknown_reference")
        yield self._refused(tools(*[{"type": "end_call"}] * 65), "llm_config.tools")

    @defer.inlineCallbacks
    def test_top_level_fields(self) -> Any:
        cases = [
            ({"max_duration_seconds": 0}, "max_duration_seconds"),
            ({"max_duration_seconds": 2.5}, "max_duration_seconds"),
            ({"webhook_url": "not a url"}, "webhook_url"),
            ({"webhook_url": "https://exa mple.com/"}, "webhook_url"),
            ({"webhook_events": ["call-started"]}, "webhook_events[0]"),
            ({"webhook_events": ["tool-calls", "tool-calls"]}, "webhook_events[1]"),
            ({"notification_emails": ["a@example.com"] * 6}, "notification_emails"),
            ({"notification_email": "nobody"}, "notification_email"),
            ({"gdpr_mode": "on"}, "gdpr_mode"),
            ({"is_active": None}, "is_active"),
            ({"name": ""}, "name"),
            ({"stt_config": {"provider": "deepgram", "language": "xx"}}, "stt_config.language"),
            ({"stt_config": {"provider": "deepgram", "endpointing": 6000}}, "stt_config.endpointing"),
            ({"tts_config": {"provider": "elevenlabs"}}, "tts_config.voice_id"),
            ({"tts_config": {"provider": "google", "voice_id": "Robot"}}, "tts_config.voice_id"),
            ({"speech_config": {"turn_taking": {"endpointing_min_delay": 3, "endpointing_max_delay": 1}}},
             "speech_config.turn_taking.endpointing_max_delay"),
            ({"speech_config": {"silence": {"messages": ["x"] * 6}}}, "speech_config.silence.messages"),
            ({"speech_config": {"mood": "happy"}}, "speech_config.mood"),
            ({"recording_consent": {"enabled": True}}, "recording_consent.message"),
            ({"analysis_plan": {"structured_data_plan": {"enabled": "yes"}}},
             "analysis_plan.structured_data_plan.enabled"),
            ({"personality": "cheerful"}, "personality"),
        ]
        for fields, param in cases:
            yield self._refused(fields, param)
        yield self._refused({"analysis_plan": {"structured_data_plan": {"template_id": random_id()}}},
                            "analysis_plan.structured_data_plan.template_id", 422, "unknown_reference")


class AssistantUpdateTests(ApiTestCase):
    @defer.inlineCallbacks
    def test_patch_is_partial_at_the_top_level(self) -> Any:
        assistant = yield self.create("/api/v1/assistants", FULL, "assistant")
        path = f"/api/v1/assistants/{assistant['id']}"
        body = self.assertStatus((yield self.client.patch(path, {"first_message": None})), 200)["assistant"]
        expected = copy.deepcopy(assistant)
        expected["first_message"] = None
        expected["updated_at"] = body["updated_at"]
        self.assertEqual(body, expected)
        # A nested config replaces the whole config: the omitted temperature is the default again.
        body = self.assertStatus((yield self.client.patch(path, {"llm_config": {"provider": "openai"}})),
                                 200)["assistant"]
        self.assertEqual(body["llm_config"], {"provider": "openai", "model": "gpt-5.4", "temperature": 0.7,
                                              "messages": [], "tools": []})
        self.assertEqual(body["stt_config"], FULL["stt_config"])
        body = self.assertStatus((yield self.client.patch(path, {"name": "Renamed", "is_active": False})),
                                 200)["assistant"]
        self.assertEqual((body["name"], body["is_active"]), ("Renamed", False))
        self.assertEqual(body["business_name"], "Acme B.V.")

    @defer.inlineCallbacks
    def test_patch_rules_apply_to_the_merged_result(self) -> Any:
        assistant = yield self.assistant(llm_config={"provider": "openai_live"})
        path = f"/api/v1/assistants/{assistant['id']}"
        self.assertIsNone(assistant["tts_config"])
        response = yield self.client.patch(path, {"llm_config": {"provider": "openai"}})
        self.assertError(response, 400, "invalid_request", "stt_config")
        response = yield self.client.patch(path, {"llm_config": {"provider": "openai"},
                                                  "stt_config": {"provider": "local"},
                                                  "tts_config": {"provider": "local"}})
        self.assertStatus(response, 200)
        response = yield self.client.patch(path, {"speech_config": {"turn_taking": {"endpointing_max_delay": 0.2}}})
        self.assertError(response, 400, "invalid_request", "speech_config.turn_taking.endpointing_max_delay")
        unchanged = self.assertStatus((yield self.client.get(path)), 200)["assistant"]
        self.assertIsNone(unchanged["speech_config"])

    @defer.inlineCallbacks
    def test_webhook_secret_is_write_only_and_sealed(self) -> Any:
        secret = "whsec-very-private-123"
        response = yield self.client.post("/api/v1/assistants", {"name": "x", "webhook_secret": secret})
        self.assertNotIn(secret.encode(), response.body)
        assistant = self.assertStatus(response, 201)["assistant"]
        self.assertIs(assistant["has_webhook_secret"], True)
        self.assertNotIn("webhook_secret", assistant)
        rows = yield self.db.runQuery("SELECT webhook_secret_ciphertext, a::text FROM assistants a")
        self.assertNotIn(secret, rows[0][1])
        self.assertEqual(self.secretbox.open(bytes(rows[0][0]), "assistants", assistant["id"],
                                             "webhook_secret_ciphertext"), secret)
        path = f"/api/v1/assistants/{assistant['id']}"
        body = self.assertStatus((yield self.client.patch(path, {"name": "y"})), 200)["assistant"]
        self.assertIs(body["has_webhook_secret"], True)
        body = self.assertStatus((yield self.client.patch(path, {"webhook_secret": None})), 200)["assistant"]
        self.assertIs(body["has_webhook_secret"], False)

    @defer.inlineCallbacks
    def test_agents_alias(self) -> Any:
        response = yield self.client.post("/api/v1/agents", {"name": "Old client"})
        created = self.assertStatus(response, 201)["assistant"]
        got = self.assertStatus((yield self.client.get(f"/api/v1/assistants/{created['id']}")), 200)
        self.assertEqual(got["assistant"], created)
        listed = self.assertStatus((yield self.client.get("/api/v1/agents")), 200)
        self.assertEqual(listed["assistants"], [created])
        body = self.assertStatus((yield self.client.patch(f"/api/v1/agents/{created['id']}", {"name": "n"})), 200)
        self.assertEqual(body["assistant"]["name"], "n")
        self.assertStatus((yield self.client.delete(f"/api/v1/agents/{created['id']}")), 200)
        self.assertError((yield self.client.get(f"/api/v1/assistants/{created['id']}")), 404, "not_found")

    @defer.inlineCallbacks
    def test_another_organizations_assistant_is_404(self) -> Any:
        assistant = yield self.assistant()
        other = yield self.other_organization()
        path = f"/api/v1/assistants/{assistant['id']}"
        self.assertError((yield other.get(path)), 404, "not_found")
        self.assertError((yield other.patch(path, {"name": "mine"})), 404, "not_found")
        self.assertError((yield other.delete(path)), 404, "not_found")
        self.assertEqual(self.assertStatus((yield other.get("/api/v1/assistants")), 200), {"assistants": []})
        self.assertEqual(self.assertStatus((yield self.client.get(path)), 200)["assistant"]["name"], "Support")

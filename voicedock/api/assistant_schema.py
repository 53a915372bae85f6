# -*- test-case-name: tests.api.test_assistants -*-
"""
The assistant resource's fields (``platform-api.md`` §3.2, §3.7, §3.8), their defaults,
and the rules that span several fields (checked on the merged result of a PATCH too).

Only ``name`` is required. Omitted ``stt_config``, ``llm_config`` and ``tts_config`` get
the server's defaults, the local offline engines (``voicedock.api.assistant_providers``);
with a speech-to-speech (realtime) ``llm_config`` the omitted ``stt_config`` and
``tts_config`` are null instead, as the platform documents.
"""

from __future__ import annotations

from typing import Any, Mapping

from voicedock.api import errors
from voicedock.api.assistant_providers import (
    LLM_CONFIG, STT_CONFIG, TTS_CONFIG, default_llm, default_stt, default_tts, is_realtime,
)
from voicedock.api.assistant_tools import http_url, tool_name
from voicedock.api.common import TIMESTAMP, text, uuid_string
from voicedock.api.schema import (
    AnyJson, Array, Boolean, Field, Integer, Nullable, Number, Object, Ref, String,
)
from voicedock.api.validators import EMAIL_PATTERN

WEBHOOK_EVENTS = ["assistant-request", "tool-calls", "status-update", "end-of-call-report"]

_EMAIL = String(max_length=254, pattern=EMAIL_PATTERN, pattern_hint="an e-mail address")


def _seconds(lo: float, hi: float, default: float, note: str = "") -> Field:
    return Field(Number(minimum=lo, maximum=hi, description=f"Seconds; default {default}. {note}".strip()))


SPEECH_CONFIG = Object(
    {
        "turn_taking": Field(Object({
            "endpointing_min_delay": _seconds(0.1, 5, 0.4),
            "endpointing_max_delay": _seconds(0.1, 5, 2, "Not below endpointing_min_delay."),
            "interruption_min_duration": _seconds(0.05, 2, 0.3),
            "interruption_min_words": Field(Integer(minimum=0, maximum=10, description="Default 0 (off)")),
            "false_interruption_timeout": Field(Nullable(Number(
                minimum=0.2, maximum=5, description="Seconds; default 1.5; null: off"))),
        })),
        "pronunciation": Field(Array(Object({
            "from": Field(text(64), required=True),
            "to": Field(text(128, min_length=0), required=True),
        }), max_items=50, description="Literal replacements before speech synthesis")),
        "background_audio": Field(Object({
            "enabled": Field(Boolean(description="Default false")),
            "clip": Field(String(enum=["office", "city", "forest", "crowded_room"], description="Default office")),
            "volume": Field(Number(minimum=0.05, maximum=1, description="Default 0.3")),
        })),
        "silence": Field(Object({
            "messages": Field(Array(text(300), max_items=5, description="Successive prompts")),
            "final_message": Field(text(300, min_length=0)),
            "first_check_seconds": Field(Number(minimum=1, maximum=60, description="Default 3")),
            "interval_seconds": Field(Number(minimum=3, maximum=120, description="Default 12")),
            "max_attempts": Field(Integer(minimum=1, maximum=10, description="Default 3")),
        })),
        "end_call_message": Field(text(300, min_length=0)),
        "first_message_outbound": Field(text(300, min_length=0)),
    },
    description="Turn-taking and speech settings; every part optional (defaults apply).",
)

ANALYSIS_PLAN = Object(
    {
        "structured_data_plan": Field(Object({
            "enabled": Field(Boolean(), default=False),
            "schema": Field(AnyJson(description="JSON Schema of the data to extract")),
            "messages": Field(Array(Object({
                "role": Field(String(enum=["system", "user"]), required=True),
                "content": Field(String(max_length=100_000), required=True),
            }), max_items=20, description="Prompt; placeholders {{schema}}, {{transcript}}, {{ended_reason}}")),
            "template_id": Field(Nullable(uuid_string(
                "Analysis templates are not available yet: a non-null value is 422 unknown_reference"))),
        })),
        "min_messages_threshold": Field(Integer(minimum=0, maximum=1000, description="Default 2"), default=2),
    },
    description="Post-call structured analysis.",
)

RECORDING_CONSENT = Object({
    "enabled": Field(Boolean(), required=True),
    "message": Field(text(1000, "Spoken to inbound callers, who press 1 to agree"), required=True),
})

# name -> (schema, default on create). Nullable where the platform documents null.
CONFIG_FIELDS: dict[str, tuple[Field, Any]] = {
    "business_name": (Field(Nullable(text(200))), None),
    "notification_email": (Field(Nullable(_EMAIL)), None),
    "notification_emails": (Field(Nullable(Array(_EMAIL, max_items=5, unique=True))), None),
    "first_message": (Field(Nullable(text(2000, "Greeting spoken first", min_length=0))), None),
    "max_duration_seconds": (Field(Nullable(Integer(
        minimum=10, maximum=86400, description="Hard cap on call length; default 1800"))), 1800),
    "autonomous_silence_handling": (Field(Boolean(description="Default false")), False),
    "silence_timeout_seconds": (Field(Nullable(Number(minimum=1, maximum=600))), None),
    "voicemail_detection": (Field(Nullable(Boolean(description="Outbound only; default false"))), False),
    "voicemail_message": (Field(Nullable(text(1000, min_length=0))), None),
    "gdpr_mode": (Field(Boolean(description="Default false")), False),
    "webhook_url": (Field(Nullable(http_url())), None),
    "webhook_events": (Field(Nullable(Array(String(enum=WEBHOOK_EVENTS), unique=True,
                                            description="null: all events"))), None),
    "analysis_plan": (Field(Nullable(ANALYSIS_PLAN)), None),
    "stt_config": (Field(Nullable(Ref("SttConfig", STT_CONFIG))), None),
    "llm_config": (Field(Ref("LlmConfig", LLM_CONFIG)), None),
    "tts_config": (Field(Nullable(Ref("TtsConfig", TTS_CONFIG))), None),
    "speech_config": (Field(Nullable(Ref("SpeechConfig", SPEECH_CONFIG))), None),
    "recording_consent": (Field(Nullable(RECORDING_CONSENT)), None),
    "metadata": (Field(Nullable(AnyJson(description="Free-form data echoed in webhooks"))), None),
}

ASSISTANT_INPUT = Object(
    {
        "name": Field(text(200), required=True),
        "is_active": Field(Boolean(description="Default true; an inactive assistant does not answer")),
        **{name: spec for name, (spec, _) in CONFIG_FIELDS.items()},
        "webhook_secret": Field(Nullable(text(512, "HMAC key for webhooks; write-only, encrypted")),
                                write_only=True),
    },
    ignored=("id", "org_id", "organization_id", "has_webhook_secret", "created_at", "updated_at"),
    name="Assistant",
    example={"name": "Support", "first_message": "Hello, how can I help you?"},
)


def _response_fields() -> dict[str, Field]:
    fields: dict[str, Field] = {
        "id": Field(uuid_string(), required=True),
        "name": Field(String(), required=True),
        "is_active": Field(Boolean(), required=True),
    }
    for name, (spec, _) in CONFIG_FIELDS.items():
        fields[name] = Field(spec.schema, required=True)
    fields["has_webhook_secret"] = Field(Boolean(), required=True)
    fields["created_at"] = Field(TIMESTAMP, required=True)
    fields["updated_at"] = Field(TIMESTAMP, required=True)
    return fields


ASSISTANT = Ref("AssistantObject", Object(_response_fields()))


def defaults_for_create(config: dict[str, Any]) -> dict[str, Any]:
    """Every config field present: defaults for the omitted ones, engines by provider kind."""
    out = {name: config.get(name, default) for name, (_, default) in CONFIG_FIELDS.items()}
    if "llm_config" not in config:
        out["llm_config"] = default_llm()
    realtime = is_realtime(out["llm_config"])
    if "stt_config" not in config:
        out["stt_config"] = None if realtime else default_stt()
    if "tts_config" not in config:
        out["tts_config"] = None if realtime else default_tts()
    return out


def check_rules(config: Mapping[str, Any]) -> None:
    """The rules across fields, on a whole (created or merged) config; raises ApiError."""
    llm = config.get("llm_config")
    if not is_realtime(llm):
        for key in ("stt_config", "tts_config"):
            if config.get(key) is None:
                raise errors.invalid_request(
                    f"`{key}` may be null only with a speech-to-speech llm_config provider "
                    "(google_realtime, xai_realtime, openai_live).", key,
                )
    names: set[str] = set()
    for i, tool in enumerate((llm or {}).get("tools") or []):
        name = tool_name(tool)
        if name is not None:
            if name in names:
                raise errors.invalid_request(
                    f"Two tools are called `{name}`; tool names must be unique.",
                    f"llm_config.tools[{i}].name",
                )
            names.add(name)
        if tool.get("type") == "mcp":
            raise errors.unknown_reference(
                f"llm_config.tools[{i}].mcp_server_id",
                "No MCP server with this id exists in your organization (VoiceDock has none yet).",
            )
    turn = ((config.get("speech_config") or {}).get("turn_taking")) or {}
    low, high = turn.get("endpointing_min_delay", 0.4), turn.get("endpointing_max_delay", 2)
    if high < low:
        raise errors.invalid_request(
            "`speech_config.turn_taking.endpointing_max_delay` must not be below endpointing_min_delay.",
            "speech_config.turn_taking.endpointing_max_delay",
        )
    plan = ((config.get("analysis_plan") or {}).get("structured_data_plan")) or {}
    if plan.get("template_id") is not None:
        raise errors.unknown_reference(
            "analysis_plan.structured_data_plan.template_id",
            "No analysis template with this id exists in your organization (VoiceDock has none yet).",
        )

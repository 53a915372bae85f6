# -*- test-case-name: tests.api.test_assistants -*-
"""
The speech and language providers an assistant may name (``platform-api.md`` §3.3, §3.4,
§3.6, with the platform catalog's models and fields), plus VoiceDock's own ``local``
provider: the offline engines that run on the server itself and are the default.

- ``stt_config`` ``{"provider": "local", "model": "whisper-tiny.en", "language": "en"}``:
  faster-whisper (``whisper-tiny.en`` English only, ``whisper-base`` multilingual).
- ``llm_config`` ``{"provider": "local", "model": "smollm2-135m-instruct"}``: a GGUF model
  run by llama.cpp (any model name the server has).
- ``tts_config`` ``{"provider": "local", "voice_id": "en_US-joe-medium"}``: a Piper voice,
  as listed by ``GET /voices``.
"""

from __future__ import annotations

from typing import Any

from voicedock.api.assistant_tools import TOOLS
from voicedock.api.schema import (
    Array, Boolean, Field, Integer, Number, Object, Ref, String, TaggedUnion, tag_field,
)

LANGUAGES = [
    "multi", "nl", "en", "de", "fr", "es", "it", "pt", "pl", "ru", "ja", "ko", "zh", "ar",
    "hi", "da", "sv", "no", "fi", "cs", "hu", "ro", "bg", "hr", "sk", "tr", "id", "vi",
]
GEMINI_VOICES = [
    "Zephyr", "Puck", "Charon", "Kore", "Fenrir", "Leda", "Orus", "Aoede", "Callirrhoe",
    "Autonoe", "Enceladus", "Iapetus", "Umbriel", "Algieba", "Despina", "Erinome", "Algenib",
    "Rasalgethi", "Laomedeia", "Achernar", "Alnilam", "Schedar", "Gacrux", "Pulcherrima",
    "Achird", "Zubenelgenubi", "Vindemiatrix", "Sadachbia", "Sadaltager", "Sulafat",
]
XAI_VOICES = [
    "ara", "eve", "leo", "rex", "sal", "altair", "atlas", "carina", "castor", "celeste",
    "cosmo", "helios", "helix", "iris", "kepler", "lumen", "luna", "lux", "naksh", "orion",
    "perseus", "rigel", "sirius", "ursa", "zagan", "zenith",
]
OPENAI_LIVE_VOICES = ["marin", "beacon", "cinder", "stone", "vesper"]

# A local model or voice name: what a file on the server is called.
LOCAL_NAME = r"^[A-Za-z0-9][A-Za-z0-9._:+-]{0,127}$"


def _models(names: list[str]) -> Field:
    return Field(String(enum=names, description=f"Default {names[0]}"), default=names[0])


def _language(default: str | None = None) -> Field:
    schema = String(enum=LANGUAGES, description="Language code; multi = automatic (nl/en)")
    return Field(schema, default=default) if default else Field(schema)


def _words(max_items: int, max_length: int) -> Array:
    return Array(String(min_length=1, max_length=max_length), max_items=max_items)


def _variant(tag: str, fields: dict[str, Field], description: str) -> Object:
    return Object({tag: tag_field()} | fields, description=description)


# ---------------------------------------------------------------------------------------
# stt_config (§3.3)

_STT = {
    "local": _variant("provider", {
        "model": _models(["whisper-tiny.en", "whisper-base"]),
        "language": _language("en"),
    }, "Offline speech recognition on this server (faster-whisper)."),
    "deepgram": _variant("provider", {
        "model": _models(["nova-3", "nova-3-general"]),
        "language": _language("en"),
        "keyterms": Field(_words(100, 100)),
        "smart_format": Field(Boolean()),
        "endpointing": Field(Integer(minimum=0, maximum=5000)),
        "numerals": Field(Boolean()),
        "filler_words": Field(Boolean()),
        "utterance_end_ms": Field(Integer(minimum=1000, maximum=5000)),
        "no_delay": Field(Boolean()),
    }, "Deepgram streaming recognition."),
    "elevenlabs": _variant("provider", {
        "model": _models(["scribe_v2_realtime"]),
        "language": _language("en"),
        "tag_audio_events": Field(Boolean()),
        "include_timestamps": Field(Boolean()),
        "sample_rate": Field(Integer(enum=[16000, 8000])),
    }, "ElevenLabs Scribe."),
    "gladia": _variant("provider", {
        "model": _models(["solaria-1"]),
        "language": _language("en"),
        "languages": Field(Array(String(enum=LANGUAGES), max_items=len(LANGUAGES))),
        "code_switching": Field(Boolean()),
        "region": Field(String(enum=["eu-west", "us-west"])),
        "endpointing": Field(Number(minimum=0.01, maximum=1)),
        "custom_vocabulary": Field(_words(100, 100)),
        "translation_enabled": Field(Boolean()),
        "translation_target_languages": Field(Array(String(enum=LANGUAGES), max_items=len(LANGUAGES))),
    }, "Gladia."),
    "mistral": _variant("provider", {
        "model": _models(["voxtral-mini-latest"]),
        "language": _language("en"),
    }, "Mistral Voxtral."),
    "google": _variant("provider", {
        "model": _models(["chirp_3"]),
        "language": _language("en"),
    }, "Google Cloud Speech (EU)."),
}
STT_CONFIG = TaggedUnion("provider", _STT, default="local",
                         description="Speech-to-text settings; provider omitted: local")

# ---------------------------------------------------------------------------------------
# llm_config (§3.4)

_MESSAGE = Ref("LlmMessage", Object({
    "role": Field(String(enum=["system", "user", "assistant"]), required=True),
    "content": Field(String(max_length=100_000), required=True),
}))


def _llm_common() -> dict[str, Field]:
    return {
        "temperature": Field(Number(minimum=0, maximum=2, description="Default 0.7"), default=0.7),
        "messages": Field(Array(_MESSAGE, max_items=100, description="System prompt(s) and priming turns"),
                          default=[]),
        "tools": Field(TOOLS, default=[]),
    }


_MAX_TOKENS = Field(Integer(minimum=1, maximum=32768,
                            description="Omitted: the provider's limit"))

_TURN_DETECTION = Object({
    "threshold": Field(Number(minimum=0, maximum=1, clamp=True, description="Default 0.5.")),
    "prefix_padding_ms": Field(Number(minimum=0, maximum=2000, clamp=True, description="Default 300.")),
    "silence_duration_ms": Field(Number(minimum=100, maximum=2000, clamp=True, description="Default 200.")),
    "idle_timeout_ms": Field(Number(minimum=0, maximum=30000, clamp=True, description="0 or omitted: off.")),
})

_PROVIDER_TOOL = TaggedUnion("type", {
    "web_search": Object({"type": tag_field()}),
    "x_search": Object({
        "type": tag_field(),
        "allowed_x_handles": Field(_words(20, 64)),
    }),
    "file_search": Object({
        "type": tag_field(),
        "vector_store_ids": Field(
            Array(String(min_length=1, max_length=128), min_items=1, max_items=50), required=True),
        "max_num_results": Field(Integer(minimum=1, maximum=50)),
    }),
})

REALTIME_PROVIDERS = ("google_realtime", "xai_realtime", "openai_live")

_LLM = {
    "local": _variant("provider", {
        "model": Field(String(pattern=LOCAL_NAME, pattern_hint="a model name the server has",
                              description="Default smollm2-135m-instruct"),
                       default="smollm2-135m-instruct"),
        **_llm_common(),
        "max_completion_tokens": _MAX_TOKENS,
    }, "A language model run on this server (llama.cpp)."),
    "openai": _variant("provider", {
        "model": _models([
            "gpt-5.4", "gpt-5.4-mini", "gpt-5.4-nano", "gpt-5.2", "gpt-5.1", "gpt-5", "gpt-5-mini",
            "gpt-5-nano", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-5.6-luna",
            "gpt-5.6-terra", "gpt-5.6-sol", "gpt-4o-mini",
        ]),
        **_llm_common(),
        "max_completion_tokens": _MAX_TOKENS,
    }, "OpenAI (text)."),
    "xai": _variant("provider", {
        "model": _models(["grok-4.3", "grok-4-1-fast-non-reasoning"]),
        **_llm_common(),
    }, "xAI Grok (text)."),
    "mistral": _variant("provider", {
        "model": _models([
            "mistral-medium-latest", "mistral-small-latest", "mistral-large-latest",
            "ministral-8b-latest", "ministral-14b-latest", "ministral-3b-latest",
        ]),
        **_llm_common(),
    }, "Mistral (text)."),
    "google": _variant("provider", {
        "model": _models(["gemini-3.5-flash-lite", "gemini-3.5-flash", "gemini-2.5-flash-lite",
                          "gemini-2.5-flash"]),
        **_llm_common(),
        "max_completion_tokens": _MAX_TOKENS,
    }, "Google Gemini via Vertex AI, EU (text)."),
    "google_realtime": _variant("provider", {
        "model": _models(["gemini-live-2.5-flash-native-audio",
                          "gemini-2.5-flash-native-audio-preview-12-2025",
                          "gemini-3.1-flash-live-preview"]),
        **_llm_common(),
        "voice": Field(String(enum=GEMINI_VOICES, description="Default Puck"), default="Puck"),
        "vertexai": Field(Boolean(), default=False),
        "location": Field(String(min_length=1, max_length=64)),
        "analysis_model": Field(String(min_length=1, max_length=128)),
        "max_output_tokens": Field(Integer(minimum=1, maximum=32768)),
    }, "Gemini Live (speech to speech)."),
    "xai_realtime": _variant("provider", {
        "model": _models(["grok-voice-think-fast-2.0", "grok-voice-think-fast-1.0",
                          "grok-voice-latest", "grok-realtime-v1"]),
        **_llm_common(),
        "voice": Field(String(enum=XAI_VOICES, description="Default ara"), default="ara"),
        "turn_detection": Field(_TURN_DETECTION),
        "reasoning_effort": Field(String(enum=["none", "high"])),
        "speed": Field(Number(minimum=0.7, maximum=1.5)),
        "transcription": Field(Object({
            "language_hint": Field(String(min_length=1, max_length=16)),
            "keyterms": Field(_words(100, 50)),
        })),
        "provider_tools": Field(Array(_PROVIDER_TOOL, max_items=10)),
    }, "Grok Voice (speech to speech)."),
    "openai_live": _variant("provider", {
        "model": _models(["gpt-live-1"]),
        **_llm_common(),
        "voice": Field(String(enum=OPENAI_LIVE_VOICES, description="Default marin"), default="marin"),
        "delegation": Field(Object({
            "model": Field(String(min_length=1, max_length=128), default="gpt-5.6-luna"),
            "instructions": Field(String(max_length=100_000)),
        })),
    }, "GPT-Live (speech to speech)."),
}
LLM_CONFIG = TaggedUnion("provider", _LLM, default="local",
                         description="Language model settings; provider omitted: local")

# ---------------------------------------------------------------------------------------
# tts_config (§3.6)

_TTS = {
    "local": _variant("provider", {
        "voice_id": Field(String(pattern=LOCAL_NAME, pattern_hint="a local voice id (see GET /voices)",
                                 description="Default en_US-joe-medium"),
                          default="en_US-joe-medium"),
        "speed": Field(Number(minimum=0.5, maximum=2)),
    }, "Piper voices on this server (GET /voices)."),
    "elevenlabs": _variant("provider", {
        "voice_id": Field(String(min_length=1, max_length=64), required=True),
        "model": _models(["eleven_flash_v2_5", "eleven_v3", "eleven_multilingual_v2", "eleven_turbo_v2_5"]),
        "stability": Field(Number(minimum=0, maximum=1)),
        "similarity_boost": Field(Number(minimum=0, maximum=1)),
        "style": Field(Number(minimum=0, maximum=1)),
        "use_speaker_boost": Field(Boolean()),
        "speed": Field(Number(minimum=0.5, maximum=2)),
        "apply_text_normalization": Field(String(enum=["auto", "on", "off"])),
        "apply_language_text_normalization": Field(Boolean()),
        "language": _language(),
    }, "ElevenLabs (provider `11labs` is accepted and stored as `elevenlabs`)."),
    "inworld": _variant("provider", {
        "voice_id": Field(String(min_length=1, max_length=64), required=True),
        "model": _models(["inworld-tts-2", "inworld-tts-2-flash", "inworld-tts-1.5-max",
                          "inworld-tts-1.5-mini"]),
        "language": _language(),
        "speed": Field(Number(minimum=0.5, maximum=2)),
    }, "Inworld."),
    "google": _variant("provider", {
        "voice_id": Field(String(enum=GEMINI_VOICES, description="Default Kore"), default="Kore"),
        "model": _models(["gemini-3.1-flash-tts-preview", "gemini-2.5-flash-preview-tts",
                          "gemini-2.5-pro-preview-tts", "chirp-3-hd"]),
        "instructions": Field(String(max_length=2000)),
        "language": _language(),
        "speaking_rate": Field(Number(minimum=0.25, maximum=2)),
    }, "Google (Gemini TTS, Chirp 3 HD; EU)."),
    "xai": _variant("provider", {
        "voice_id": Field(String(enum=XAI_VOICES, description="Default ara"), default="ara"),
        "language": _language(),
    }, "xAI voices."),
}
TTS_CONFIG = TaggedUnion("provider", _TTS, tag_aliases={"11labs": "elevenlabs"}, default="local",
                         description="Text-to-speech settings; provider omitted: local")


def default_stt() -> dict[str, Any]:
    return STT_CONFIG.validate({}, "stt_config")


def default_llm() -> dict[str, Any]:
    return LLM_CONFIG.validate({}, "llm_config")


def default_tts() -> dict[str, Any]:
    return TTS_CONFIG.validate({}, "tts_config")


def is_realtime(llm_config: dict[str, Any] | None) -> bool:
    return bool(llm_config) and llm_config.get("provider") in REALTIME_PROVIDERS


# -*- test-case-name: tests.api.test_voices -*-
"""
``GET /voices``: the local (Piper) voices this server has, for ``tts_config``
``{"provider": "local", "voice_id": "<id>"}``.

A voice is a pair of files in ``<data-dir>/voices/``: ``<id>.onnx`` and its
``<id>.onnx.json`` (Piper's model card: language, dataset, quality, sample rate). The
answer is ``{"voices": [{id, name, language, description: {en, nl}, quality,
sample_rate}]}`` (``platform-api.md`` §11.1), sorted by id; an empty list when the
directory is missing or holds no complete voice. Hosted providers' voices are not listed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from twisted.logger import Logger

from voicedock.api.deps import ApiDependencies
from voicedock.api.routing import Call, Operation
from voicedock.api.schema import Array, Field, Integer, Nullable, Object, Ref, String

log = Logger(namespace="voicedock.api")

MAX_VOICES = 1000

_QUALITY_NL = {"x_low": "zeer laag", "low": "laag", "medium": "gemiddeld", "high": "hoog"}

VOICE = Ref("Voice", Object({
    "id": Field(String(description="Use as tts_config.voice_id with provider local"), required=True),
    "name": Field(String(), required=True),
    "language": Field(String(description="Language code, e.g. nl_NL"), required=True),
    "description": Field(Object({
        "en": Field(String(), required=True),
        "nl": Field(String(), required=True),
    }), required=True),
    "quality": Field(Nullable(String()), required=True),
    "sample_rate": Field(Nullable(Integer()), required=True),
}))
VOICE_LIST = Ref("VoiceList", Object({"voices": Field(Array(VOICE), required=True)}))


def _voice(model: Path) -> dict[str, Any] | None:
    card_path = model.with_name(model.name + ".json")
    voice_id = model.name[: -len(".onnx")]
    try:
        card = json.loads(card_path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(card, dict):
        return None
    parts = voice_id.split("-")
    language_info = card.get("language") if isinstance(card.get("language"), dict) else {}
    language = str(language_info.get("code") or parts[0])
    dataset = str(card.get("dataset") or (parts[1] if len(parts) > 1 else voice_id))
    name = dataset.replace("_", " ").title()
    audio = card.get("audio") if isinstance(card.get("audio"), dict) else {}
    quality = audio.get("quality") or (parts[2] if len(parts) > 2 else None)
    rate = audio.get("sample_rate")
    english = language_info.get("name_english") or language
    country = language_info.get("country_english")
    where = f"{english} ({country})" if country else str(english)
    quality_en = f", {quality} quality" if quality else ""
    quality_nl = f", kwaliteit {_QUALITY_NL.get(str(quality), quality)}" if quality else ""
    return {
        "id": voice_id,
        "name": name,
        "language": language,
        "description": {
            "en": f"{name}: {where} voice{quality_en}",
            "nl": f"{name}: stem in {language}{quality_nl}",
        },
        "quality": None if quality is None else str(quality),
        "sample_rate": rate if isinstance(rate, int) and not isinstance(rate, bool) else None,
    }


def scan_voices(directory: Path | None) -> list[dict[str, Any]]:
    """The complete Piper voices in ``directory`` (model and model card), sorted by id."""
    if directory is None or not directory.is_dir():
        return []
    voices = []
    for model in sorted(directory.glob("*.onnx"))[:MAX_VOICES]:
        found = _voice(model)
        if found is None:
            log.warn("skipping voice {path}: no readable {path}.json model card", path=str(model))
            continue
        voices.append(found)
    return voices


class VoiceRoutes:
    """The handler of ``/voices``."""

    def __init__(self, deps: ApiDependencies) -> None:
        self.deps = deps

    def operations(self) -> list[Operation]:
        return [Operation("GET", "/voices", "listVoices", "List the local voices of this server",
                          "Voices", self.list, response=VOICE_LIST)]

    def list(self, call: Call) -> Any:
        return {"voices": scan_voices(self.deps.voices_dir)}

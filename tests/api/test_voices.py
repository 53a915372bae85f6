"""``GET /voices``: the Piper voices found in the server's voices directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from twisted.internet import defer

from tests.api.support import ApiTestCase

PIPER_CARD = {
    "audio": {"sample_rate": 22050, "quality": "medium"},
    "language": {"code": "nl_NL", "family": "nl", "region": "NL", "name_native": "Nederlands",
                 "name_english": "Dutch", "country_english": "Netherlands"},
    "dataset": "pim",
    "num_speakers": 1,
}


class VoicesTests(ApiTestCase):
    def setUp(self) -> Any:
        self.voices_dir = Path(self.mktemp())
        self.voices_dir.mkdir()
        return super().setUp()

    def add_voice(self, voice_id: str, card: Any) -> None:
        (self.voices_dir / f"{voice_id}.onnx").write_bytes(b"\x08\x01onnx")
        if card is not None:
            (self.voices_dir / f"{voice_id}.onnx.json").write_text(
                card if isinstance(card, str) else json.dumps(card))

    @defer.inlineCallbacks
    def test_empty_directory(self) -> Any:
        body = self.assertStatus((yield self.client.get("/api/v1/voices")), 200)
        self.assertEqual(body, {"voices": []})

    @defer.inlineCallbacks
    def test_lists_complete_voices(self) -> Any:
        self.add_voice("nl_NL-pim-medium", PIPER_CARD)
        self.add_voice("en_US-joe-medium", {"audio": {"sample_rate": 22050}, "dataset": "joe"})
        self.add_voice("de_DE-broken-low", "{not json")
        self.add_voice("fr_FR-missing-low", None)
        (self.voices_dir / "README.txt").write_text("not a voice")
        body = self.assertStatus((yield self.client.get("/api/v1/voices")), 200)
        self.assertEqual(body["voices"], [
            {"id": "en_US-joe-medium", "name": "Joe", "language": "en_US",
             "description": {"en": "Joe: en_US voice, medium quality", "nl": "Joe: stem in en_US, kwaliteit gemiddeld"},
             "quality": "medium", "sample_rate": 22050},
            {"id": "nl_NL-pim-medium", "name": "Pim", "language": "nl_NL",
             "description": {"en": "Pim: Dutch (Netherlands) voice, medium quality",
                             "nl": "Pim: stem in nl_NL, kwaliteit gemiddeld"},
             "quality": "medium", "sample_rate": 22050},
        ])

    @defer.inlineCallbacks
    def test_voice_is_usable_in_tts_config(self) -> Any:
        self.add_voice("nl_NL-pim-medium", PIPER_CARD)
        voices = self.assertStatus((yield self.client.get("/api/v1/voices")), 200)["voices"]
        assistant = yield self.assistant(tts_config={"provider": "local", "voice_id": voices[0]["id"]})
        self.assertEqual(assistant["tts_config"]["voice_id"], "nl_NL-pim-medium")


class NoVoicesDirectoryTests(ApiTestCase):
    voices_dir = Path("/nonexistent/voicedock/voices")

    @defer.inlineCallbacks
    def test_missing_directory_is_an_empty_list(self) -> Any:
        body = self.assertStatus((yield self.client.get("/api/v1/voices")), 200)
        self.assertEqual(body, {"voices": []})

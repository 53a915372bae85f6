"""Request bodies shared by several tests."""

from __future__ import annotations

SEED_TRANSFER_TOOL = {
    "type": "transfer_call",
    "destinations": [{
        "type": "number",
        "number": "+31612345678",
        "description": "Human support assistant",
        "message": "I'm transferring you to a colleague.",
    }],
}

FULL = {
    "name": "Reception",
    "business_name": "Acme B.V.",
    "notification_email": "ops@example.com",
    "notification_emails": ["a@example.com", "b@example.com"],
    "first_message": "Good morning, Acme, how can I help?",
    "is_active": True,
    "max_duration_seconds": 300,
    "autonomous_silence_handling": True,
    "silence_timeout_seconds": 8,
    "voicemail_detection": True,
    "voicemail_message": "Please call us back.",
    "gdpr_mode": True,
    "webhook_url": "https://hooks.example.com/voicedock",
    "webhook_events": ["tool-calls", "end-of-call-report"],
    "analysis_plan": {
        "structured_data_plan": {
            "enabled": True,
            "schema": {"type": "object", "properties": {"sentiment": {"type": "integer"}}},
            "messages": [{"role": "system", "content": "Extract {{schema}} from {{transcript}}"}],
        },
        "min_messages_threshold": 3,
    },
    "stt_config": {"provider": "deepgram", "model": "nova-3-general", "language": "nl",
                   "keyterms": ["Acme"], "smart_format": True, "endpointing": 300},
    "llm_config": {
        "provider": "openai", "model": "gpt-4.1-mini", "temperature": 0.3,
        "max_completion_tokens": 512,
        "messages": [{"role": "system", "content": "You are the Acme receptionist."}],
        "tools": [
            {"name": "lookup_contact", "description": "Find a contact", "url": "https://hooks.example.com/t",
             "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
             "async": False, "message": "One moment."},
            {"type": "function", "function": {"name": "book", "description": "Book a slot",
                                              "parameters": {"type": "object"}},
             "server": {"url": "https://hooks.example.com/book", "secret": "tool-secret"}},
            {"type": "end_call"},
            SEED_TRANSFER_TOOL,
        ],
    },
    "tts_config": {"provider": "elevenlabs", "voice_id": "ukiwGs47sHyibruHJ1vg",
                   "model": "eleven_flash_v2_5", "stability": 0.5, "speed": 1.1},
    "speech_config": {
        "turn_taking": {"endpointing_min_delay": 0.5, "endpointing_max_delay": 2.5,
                        "false_interruption_timeout": None},
        "pronunciation": [{"from": "Acme", "to": "Ak-mee"}],
        "background_audio": {"enabled": True, "clip": "office", "volume": 0.2},
        "silence": {"messages": ["Are you still there?"], "first_check_seconds": 7,
                    "interval_seconds": 12, "max_attempts": 3},
        "end_call_message": "Goodbye!",
    },
    "recording_consent": {"enabled": True, "message": "This call may be recorded; press 1 to agree."},
    "metadata": {"crm": {"account": 42}},
}

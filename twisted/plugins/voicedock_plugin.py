"""twistd plugin: `twistd -n voicedock` (see voicedock.tap)."""

from twisted.application.service import ServiceMaker

voicedock = ServiceMaker(
    "VoiceDock",
    "voicedock.tap",
    "All-in-one voice-AI telephony server (SIP, RTP, REST API, PostgreSQL)",
    "voicedock",
)

"""VoiceDock: a self-hostable voice-AI telephony server on one Twisted reactor."""

__version__ = "0.1.0"

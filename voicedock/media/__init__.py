"""RTP media engine: G.711, pacing ticker, jitter buffer, DTMF, bridging (RFC 3550)."""

# -*- test-case-name: tests.sip.test_peers_sipp -*-
"""
VoiceDock's own drivers for real SIP peers in tests and benchmarks (after the
team's shell peer kit, rewritten as Twisted-friendly Python so a peer runs
while the code under test serves on the same reactor):

- :mod:`.sipp`: SIPp runs with bundled scenarios (``scenarios/*.xml``);
- :mod:`.kamailio`: a Kamailio "office PBX" with digest auth in 401 or 407
  mode (``kamailio/pbx.cfg.in``);
- :mod:`.uas_app`: a small UAS application (VoiceDock's UA core on a real
  SipTransport) with an answering test handler.

Everything binds to 127.0.0.1 on free random ports, and every peer run is
bounded in time (killed past its timeout).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_path(*parts: str) -> Path:
    """A file shipped in this package (scenario XML, Kamailio templates)."""
    return Path(str(resources.files(__name__).joinpath(*parts)))

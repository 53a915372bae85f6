"""
Schemathesis (from PyPI) against a real ``twistd -n voicedock`` process, driven by the
server's own ``/api/v1/openapi.json``: no 5xx, and no status, body, header or content type
that contradicts the description; invalid input refused, deleted resources gone, created
ones found, authentication enforced.

One check is left out: ``positive_data_acceptance`` (a body valid by the schema is
accepted). The description cannot express what the server must also refuse: ids that do
not exist in the organization (422), numbers already registered (409), and the rules
across fields (a text model needs speech settings, ``endpointing_max_delay`` not below
``endpointing_min_delay``, unique tool names, ``host`` or ``outbound_address``).
The deprecated ``/agents`` alias runs the same handlers as ``/assistants`` and is left out
to keep the run short.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from twisted.internet import defer, utils
from twisted.trial import unittest

from voicedock.testing.postgres import create_database, drop_database
from voicedock.testing.server import ServerProcess

ST = Path(sys.executable).parent / "st"


class SchemathesisTests(unittest.TestCase):
    timeout = 240

    @defer.inlineCallbacks
    def setUp(self) -> Any:
        if not ST.exists():
            raise unittest.SkipTest(f"schemathesis is not installed ({ST}): pip install -e '.[test]'")
        name, dsn = create_database("vdst")
        self.addCleanup(drop_database, name)
        self.workdir = Path(tempfile.mkdtemp(prefix="vd-"))
        self.addCleanup(shutil.rmtree, self.workdir, True)
        config = self.workdir / "voicedock.toml"
        # High enough never to trigger, so every answer carries the X-RateLimit-* headers.
        config.write_text("[api]\nrate_limit_per_minute = 1000000\n")
        self.server = ServerProcess(self.workdir / "var", db=dsn, args=["--config", str(config)])
        yield self.server.start()
        self.addCleanup(self.server.stop)

    @defer.inlineCallbacks
    def test_no_server_errors_and_no_contradictions(self) -> Any:
        argv = [
            "run", f"{self.server.api_url}/api/v1/openapi.json",
            "--header", f"Authorization: Bearer {self.server.bootstrap_key()}",
            "--checks", "all", "--exclude-checks", "positive_data_acceptance",
            "--exclude-deprecated",
            "--max-examples", "10", "--workers", "1", "--seed", "20251213",
            "--generation-allow-x00", "false", "--generation-codec", "utf-8",
            "--generation-database", "none", "--no-color",
        ]
        env = dict(os.environ, SCHEMATHESIS_TELEMETRY="false")
        out, err, code = yield utils.getProcessOutputAndValue(str(ST), argv, env=env, path=str(self.workdir))
        report = (out + err).decode("utf-8", "replace")
        self.assertEqual(code, 0, report[-6000:])
        self.assertIn("Tested: 19", report)
        self.assertNotIn("Traceback", self.server.output)

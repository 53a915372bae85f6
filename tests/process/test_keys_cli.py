"""``voicedock keys``: works with the server stopped or running, on the embedded database."""

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import treq
from twisted.internet import defer, reactor, utils
from twisted.trial.unittest import TestCase
from twisted.web.client import HTTPConnectionPool

from voicedock.store.embedded import postmaster_pid
from voicedock.testing.server import ServerProcess

CLI = "from voicedock.cli import main; main()"


class KeysCommandTests(TestCase):
    timeout = 120

    def setUp(self):
        base = Path(tempfile.mkdtemp(prefix="vd-"))
        os.chmod(base, 0o755)
        self.addCleanup(shutil.rmtree, base, True)
        self.data = base / "var"

    def keys(self, *args):
        argv = ["-c", CLI, "--data-dir", str(self.data), "keys", *args]
        return utils.getProcessOutputAndValue(sys.executable, argv, env=dict(os.environ), path=os.getcwd())

    @defer.inlineCallbacks
    def test_create_list_revoke_without_and_with_server(self):
        # server not running: the command starts the embedded database itself, then stops it
        out, err, code = yield self.keys("create", "--org", "acme", "--name", "ci")
        self.assertEqual(code, 0, err)
        key = out.decode().splitlines()[0]
        self.assertRegex(key, r"^vd_live_[A-Za-z0-9_-]{32}$")
        key_id = re.search(r"key id ([0-9a-f-]{36})", out.decode()).group(1)
        self.assertIsNone(postmaster_pid(self.data / "pg"), "temporary database stopped")

        # the server starts on the same database; the key created offline works with it
        server = ServerProcess(self.data)
        self.addCleanup(lambda: None if server.capture.ended.called else server.stop())
        yield server.start()
        self.assertNotIn("first start", server.output, "a key exists, so no bootstrap key")
        code_ok = yield self._authorized(server, key)
        self.assertEqual(code_ok, True)

        # with the server running, the command uses the server's database
        out, err, code = yield self.keys("list")
        self.assertEqual(code, 0, err)
        listing = out.decode()
        self.assertIn(key_id, listing)
        self.assertIn("acme", listing)
        self.assertNotIn(key, listing, "list never shows a whole key")

        out, err, code = yield self.keys("revoke", key_id)
        self.assertEqual((code, out.decode().strip()), (0, f"revoked {key_id}"))
        self.assertEqual((yield self._authorized(server, key)), False)
        out, err, code = yield self.keys("revoke", key_id)
        self.assertEqual(code, 1)
        self.assertIn("no active key", err.decode())
        yield server.stop()
        self.assertNotIn(key, server.output)

    @defer.inlineCallbacks
    def test_bad_arguments(self):
        out, err, code = yield self.keys("revoke", "not-a-uuid")
        self.assertEqual(code, 1)
        self.assertIn("not a key id", err.decode())
        out, err, code = yield self.keys("create")
        self.assertEqual(code, 2)
        self.assertIn("--org", err.decode())

    @defer.inlineCallbacks
    def _authorized(self, server, key):
        """True when the API accepts the key (any authenticated route answers non-401)."""
        pool = HTTPConnectionPool(reactor, persistent=False)
        response = yield treq.get(
            server.api_url + "/api/v1/numbers",
            headers={"Authorization": f"Bearer {key}"},
            pool=pool,
        )
        yield response.content()
        return response.code != 401

"""
The real ``twistd -n voicedock`` process on embedded defaults: start-up self-check, the
bootstrap key, ports.json, the health endpoint, SIGTERM, a killed run's leftovers, a wrong
secret key.
"""

import json
import os
import shutil
import signal
import stat
import sys
import tempfile
from pathlib import Path

import treq
from twisted.internet import defer, reactor, task
from twisted.trial.unittest import TestCase
from twisted.web.client import HTTPConnectionPool

from voicedock.store.embedded import postmaster_pid, process_alive
from voicedock.testing.server import TWISTD, ServerProcess


def _data_dir(testcase) -> Path:
    base = Path(tempfile.mkdtemp(prefix="vd-"))
    os.chmod(base, 0o755)  # the embedded server's unprivileged user must reach it
    testcase.addCleanup(shutil.rmtree, base, True)
    testcase.addCleanup(_kill_leftover_postgres, base / "var" / "pg")
    return base / "var"


def _kill_leftover_postgres(pg_dir: Path) -> None:
    """A failed test must not leave an orphaned PostgreSQL behind."""
    pid = postmaster_pid(pg_dir)
    if pid is not None:
        os.kill(pid, signal.SIGQUIT)


@defer.inlineCallbacks
def http_get(url, **kw):
    """(status, body text) of a GET, on a non-persistent connection (no dirty reactor)."""
    pool = HTTPConnectionPool(reactor, persistent=False)
    response = yield treq.get(url, pool=pool, **kw)
    body = yield response.text()
    return response.code, body


def sip_options(port: int, timeout: float = 5.0):
    """Send one OPTIONS over UDP to 127.0.0.1:port; fires with the parsed response."""
    from twisted.internet.protocol import DatagramProtocol

    from voicedock.sip.parser import parse_datagram

    answer = defer.Deferred()

    class Client(DatagramProtocol):
        def datagramReceived(self, data, addr):
            if not answer.called:
                answer.callback(parse_datagram(data))

    listening = reactor.listenUDP(0, Client(), interface="127.0.0.1")
    local = listening.getHost().port
    request = (
        f"OPTIONS sip:voicedock@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-test-options\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:probe@127.0.0.1:{local}>;tag=probe\r\n"
        f"To: <sip:voicedock@127.0.0.1:{port}>\r\n"
        "Call-ID: options-probe@127.0.0.1\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()
    listening.write(request, ("127.0.0.1", port))
    timer = reactor.callLater(timeout, lambda: answer.called or answer.errback(TimeoutError("no SIP answer")))

    def done(result):
        if timer.active():
            timer.cancel()
        listening.stopListening()
        return result

    return answer.addBoth(done)


def _stop_quietly(server):
    if server.process is not None and not server.capture.ended.called:
        return server.stop()


def _status(reason) -> tuple:
    return (getattr(reason, "exitCode", None), getattr(reason, "signal", None))


class EmbeddedServerTests(TestCase):
    timeout = 120

    def get(self, url, **kw):
        return http_get(url, **kw)

    @defer.inlineCallbacks
    def test_start_serve_and_stop(self):
        data = _data_dir(self)
        server = ServerProcess(data)
        self.addCleanup(_stop_quietly, server)
        ports = yield server.start()

        # ports.json names every listener; port 0 became a real port
        self.assertGreater(ports["api"], 0)
        self.assertEqual(json.loads((data / "ports.json").read_text())["api"], ports["api"])

        # the health endpoint needs no key and shows no version
        code, body = yield self.get(server.api_url + "/api/v1/health")
        self.assertEqual(code, 200)
        health = json.loads(body)
        self.assertEqual(health["status"], "ok")
        self.assertIn("database", health["checks"])
        self.assertNotIn("version", body)
        pool = HTTPConnectionPool(reactor, persistent=False)
        response = yield treq.get(server.api_url + "/api/v1/health", pool=pool)
        yield response.content()
        self.assertFalse(response.headers.hasHeader(b"server"), "no Server header naming Twisted")

        # the bootstrap key: 0600, in the log by path only
        key_file = data / "bootstrap-api-key"
        self.assertEqual(stat.S_IMODE(key_file.stat().st_mode), 0o600)
        key = server.bootstrap_key()
        self.assertRegex(key, r"^vd_live_[A-Za-z0-9_-]{32}$")
        self.assertEqual(stat.S_IMODE((data / "secret.key").stat().st_mode), 0o600)
        self.assertIn(str(key_file), server.output)

        # SIP answers a provider's keep-alive OPTIONS on the bound port
        response = yield sip_options(ports["sip"])
        self.assertEqual(response.status, 200)
        self.assertIn("INVITE", response.token_list("Allow"))
        self.assertNotIn("REGISTER", response.token_list("Allow"))
        self.assertIn("self-check: SIP listening on udp and tcp 127.0.0.1:%d" % ports["sip"], server.output)

        # one self-check line per listener and the public address
        self.assertIn("self-check: REST API listening on http://127.0.0.1:%d/api/v1" % ports["api"], server.output)
        self.assertIn("self-check: public address for SDP and Contact: 127.0.0.1", server.output)
        self.assertIn("self-check: RTP media on 127.0.0.1 ports 20000-29999 (5000 port pairs)", server.output)
        self.assertEqual(ports["rtp"], {"low": 20000, "high": 29999})
        self.assertIn("loopback address", server.output)

        pg = postmaster_pid(data / "pg")
        self.assertIsNotNone(pg)
        if os.geteuid() == 0:
            status = Path(f"/proc/{pg}/status").read_text()
            uid = [l for l in status.splitlines() if l.startswith("Uid:")][0].split()[1]
            gid = [l for l in status.splitlines() if l.startswith("Gid:")][0].split()[1]
            self.assertNotEqual(uid, "0", "PostgreSQL must not run as root")
            self.assertNotEqual(gid, "0", "PostgreSQL must not run in group root")
            import pwd

            self.assertEqual(int(gid), pwd.getpwuid(int(uid)).pw_gid, "the user's own group")

        reason = yield server.stop("TERM")
        # twistd re-raises SIGTERM after a clean shutdown: status 143 in a shell
        self.assertEqual(_status(reason), (None, signal.SIGTERM))
        self.assertIn("VoiceDock stopped", server.output)
        self.assertNotIn("Traceback", server.output)
        self.assertIsNone(postmaster_pid(data / "pg"), "the embedded PostgreSQL must stop too")
        self.assertFalse((data / "ports.json").exists())

        # secrets never reach the log
        self.assertNotIn(key, server.output)
        self.assertNotIn((data / "secret.key").read_text().strip(), server.output)

        # a second start keeps the database and the key, and makes no new bootstrap key
        key_file.unlink()
        again = ServerProcess(data)
        self.addCleanup(_stop_quietly, again)
        yield again.start()
        self.assertFalse(key_file.exists())
        self.assertNotIn("first start", again.output)
        yield again.stop()

    @defer.inlineCallbacks
    def test_killed_run_is_recovered_not_doubled(self):
        data = _data_dir(self)
        first = ServerProcess(data)
        self.addCleanup(_stop_quietly, first)
        yield first.start()
        orphan = postmaster_pid(data / "pg")
        yield first.stop("KILL")
        # the postmaster outlived its parent
        yield task.deferLater(reactor, 0.2, lambda: None)
        self.assertEqual(postmaster_pid(data / "pg"), orphan)

        second = ServerProcess(data)
        self.addCleanup(_stop_quietly, second)
        yield second.start()
        self.assertIn("left running by an earlier run (pid %d)" % orphan, second.output)
        now = postmaster_pid(data / "pg")
        self.assertNotEqual(now, orphan)
        self.assertFalse(process_alive(orphan))
        code, _ = yield self.get(second.api_url + "/api/v1/health")
        self.assertEqual(code, 200)
        yield second.stop()
        self.assertIsNone(postmaster_pid(data / "pg"))

    @defer.inlineCallbacks
    def test_refuses_a_different_secret_key(self):
        data = _data_dir(self)
        first = ServerProcess(data)
        self.addCleanup(_stop_quietly, first)
        yield first.start()
        yield first.stop()
        (data / "secret.key").rename(data / "secret.key.orig")
        second = ServerProcess(data, env={"VOICEDOCK_SECRET_KEY": "ab" * 32})
        with self.assertRaises(RuntimeError):
            yield second.start()
        reason = yield second.wait()
        self.assertEqual(_status(reason), (1, None))
        self.assertIn("VoiceDock could not start: the secret key", second.output)
        self.assertIsNone(postmaster_pid(data / "pg"))

    @defer.inlineCallbacks
    def test_json_log_format(self):
        data = _data_dir(self)
        server = ServerProcess(data, args=["--log-format", "json"])
        self.addCleanup(_stop_quietly, server)
        yield server.start()
        yield server.stop()
        lines = [l for l in server.output.splitlines() if l.strip()]
        records = [json.loads(l) for l in lines]
        messages = [r["message"] for r in records]
        self.assertTrue(any(m.startswith("self-check: REST API listening") for m in messages))
        self.assertTrue(all({"time", "level", "namespace", "message"} <= set(r) for r in records))

    @defer.inlineCallbacks
    def test_bad_option_is_refused_before_start(self):
        data = _data_dir(self)
        server = ServerProcess(data, args=["--rtp-ports", "9-3"])
        with self.assertRaises(RuntimeError):
            yield server.start()
        self.assertIn("rtp_ports", server.output)
        self.assertFalse((data / "pg").exists())


class RootPermissionTests(TestCase):
    """As root the embedded server runs unprivileged and fails clearly on a private path."""

    timeout = 60

    def setUp(self):
        if os.geteuid() != 0:
            raise __import__("twisted").trial.unittest.SkipTest("needs root")

    @defer.inlineCallbacks
    def test_private_parent_folder_is_named(self):
        base = Path(tempfile.mkdtemp(prefix="vd-private-"))
        os.chmod(base, 0o700)
        self.addCleanup(shutil.rmtree, base, True)
        server = ServerProcess(base / "var")
        with self.assertRaises(RuntimeError):
            yield server.start()
        self.assertIn(f"{base} is not searchable by", server.output)
        self.assertEqual(stat.S_IMODE(base.stat().st_mode), 0o700, "nothing was loosened")


class ReadmeQuickStartTests(TestCase):
    """The README's first command: ``twistd -n voicedock`` with nothing but defaults."""

    timeout = 120

    @defer.inlineCallbacks
    def test_defaults_start_a_working_server(self):
        import socket

        for port in (8080, 5060):
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as twistd does
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    raise __import__("twisted").trial.unittest.SkipTest(f"port {port} is in use here")
        base = Path(tempfile.mkdtemp(prefix="vd-"))
        os.chmod(base, 0o755)
        self.addCleanup(shutil.rmtree, base, True)
        self.addCleanup(_kill_leftover_postgres, base / "var" / "pg")
        cwd = os.getcwd()
        os.chdir(base)  # ./var is relative to where the command runs
        self.addCleanup(os.chdir, cwd)
        server = ServerProcess(Path("var"))
        server.argv = lambda: [sys.executable, "-c", TWISTD, "-n", "--pidfile=", "voicedock"]
        self.addCleanup(_stop_quietly, server)
        ports = yield server.start()
        self.assertEqual(ports["api"], 8080)
        code, body = yield http_get("http://127.0.0.1:8080/api/v1/health")
        self.assertEqual(code, 200)
        self.assertTrue((base / "var" / "pg" / "PG_VERSION").exists())
        self.assertTrue((base / "var" / "bootstrap-api-key").exists())
        yield server.stop()


class ExternalDatabaseTests(TestCase):
    timeout = 60

    @defer.inlineCallbacks
    def test_unreachable_database_is_one_clear_line(self):
        import socket

        with socket.socket() as s:  # a port nothing listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        data = _data_dir(self)
        server = ServerProcess(data, db=f"postgresql://voicedock@127.0.0.1:{port}/voicedock?connect_timeout=2")
        self.addCleanup(_stop_quietly, server)
        with self.assertRaises(RuntimeError):
            yield server.start()
        reason = yield server.wait()
        self.assertEqual(_status(reason), (1, None))
        self.assertIn("VoiceDock could not start: cannot connect to the database:", server.output)
        self.assertNotIn("Traceback", server.output)

"""
A real ``twistd -n voicedock`` process for integration tests and scripts.

It starts the server with the given options (ports 0 by default), waits for
``<data-dir>/ports.json``, and reads the bootstrap API key; ``stop()`` sends SIGTERM and
waits for the process to end. Output is kept for assertions (``.output``).
"""

from __future__ import annotations

import atexit
import json
import os
import signal as signals
import sys
import time
from pathlib import Path
from typing import Any

from twisted.internet import defer, error, protocol, task

TWISTD = "from twisted.scripts.twistd import run; run()"

# Servers still running when the test process exits (a test that timed out, say) are sent
# SIGTERM, so no orphaned server or embedded PostgreSQL outlives the run.
_running: dict[int, "ServerProcess"] = {}


@atexit.register
def _stop_leftovers() -> None:
    pids = list(_running)
    for pid in pids:
        try:
            os.kill(pid, signals.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 15
    while pids and time.monotonic() < deadline:
        pids = [p for p in pids if os.path.exists(f"/proc/{p}") and not _zombie(p)]
        time.sleep(0.05)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


class _Capture(protocol.ProcessProtocol):
    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.ended: defer.Deferred[Any] = defer.Deferred()

    def outReceived(self, data: bytes) -> None:
        self.chunks.append(data)

    errReceived = outReceived

    def processEnded(self, reason: Any) -> None:
        self.ended.callback(reason.value)


class ServerProcess:
    """Runs and stops one VoiceDock server process."""

    def __init__(
        self,
        data_dir: Path,
        db: str | None = None,
        args: list[str] | None = None,
        env: dict[str, str] | None = None,
        reactor: Any = None,
    ) -> None:
        if reactor is None:
            from twisted.internet import reactor as default_reactor

            reactor = default_reactor
        self.reactor = reactor
        self.data_dir = Path(data_dir)
        self.db = db
        self.args = args or []
        self.env = env
        self.process: Any = None
        self.capture = _Capture()
        self.ports: dict[str, Any] = {}

    @property
    def output(self) -> str:
        return b"".join(self.capture.chunks).decode("utf-8", "replace")

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['api']}"

    def bootstrap_key(self) -> str:
        return (self.data_dir / "bootstrap-api-key").read_text().strip()

    def argv(self) -> list[str]:
        argv = [sys.executable, "-c", TWISTD, "-n", "--pidfile=", "voicedock",
                "--data-dir", str(self.data_dir)]
        defaults = {"--api-port": "0", "--sip-port": "0", "--sip-interface": "127.0.0.1"}
        for option, value in defaults.items():
            if option not in self.args:
                argv += [option, value]
        if self.db:
            argv += ["--db", self.db]
        return argv + self.args

    @defer.inlineCallbacks
    def start(self, timeout: float = 60.0) -> Any:
        """Start the process; fires with the ports once ``ports.json`` appears."""
        ports_file = self.data_dir / "ports.json"
        # A killed earlier run leaves its ports.json behind; wait for this run's own.
        ports_file.unlink(missing_ok=True)
        env = dict(os.environ)
        env.pop("VOICEDOCK_SECRET_KEY", None)
        env.update(self.env or {})
        self.process = self.reactor.spawnProcess(
            self.capture, sys.executable, self.argv(), env=env, path=str(Path.cwd())
        )
        pid = self.process.pid
        _running[pid] = self
        self.capture.ended.addBoth(lambda result: (_running.pop(pid, None), result)[1])
        waited = 0.0
        while waited < timeout:
            if self.capture.ended.called:
                raise RuntimeError("voicedock exited during start-up:\n" + self.output[-4000:])
            if ports_file.exists():
                try:
                    self.ports = json.loads(ports_file.read_text())
                    return self.ports
                except ValueError:
                    pass
            yield task.deferLater(self.reactor, 0.05, lambda: None)
            waited += 0.05
        yield self.stop()
        raise RuntimeError("voicedock did not start in time:\n" + self.output[-4000:])

    @defer.inlineCallbacks
    def stop(self, signal: str = "TERM", timeout: float = 30.0) -> Any:
        """Send ``signal`` and wait for the process to end; fires with the exit reason."""
        if self.process is not None and not self.capture.ended.called:
            try:
                self.process.signalProcess(signal)
            except error.ProcessExitedAlready:
                pass
        timer = self.reactor.callLater(timeout, self._kill)
        reason = yield self.capture.ended
        if timer.active():
            timer.cancel()
        return reason

    def _kill(self) -> None:
        try:
            self.process.signalProcess("KILL")
        except error.ProcessExitedAlready:
            pass

    def wait(self) -> defer.Deferred[Any]:
        return self.capture.ended

# -*- test-case-name: tests.sip.test_peers_sipp -*-
"""Run a peer program on the reactor, bounded in time, collecting its output."""

from __future__ import annotations

import os
import socket

import attrs
from twisted.internet import protocol
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall
from twisted.internet.task import deferLater
from twisted.python.failure import Failure


@attrs.frozen
class ProcessResult:
    """How a peer program ended: exit code (None if killed by a signal), output, and whether we killed it."""

    argv: tuple[str, ...]
    exit_code: int | None
    stdout: str
    stderr: str
    timed_out: bool


class _Collect(protocol.ProcessProtocol):
    def __init__(self, done: Deferred[tuple[int | None, bool]]) -> None:
        self.out: list[bytes] = []
        self.err: list[bytes] = []
        self.done = done
        self.killed = False

    def outReceived(self, data: bytes) -> None:
        self.out.append(data)

    def errReceived(self, data: bytes) -> None:
        self.err.append(data)

    def processEnded(self, reason: Failure) -> None:
        code = getattr(reason.value, "exitCode", None)
        self.done.callback((code, self.killed))


class BoundedProcess:
    """
    A child process started on ``reactor``. :attr:`ended` fires with a
    :class:`ProcessResult`; past ``timeout`` seconds the process gets SIGTERM,
    and SIGKILL two seconds later.
    """

    def __init__(self, reactor: object, argv: list[str], timeout: float,
                 cwd: str | None = None, env: dict[str, str] | None = None) -> None:
        self._reactor = reactor
        self.argv = tuple(argv)
        ended: Deferred[tuple[int | None, bool]] = Deferred()
        self._protocol = _Collect(ended)
        self.transport = reactor.spawnProcess(  # type: ignore[attr-defined]
            self._protocol, argv[0], argv, env=env if env is not None else dict(os.environ),
            path=cwd, childFDs={0: "w", 1: "r", 2: "r"})
        self._timeout: IDelayedCall = reactor.callLater(timeout, self._time_out)  # type: ignore[attr-defined]
        self.ended: Deferred[ProcessResult] = ended.addCallback(self._result)

    def output(self) -> tuple[str, str]:
        """What the process wrote so far on stdout and stderr."""
        return (b"".join(self._protocol.out).decode("utf-8", "replace"),
                b"".join(self._protocol.err).decode("utf-8", "replace"))

    @property
    def pid(self) -> int | None:
        return self.transport.pid  # type: ignore[no-any-return]

    def _result(self, outcome: tuple[int | None, bool]) -> ProcessResult:
        if self._timeout.active():
            self._timeout.cancel()
        code, killed = outcome
        return ProcessResult(self.argv, code, b"".join(self._protocol.out).decode("utf-8", "replace"),
                             b"".join(self._protocol.err).decode("utf-8", "replace"), killed)

    def _time_out(self) -> None:
        self._protocol.killed = True
        self.signal("TERM")
        self._reactor.callLater(2.0, self.signal, "KILL")  # type: ignore[attr-defined]

    def signal(self, name: str) -> None:
        try:
            self.transport.signalProcess(name)
        except Exception:  # already gone
            pass

    def stop(self) -> Deferred[ProcessResult]:
        """Ask the process to end (SIGTERM, then SIGKILL after 2 s) and wait for it."""
        if self.transport.pid is not None:
            self.signal("TERM")
            kill = self._reactor.callLater(2.0, self.signal, "KILL")  # type: ignore[attr-defined]

            def cancel_kill(result: ProcessResult) -> ProcessResult:
                if kill.active():
                    kill.cancel()
                return result

            return self.ended.addBoth(cancel_kill)
        return self.ended


def free_port(kind: str = "both") -> int:
    """A port free on 127.0.0.1 for UDP and/or TCP right now (another program may still take it)."""
    for _ in range(50):
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        if kind == "udp":
            return int(port)
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind(("127.0.0.1", port))
            return int(port)
        except OSError:
            continue
        finally:
            tcp.close()
    raise RuntimeError("no free port")


def sleep(reactor: object, seconds: float) -> Deferred[None]:
    """A Deferred that fires after ``seconds`` of reactor time."""
    return deferLater(reactor, seconds, lambda: None)  # type: ignore[arg-type]

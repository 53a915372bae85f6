# -*- test-case-name: tests.sip.test_peers_sipp -*-
"""
SIPp driven from Python: a run of a bundled scenario against a target, or a
SIPp server (UAS) in the background, each bounded in time. The result keeps
SIPp's exit code, its statistics and the message trace for diagnostics.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs
from twisted.internet.defer import Deferred

from voicedock.sip.routing import HostPort
from voicedock.testing.sip_peers import data_path
from voicedock.testing.sip_peers.process import BoundedProcess, ProcessResult, free_port

SIPP = shutil.which("sipp")
#: Why SIPp tests skip on a machine without it.
SIPP_MISSING = "sipp is not installed (apt-get install sip-tester)"


@attrs.frozen
class SippResult:
    """A finished SIPp run: exit code (0: every call succeeded), stats and traces."""

    process: ProcessResult
    stats: dict[str, str]
    messages: str
    errors: str

    @property
    def exit_code(self) -> int | None:
        return self.process.exit_code

    def counter(self, name: str) -> int:
        """A cumulative statistics counter, e.g. ``SuccessfulCall`` or ``FailedCall``."""
        value = self.stats.get(f"{name}(C)", "0")
        return int(value) if value.isdigit() else 0

    def describe(self) -> str:
        """Everything useful when a test fails."""
        return (f"sipp exit {self.exit_code} (timed out: {self.process.timed_out})\n"
                f"stdout:\n{self.process.stdout[-2000:]}\nstderr:\n{self.process.stderr[-2000:]}\n"
                f"errors:\n{self.errors[-3000:]}\nmessages:\n{self.messages[-6000:]}")


def scenario_path(name: str) -> Path:
    return data_path("scenarios", name if name.endswith(".xml") else name + ".xml")


class SippRun:
    """
    One SIPp process. As a client, ``target`` is where it sends; as a server
    (a ``uas_*`` scenario), ``target`` is None and it listens on :attr:`port`.
    :attr:`done` fires with a :class:`SippResult`.
    """

    def __init__(
        self,
        reactor: object,
        scenario: str,
        target: HostPort | None = None,
        *,
        transport: str = "UDP",
        calls: int = 1,
        rate: float | None = None,
        limit: int | None = None,
        timeout: float = 20.0,
        service: str = "voicedock",
        keys: Mapping[str, object] | None = None,
        port: int | None = None,
        trace: bool = True,
        extra: Iterable[str] = (),
    ) -> None:
        if SIPP is None:
            raise RuntimeError(SIPP_MISSING)
        self.workdir = Path(tempfile.mkdtemp(prefix="vd-sipp-"))
        self.port = port or free_port("both" if transport.upper() == "TCP" else "udp")
        self.media_port = free_port("udp")
        argv = [SIPP]
        if target is not None:
            argv.append(f"{target.host}:{target.port}")
        argv += [
            "-sf", str(scenario_path(scenario)),
            "-i", "127.0.0.1", "-p", str(self.port), "-mi", "127.0.0.1", "-mp", str(self.media_port),
            "-t", "t1" if transport.upper() == "TCP" else "u1",
            "-m", str(calls), "-s", service, "-nostdin",
            "-timeout", f"{int(timeout)}s", "-timeout_error",
            "-max_recv_loops", "10000",
            "-trace_stat", "-stf", str(self.workdir / "stats.csv"), "-fd", "1",
        ]
        if trace:
            argv += ["-trace_msg", "-message_file", str(self.workdir / "messages.log"),
                     "-trace_err", "-error_file", str(self.workdir / "errors.log")]
        if rate is not None:
            argv += ["-r", str(rate)]
        if limit is not None:
            argv += ["-l", str(limit)]
        for key, value in (keys or {}).items():
            argv += ["-key", key, str(value)]
        argv += list(extra)
        self.process = BoundedProcess(reactor, argv, timeout + 5.0, cwd=str(self.workdir))
        self.done: Deferred[SippResult] = self.process.ended.addCallback(self._result)

    def _read(self, name: str) -> str:
        path = self.workdir / name
        return path.read_text("utf-8", "replace") if path.exists() else ""

    def _result(self, process: ProcessResult) -> SippResult:
        stats: dict[str, str] = {}
        text = self._read("stats.csv")
        rows = list(csv.reader(text.splitlines(), delimiter=";"))
        if len(rows) >= 2:
            stats = dict(zip(rows[0], rows[-1]))
        result = SippResult(process, stats, self._read("messages.log"), self._read("errors.log"))
        shutil.rmtree(self.workdir, ignore_errors=True)
        return result

    def stop(self) -> Deferred[SippResult]:
        self.process.stop()
        return self.done


def run_sipp(reactor: object, scenario: str, target: HostPort | None = None,
             **options: object) -> Deferred[SippResult]:
    """Run a bundled scenario to completion (see :class:`SippRun` for the options)."""
    return SippRun(reactor, scenario, target, **options).done  # type: ignore[arg-type]

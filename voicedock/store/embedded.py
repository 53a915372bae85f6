# -*- test-case-name: tests.store.test_embedded -*-
"""
The embedded PostgreSQL server: a child process of VoiceDock with its data in
``<data-dir>/pg``, listening on a Unix socket only (trust authentication, so nothing but
local users who can reach the socket directory may connect).

Lifecycle: ``start()`` runs ``initdb`` on first use, recovers a server left behind by a
killed earlier run (it is stopped and started again as our own child, never doubled), starts
``postgres`` and waits until it accepts connections; ``stop()`` asks for a fast shutdown and
waits for the process to end, so nothing is left running after the service stops.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import psycopg2
from twisted.internet import defer, error, protocol
from twisted.internet.interfaces import IReactorProcess, IReactorTime
from twisted.logger import Logger

from voicedock.store.pgbinaries import (
    EmbeddedPostgresError,
    PostgresBinaries,
    RunAs,
    choose_binaries,
    resolve_run_as,
    unreachable_path,
)

SOCKET_NAME = ".s.PGSQL.5432"
# sun_path is 108 bytes including the terminating NUL.
MAX_SOCKET_PATH = 107
DATABASE = "voicedock"


class _ChildProtocol(protocol.ProcessProtocol):
    """Relays a child's output to the log and fires ``ended`` with its exit status."""

    def __init__(self, log: Logger, name: str) -> None:
        self.log = log
        self.name = name
        self.ended: defer.Deferred[int] = defer.Deferred()
        self.output: list[str] = []
        self._partial = b""

    def _lines(self, data: bytes) -> None:
        self._partial += data
        *lines, self._partial = self._partial.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                self.output.append(line)
                del self.output[:-50]
                if any(w in line for w in ("FATAL:", "PANIC:", "ERROR:", "WARNING:")):
                    self.log.warn("{name}: {line}", name=self.name, line=line)

    outReceived = _lines
    errReceived = _lines

    def processEnded(self, reason: Any) -> None:
        code = getattr(reason.value, "exitCode", None)
        sig = getattr(reason.value, "signal", None)
        self.ended.callback(code if code is not None else -(sig or 1))


def postmaster_pid(pg_dir: Path) -> int | None:
    """The pid recorded in ``postmaster.pid``, if that process is still alive."""
    try:
        pid = int((pg_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None
    return pid if process_alive(pid) else None


def process_alive(pid: int) -> bool:
    """True for a running process; False for none or a zombie (dead, not yet reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            # the command name may hold spaces and parentheses: split after the last ')'
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def owner_of_running_server(pg_dir: Path) -> int | None:
    """
    The pid of a live VoiceDock process whose child the running postmaster is, or None when
    the postmaster is an orphan (its parent died, e.g. after a SIGKILL) or not running.
    """
    pid = postmaster_pid(pg_dir)
    if pid is None:
        return None
    parent = _parent_of(pid)
    if parent is None or parent <= 1:
        return None
    cmd = _cmdline(parent)
    if "twistd" in cmd or "voicedock" in cmd or "trial" in cmd:
        return parent
    return None


def socket_dsn(pg_dir: Path, dbname: str = DATABASE) -> str:
    return f"host={pg_dir.absolute()} port=5432 dbname={dbname} user=postgres"


class EmbeddedPostgres:
    """Runs PostgreSQL as a child process for the lifetime of the service."""

    log = Logger(namespace="voicedock.pg")

    def __init__(
        self,
        reactor: Any,
        pg_dir: Path,
        user: str | None = None,
        initdb_sync: bool = True,
        ready_timeout: float = 60.0,
    ) -> None:
        self.reactor = reactor
        self.clock: IReactorTime = reactor
        self.pg_dir = Path(os.path.abspath(pg_dir))
        self.requested_user = user
        self.initdb_sync = initdb_sync
        self.ready_timeout = ready_timeout
        self.binaries: PostgresBinaries | None = None
        self.run_as: RunAs | None = None
        self._process: Any = None
        self._protocol: _ChildProtocol | None = None

    @property
    def dsn(self) -> str:
        return socket_dsn(self.pg_dir)

    def _sleep(self, seconds: float) -> defer.Deferred[None]:
        d: defer.Deferred[None] = defer.Deferred()
        self.clock.callLater(seconds, d.callback, None)
        return d

    def _spawn(self, name: str, argv: list[str]) -> tuple[Any, _ChildProtocol]:
        assert self.run_as is not None
        proto = _ChildProtocol(self.log, name)
        env = {"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "TZ": "UTC", "PATH": "/usr/bin:/bin"}
        process = IReactorProcess(self.reactor).spawnProcess(
            proto,
            argv[0],
            argv,
            env=env,
            path=str(self.pg_dir.parent),
            uid=self.run_as.uid,
            gid=self.run_as.gid,
            childFDs={0: "w", 1: "r", 2: "r"},
        )
        return process, proto

    def _prepare_directory(self) -> None:
        assert self.run_as is not None
        socket_path = self.pg_dir / SOCKET_NAME
        if len(str(socket_path)) > MAX_SOCKET_PATH:
            raise EmbeddedPostgresError(
                f"the data directory path is too long for PostgreSQL's socket "
                f"({len(str(socket_path))} > {MAX_SOCKET_PATH} characters): {socket_path}; "
                "use a shorter --data-dir"
            )
        parent = self.pg_dir.parent
        parent.mkdir(parents=True, exist_ok=True)
        blocked = unreachable_path(self.pg_dir, self.run_as)
        if blocked:
            raise EmbeddedPostgresError(
                f"the embedded PostgreSQL server runs as {self.run_as.name!r}, which cannot "
                f"reach its data directory {self.pg_dir}: {blocked}. Use a --data-dir outside "
                "a private home folder, or --db with an external server"
            )
        if not self.pg_dir.exists():
            self.pg_dir.mkdir(mode=0o700)
        if self.run_as.uid is not None:
            st = self.pg_dir.stat()
            if st.st_uid != self.run_as.uid:
                if any(self.pg_dir.iterdir()):
                    raise EmbeddedPostgresError(
                        f"{self.pg_dir} belongs to uid {st.st_uid}, not to {self.run_as.name!r}; "
                        "refusing to take over a directory with data in it"
                    )
                os.chown(self.pg_dir, self.run_as.uid, self.run_as.gid)
        os.chmod(self.pg_dir, 0o700)
        if not (self.pg_dir / "PG_VERSION").exists() and any(self.pg_dir.iterdir()):
            raise EmbeddedPostgresError(
                f"{self.pg_dir} is not empty but holds no database (an interrupted first "
                "start?); remove the directory and start again"
            )

    @defer.inlineCallbacks
    def _stop_orphan(self) -> Any:
        pid = postmaster_pid(self.pg_dir)
        if pid is None:
            return
        owner = owner_of_running_server(self.pg_dir)
        if owner is not None and owner != os.getpid():
            raise EmbeddedPostgresError(
                f"the database in {self.pg_dir} is in use by another VoiceDock process "
                f"(pid {owner}); stop it first"
            )
        self.log.warn(
            "stopping a PostgreSQL server left running by an earlier run (pid {pid})", pid=pid
        )
        os.kill(pid, signal.SIGINT)
        for i in range(200):
            if postmaster_pid(self.pg_dir) != pid:
                return
            if i == 100:
                os.kill(pid, signal.SIGQUIT)
            yield self._sleep(0.05)
        raise EmbeddedPostgresError(f"the stale PostgreSQL server (pid {pid}) did not stop")

    @defer.inlineCallbacks
    def _initdb(self) -> Any:
        assert self.binaries is not None
        self.log.info(
            "creating the embedded database in {dir} (PostgreSQL {major}, {origin})",
            dir=str(self.pg_dir),
            major=self.binaries.major,
            origin=self.binaries.origin,
        )
        argv = [
            self.binaries.initdb,
            "-D", str(self.pg_dir),
            "-U", "postgres",
            "-A", "trust",
            "-E", "UTF8",
            "--locale=C.UTF-8",
        ]
        if not self.initdb_sync:
            argv.append("--no-sync")
        _, proto = self._spawn("initdb", argv)
        code = yield proto.ended
        if code != 0:
            raise EmbeddedPostgresError(
                f"initdb failed (exit {code}): " + " | ".join(proto.output[-5:])
            )

    @defer.inlineCallbacks
    def start(self) -> Any:
        """Start the server (creating the cluster on first use); fires with the DSN."""
        self.run_as = resolve_run_as(self.requested_user)
        self._prepare_directory()
        self.binaries = choose_binaries(self.pg_dir, self.run_as)
        yield self._stop_orphan()
        if not (self.pg_dir / "PG_VERSION").exists():
            yield self._initdb()
        argv = [
            self.binaries.postgres,
            "-D", str(self.pg_dir),
            "-k", str(self.pg_dir),
            "-c", "listen_addresses=",
            "-c", "unix_socket_permissions=0700",
            "-c", "logging_collector=off",
            "-c", "max_connections=100",
        ]
        self._process, self._protocol = self._spawn("postgres", argv)
        yield self._wait_ready()
        yield self._ensure_database()
        self.log.info(
            "embedded PostgreSQL {major} ({origin}) ready on {socket}",
            major=self.binaries.major,
            origin=self.binaries.origin,
            socket=str(self.pg_dir / SOCKET_NAME),
        )
        return self.dsn

    def _try_connect(self, dbname: str) -> bool:
        try:
            conn = psycopg2.connect(socket_dsn(self.pg_dir, dbname), connect_timeout=2)
        except psycopg2.OperationalError:
            return False
        conn.close()
        return True

    @defer.inlineCallbacks
    def _wait_ready(self) -> Any:
        assert self._protocol is not None
        waited = 0.0
        step = 0.05
        while waited < self.ready_timeout:
            if self._protocol.ended.called:
                raise EmbeddedPostgresError(
                    "PostgreSQL exited during start-up: " + " | ".join(self._protocol.output[-5:])
                )
            if (self.pg_dir / SOCKET_NAME).exists() and self._try_connect("postgres"):
                return
            yield self._sleep(step)
            waited += step
        raise EmbeddedPostgresError(
            f"PostgreSQL did not accept connections within {self.ready_timeout:.0f} s"
        )

    def _ensure_database(self) -> None:
        # A short synchronous admin step on a local socket right after start-up.
        conn = psycopg2.connect(socket_dsn(self.pg_dir, "postgres"))
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
                if cur.fetchone() is None:
                    cur.execute(f'CREATE DATABASE "{DATABASE}"')
        finally:
            conn.close()

    def stop(self) -> defer.Deferred[Any]:
        """Fast shutdown (SIGINT): rolls back open transactions; fires when the process ended."""
        if self._process is None or self._protocol is None:
            return defer.succeed(None)
        ended = self._protocol.ended
        if not ended.called:
            try:
                self._process.signalProcess("INT")
            except error.ProcessExitedAlready:
                pass
        self._process = None
        return ended

"""
PostgreSQL for tests: a fresh, migrated database per test, dropped afterwards.

The server is ``VOICEDOCK_TEST_DSN`` when set (CI points it at the machine's PostgreSQL);
otherwise one embedded server (the same binaries ``twistd voicedock`` uses) is started for
the whole test run in a temporary directory and stopped when the run ends.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2.extensions import make_dsn, parse_dsn
from twisted.internet import defer

from voicedock.store.migrate import migrate
from voicedock.store.pgbinaries import choose_binaries, resolve_run_as
from voicedock.store.pool import Database

_shared_admin_dsn: str | None = None


def _demote(uid: int | None, gid: int | None) -> Any:
    if uid is None:
        return None

    def run() -> None:
        os.setgid(gid)  # type: ignore[arg-type]
        os.setgroups([gid])  # type: ignore[list-item]
        os.setuid(uid)

    return run


def _start_shared_embedded() -> str:
    base = Path(tempfile.mkdtemp(prefix="vdtest-pg-"))
    os.chmod(base, 0o755)
    pg_dir = base / "pg"
    run_as = resolve_run_as(os.environ.get("VOICEDOCK_TEST_PG_USER"))
    pg_dir.mkdir(mode=0o700)
    if run_as.uid is not None:
        os.chown(pg_dir, run_as.uid, run_as.gid)  # type: ignore[arg-type]
    binaries = choose_binaries(pg_dir, run_as)
    env = {"LC_ALL": "C.UTF-8", "TZ": "UTC", "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [binaries.initdb, "-D", str(pg_dir), "-U", "postgres", "-A", "trust", "-E", "UTF8",
         "--locale=C.UTF-8", "--no-sync"],
        check=True, env=env, cwd=str(base), preexec_fn=_demote(run_as.uid, run_as.gid),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    proc = subprocess.Popen(
        [binaries.postgres, "-D", str(pg_dir), "-k", str(pg_dir), "-c", "listen_addresses=",
         "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
         "-c", "max_connections=200"],
        env=env, cwd=str(base), preexec_fn=_demote(run_as.uid, run_as.gid),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )

    def stop() -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(base, ignore_errors=True)

    atexit.register(stop)
    dsn = f"host={pg_dir} port=5432 dbname=postgres user=postgres"
    deadline = time.monotonic() + 30
    while True:
        try:
            psycopg2.connect(dsn).close()
            return dsn
        except psycopg2.OperationalError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the embedded test PostgreSQL server did not start")
            time.sleep(0.05)


def admin_dsn() -> str:
    """A DSN for the test server's maintenance database (creating and dropping test DBs)."""
    global _shared_admin_dsn
    env = os.environ.get("VOICEDOCK_TEST_DSN")
    if env:
        return env
    if _shared_admin_dsn is None:
        _shared_admin_dsn = _start_shared_embedded()
    return _shared_admin_dsn


def with_dbname(dsn: str, dbname: str) -> str:
    params = parse_dsn(dsn)
    params["dbname"] = dbname
    return make_dsn(**params)


def create_database(prefix: str = "vdtest") -> tuple[str, str]:
    """Create an empty database; returns (name, dsn)."""
    admin = admin_dsn()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn = psycopg2.connect(admin)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    return name, with_dbname(admin, name)


def drop_database(name: str) -> None:
    conn = psycopg2.connect(admin_dsn())
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


@defer.inlineCallbacks
def make_test_database(testcase: Any, reactor: Any = None, migrated: bool = True) -> Any:
    """
    A started :class:`Database` on a new database (migrated unless told otherwise); the
    pool is closed and the database dropped when ``testcase`` ends.
    """
    if reactor is None:
        from twisted.internet import reactor as default_reactor

        reactor = default_reactor
    name, dsn = create_database()
    testcase.addCleanup(drop_database, name)
    db = Database(reactor, dsn, size=2)
    yield db.start()
    testcase.addCleanup(db.close)
    if migrated:
        yield migrate(db)
    return db

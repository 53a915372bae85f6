# -*- test-case-name: tests.process.test_twistd -*-
"""
The VoiceDock service tree, started by ``twistd voicedock``.

Start-up is one ordered sequence: the database (the embedded server first, when no DSN is
configured), migrations, the secret-key check, the bootstrap key and the number directory,
and only then the listeners (``voicedock.listeners``: media, SIP, the REST API). Shutdown
runs it backwards: listeners close, the pool closes, the embedded server stops. A start-up failure
is logged as one clear line, everything started is stopped again, and the process exits 1.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable

from twisted.application import service
from twisted.internet import defer
from twisted.logger import Logger

from voicedock import __version__
from voicedock.config import ServerConfig
from voicedock.gctuning import tune_for_serving
from voicedock.listeners import ApiListener, Listener, MediaListener, Runtime, SipListener
from voicedock.secretbox import SecretBox, SecretKeyError
from voicedock.store import api_keys, settings
from voicedock.store.embedded import EmbeddedPostgres
from voicedock.store.migrate import migrate
from voicedock.store.number_directory import NumberDirectory
from voicedock.store.pgbinaries import EmbeddedPostgresError
from voicedock.store.pool import Database, StoreUnavailable


# Failures whose message says everything; anything else is logged with its traceback.
EXPECTED_START_ERRORS = (EmbeddedPostgresError, SecretKeyError, StoreUnavailable, OSError)


def write_ports_file(path: Any, ports: dict[str, Any]) -> None:
    """Write ``ports.json`` atomically (tests and scripts read the bound ports from it)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(ports, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def write_secret_file(path: Any, text: str) -> None:
    """Create ``path`` with mode 0600 (never readable by others, even briefly)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


class VoiceDockService(service.Service):
    """The whole server: store, then listeners; stopped in reverse order."""

    log = Logger(namespace="voicedock")

    def __init__(
        self,
        config: ServerConfig,
        reactor: Any,
        secretbox: SecretBox,
        key_origin: str,
        listeners: list[Listener] | None = None,
        on_fatal: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.reactor = reactor
        self.secretbox = secretbox
        self.key_origin = key_origin
        self.listeners: list[Listener] = (
            listeners if listeners is not None else [MediaListener(), SipListener(), ApiListener()]
        )
        self.on_fatal = on_fatal
        self.embedded: EmbeddedPostgres | None = None
        self.db: Database | None = None
        self.runtime: Runtime | None = None
        self._started: list[Listener] = []
        self.ready: defer.Deferred[None] = defer.Deferred()
        self._starting: defer.Deferred[Any] | None = None

    def startService(self) -> None:
        super().startService()
        self._starting = self._start()
        self._starting.addCallbacks(self.ready.callback, self._start_failed)

    @defer.inlineCallbacks
    def _start(self) -> Any:
        config = self.config
        config.ports_file.unlink(missing_ok=True)  # left behind by a killed earlier run
        self.log.info("VoiceDock {version} starting; data in {dir}", version=__version__, dir=str(config.data_dir.absolute()))
        self.log.info("self-check: secret key from {origin} (fingerprint {fp})", origin=self.key_origin, fp=self.secretbox.fingerprint)
        dsn = config.db
        if dsn is None:
            self.embedded = EmbeddedPostgres(self.reactor, config.pg_dir, user=config.pg_user)
            dsn = yield self.embedded.start()
            self.log.info("self-check: database is the embedded PostgreSQL in {dir}", dir=str(config.pg_dir.absolute()))
        else:
            self.log.info("self-check: database is the external PostgreSQL given by --db")
        self.db = Database(self.reactor, dsn)
        yield self.db.start()
        yield migrate(self.db)
        yield settings.check_key_fingerprint(self.db, self.secretbox.fingerprint)
        plaintext = yield api_keys.bootstrap_if_empty(self.db)
        if plaintext:
            write_secret_file(config.bootstrap_key_file, plaintext + "\n")
            self.log.warn(
                "first start: created the organization 'default' and its API key; the key is in "
                "{path} (mode 0600); keep it safe and delete the file once copied",
                path=str(config.bootstrap_key_file.absolute()),
            )
        numbers = NumberDirectory(self.db)
        yield numbers.start()  # LISTENs for routing changes, from this process and others
        self.runtime = Runtime(config, self.reactor, self.db, self.secretbox, numbers)
        ports: dict[str, Any] = {"pid": os.getpid()}
        for listener in self.listeners:
            bound = yield listener.start(self.runtime)
            self._started.append(listener)
            ports.update(bound)
        address, warning = self.runtime.public_address, self.runtime.public_address_warning
        ports["public_ip"] = address
        self.log.info("self-check: public address for SDP and Contact: {address}", address=address)
        if warning:
            self.log.warn("{warning}", warning=warning)
        if not config.trusted_sources:
            self.log.warn(
                "[sip] trusted_sources is empty: INVITEs will be accepted from any address "
                "(set it to your SIP provider's addresses in production)"
            )
        write_ports_file(config.ports_file, ports)
        # Start-up objects live for the whole run; full collections would delay SIP
        # retransmissions and 20 ms media ticks (see voicedock.gctuning).
        tune_for_serving()
        self.log.info("VoiceDock ready")

    def _start_failed(self, failure: Any) -> None:
        self.log.critical(
            "VoiceDock could not start: {why}", why=str(failure.value) or failure.type.__name__
        )
        if not failure.check(*EXPECTED_START_ERRORS):
            self.log.failure("start-up failure details", failure)
        d = self._shutdown()

        def fatal(_: Any) -> None:
            self.ready.errback(failure)
            self.ready.addErrback(lambda _: None)  # already logged above
            if self.on_fatal is not None:
                self.on_fatal()

        d.addBoth(fatal)

    @defer.inlineCallbacks
    def _shutdown(self) -> Any:
        while self._started:
            listener = self._started.pop()
            try:
                yield listener.stop()
            except Exception:
                self.log.failure("stopping {name} failed", name=listener.name)
        if self.db is not None:
            self.db.close()
            self.db = None
        if self.embedded is not None:
            yield self.embedded.stop()
            self.embedded = None
        try:
            self.config.ports_file.unlink()
        except FileNotFoundError:
            pass

    @defer.inlineCallbacks
    def stopService(self) -> Any:
        super().stopService()
        if self._starting is not None and not self._starting.called:
            # Stopped while starting (SIGTERM during start-up): let the start finish or fail.
            try:
                yield self._starting
            except Exception:
                pass
        yield self._shutdown()
        self.log.info("VoiceDock stopped")

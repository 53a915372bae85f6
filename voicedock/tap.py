# -*- test-case-name: tests.process.test_twistd -*-
"""``twistd voicedock``: command-line options and the service maker."""

from __future__ import annotations

import os
import sys
from typing import Any

from twisted.logger import ILogObserver
from twisted.python import usage

from voicedock.config import ConfigError, ServerConfig, load_config
from voicedock.logformat import JsonLinesObserver
from voicedock.secretbox import SecretBox, SecretKeyError, load_or_create_key
from voicedock.service import VoiceDockService

EXIT_STATUS_NOTE = """\
Exit status: 0 after a clean stop requested by the process itself; after SIGTERM or SIGINT
twistd re-raises the signal, so the shell sees 143 (SIGTERM) or 130 (SIGINT): a clean stop.
1: the server could not start (the reason is logged on one line)."""


class Options(usage.Options):
    """Options of ``twistd voicedock``; each overrides the same key of the config file."""

    synopsis = "[options]"
    longdesc = (
        "Runs the VoiceDock voice-AI telephony server. With no --db, an embedded PostgreSQL "
        "server runs in <data-dir>/pg. Every option can also be set in a TOML file "
        "(--config; see etc/voicedock.toml); options given here win.\n\n" + EXIT_STATUS_NOTE
    )
    optParameters = [
        ["config", "c", None, "TOML configuration file (keep it mode 0600 if it holds secrets)"],
        ["data-dir", None, None, "Directory for state: embedded database, keys, ports.json [./var]"],
        ["db", None, None, "PostgreSQL DSN of an external database (omitted: embedded server)"],
        ["pg-user", None, None, "As root: the unprivileged user the embedded PostgreSQL runs as"],
        ["api-interface", None, None, "Address the REST API listens on [127.0.0.1]"],
        ["api-port", None, None, "REST API TCP port; 0 picks a free one [8080]"],
        ["sip-interface", None, None, "Address SIP listens on [0.0.0.0]"],
        ["sip-port", None, None, "SIP UDP and TCP port; 0 picks a free one [5060]"],
        ["public-ip", None, None, "Address put in SDP and Contact [the SIP interface's]"],
        ["rtp-ports", None, None, "UDP port range for RTP, LOW-HIGH [20000-29999]"],
        ["log-format", None, None, "text or json [text]"],
    ]

    def postOptions(self) -> None:
        cli = {
            "data_dir": self["data-dir"],
            "db": self["db"],
            "pg_user": self["pg-user"],
            "api_interface": self["api-interface"],
            "api_port": self["api-port"],
            "sip_interface": self["sip-interface"],
            "sip_port": self["sip-port"],
            "public_ip": self["public-ip"],
            "rtp_ports": self["rtp-ports"],
            "log_format": self["log-format"],
        }
        try:
            self.server_config = load_config(self["config"], cli)
        except ConfigError as e:
            raise usage.UsageError(str(e))


class _Root(VoiceDockService):
    """The service twistd runs; installs the JSON log observer on the application."""

    def setServiceParent(self, parent: Any) -> None:
        if self.config.log_format == "json" and hasattr(parent, "setComponent"):
            parent.setComponent(ILogObserver, JsonLinesObserver(sys.stdout))
        super().setServiceParent(parent)


def prepare_data_dir(config: ServerConfig) -> None:
    config.data_dir.mkdir(parents=True, exist_ok=True)


def load_secretbox(config: ServerConfig) -> tuple[SecretBox, str]:
    key, origin = load_or_create_key(
        os.environ.get("VOICEDOCK_SECRET_KEY"),
        config.secret_key,
        config.secret_key_file,
        config.default_secret_key_file,
    )
    return SecretBox(key), origin


def makeService(options: Options) -> VoiceDockService:
    from twisted.internet import reactor

    config: ServerConfig = options.server_config
    try:
        prepare_data_dir(config)
        secretbox, origin = load_secretbox(config)
    except (OSError, SecretKeyError) as e:
        raise SystemExit(f"voicedock: {e}")

    def fatal() -> None:
        # twistd has no exit code of its own; leave with 1 once shutdown has completed.
        def stop() -> None:
            reactor.addSystemEventTrigger("after", "shutdown", os._exit, 1)
            reactor.stop()

        reactor.callWhenRunning(stop)

    return _Root(config, reactor, secretbox, origin, on_fatal=fatal)

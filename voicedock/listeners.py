# -*- test-case-name: tests.process.test_twistd -*-
"""
The network-facing parts of the process, started in order once the store is ready:
media (the RTP port range), SIP, then the REST API. Each logs one ``self-check:`` line and
reports the ports it bound for ``ports.json``.
"""

from __future__ import annotations

from typing import Any, Protocol

from twisted.internet import defer, error
from twisted.logger import Logger

from voicedock.api.app import ApiDependencies, ApiServer
from voicedock.config import ServerConfig
from voicedock.media import MediaConfig, MediaEngine
from voicedock.netinfo import describe_public_address
from voicedock.secretbox import SecretBox
from voicedock.sip.transaction.timers import TimerSettings
from voicedock.sip.transport import SipTransport
from voicedock.sip.ua import ReactorResolver, UserAgent, UserAgentConfig
from voicedock.store.number_directory import NumberDirectory
from voicedock.store.pool import Database


class Runtime:
    """What the listeners share: config, reactor, database, secret box, number lookup, engines."""

    def __init__(
        self,
        config: ServerConfig,
        reactor: Any,
        db: Database,
        secretbox: SecretBox,
        numbers: NumberDirectory | None = None,
    ) -> None:
        self.config = config
        self.reactor = reactor
        self.db = db
        self.secretbox = secretbox
        #: the number lookup SIP routing uses; the API invalidates it on every change
        self.numbers = numbers
        self.media: MediaEngine | None = None
        self.sip: UserAgent | None = None
        self.public_address, self.public_address_warning = describe_public_address(
            config.public_ip, config.sip_interface
        )


class Listener(Protocol):
    """A network-facing part (API, SIP, media) started once the store is ready."""

    name: str

    def start(self, runtime: Runtime) -> defer.Deferred[dict[str, Any]]:
        """Bind; fire with the ports it bound (for ``ports.json``) as a dict."""

    def stop(self) -> defer.Deferred[None]:
        """Stop listening; fire when done."""


def _shown(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class MediaListener:
    """The process's one media engine (one pacing ticker) on ``--rtp-ports``."""

    name = "media"
    log = Logger(namespace="voicedock.media")

    def __init__(self) -> None:
        self.engine: MediaEngine | None = None

    def start(self, runtime: Runtime) -> defer.Deferred[dict[str, Any]]:
        config = runtime.config
        media_config = MediaConfig.from_options(
            str(config.rtp_ports),
            bind_interface=config.sip_interface,
            rtp_timeout=config.rtp_timeout,
            jitter_min_frames=config.jitter_min_ms // 20,
            jitter_max_frames=config.jitter_max_ms // 20,
        )
        engine = MediaEngine(runtime.reactor, runtime.reactor, media_config)
        # Bind one pair now, so a range we may not use fails at start-up, not on a call.
        engine.open_session("self-check").close()
        self.engine = runtime.media = engine
        pairs = engine.figures().ports_available
        self.log.info(
            "self-check: RTP media on {host} ports {ports} ({pairs} port pairs)",
            host=_shown(config.sip_interface),
            ports=str(config.rtp_ports),
            pairs=pairs,
        )
        return defer.succeed({"rtp": {"low": config.rtp_ports.low, "high": config.rtp_ports.high}})

    def stop(self) -> defer.Deferred[None]:
        if self.engine is not None:
            self.engine.close_all()
            self.engine = None
        return defer.succeed(None)


class SipListener:
    """
    The SIP user agent on UDP and TCP at ``--sip-interface``:``--sip-port`` (the same port
    number for both). Until call control is attached, INVITEs are answered 503.
    """

    name = "sip"
    log = Logger(namespace="voicedock.sip")

    def __init__(self) -> None:
        self.ua: UserAgent | None = None
        self.transport: SipTransport | None = None

    def _bind(self, transport: SipTransport, port: int, interface: str, advertise: str | None) -> int:
        attempts = 20 if port == 0 else 1
        for attempt in range(attempts):
            udp = transport.listen_udp(port, interface, advertise)
            bound = udp.getHost().port
            try:
                transport.listen_tcp(bound, interface, advertise)
                return int(bound)
            except error.CannotListenError:
                udp.stopListening()
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def start(self, runtime: Runtime) -> defer.Deferred[dict[str, Any]]:
        config = runtime.config
        self.ua = UserAgent(
            UserAgentConfig(
                public_address=runtime.public_address,
                server=config.sip_server_header,
                user_agent=config.sip_server_header,
                timers=TimerSettings(t1=config.sip_t1, t2=config.sip_t2, t4=config.sip_t4),
            ),
            runtime.reactor,
            resolver=ReactorResolver(runtime.reactor),
        )
        self.transport = SipTransport(runtime.reactor, self.ua)
        port = self._bind(self.transport, config.sip_port, config.sip_interface, config.public_ip)
        self.ua.attach_transport(self.transport)
        runtime.sip = self.ua
        self.log.info(
            "self-check: SIP listening on udp and tcp {host}:{port}",
            host=_shown(config.sip_interface),
            port=port,
        )
        return defer.succeed({"sip": port})

    def stop(self) -> defer.Deferred[None]:
        if self.ua is not None:
            self.ua.stop()
            self.ua = None
        if self.transport is None:
            return defer.succeed(None)
        transport, self.transport = self.transport, None
        return transport.close()


class ApiListener:
    """The REST API on ``--api-interface``:``--api-port``."""

    name = "api"
    log = Logger(namespace="voicedock.api")

    def __init__(self) -> None:
        self._port: Any = None

    def start(self, runtime: Runtime) -> defer.Deferred[dict[str, Any]]:
        deps = ApiDependencies(
            db=runtime.db,
            secretbox=runtime.secretbox,
            clock=runtime.reactor,
            rate_limit_per_minute=runtime.config.rate_limit_per_minute,
            voices_dir=runtime.config.data_dir / "voices",
            number_directory=runtime.numbers,
        )
        site = ApiServer(deps).site()
        config = runtime.config
        self._port = runtime.reactor.listenTCP(config.api_port, site, interface=config.api_interface)
        port = self._port.getHost().port
        self.log.info(
            "self-check: REST API listening on http://{host}:{port}/api/v1",
            host=_shown(config.api_interface),
            port=port,
        )
        return defer.succeed({"api": port})

    def stop(self) -> defer.Deferred[None]:
        if self._port is None:
            return defer.succeed(None)
        port, self._port = self._port, None
        return defer.maybeDeferred(port.stopListening)

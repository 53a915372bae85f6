# -*- test-case-name: tests.sip.test_peers_kamailio -*-
"""
Kamailio as a small "office PBX" for client tests: digest authentication in
407 (Proxy-Authenticate) or 401 (WWW-Authenticate) mode, 403 for wrong
credentials, and authenticated INVITEs record-routed to one extension on
127.0.0.1 (e.g. a SIPp UAS). UDP on 127.0.0.1 only, no DNS, bounded in time.
"""

from __future__ import annotations

import glob
import shutil
import tempfile
from pathlib import Path

from twisted.internet import defer
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.protocol import DatagramProtocol

from voicedock.testing.sip_peers import data_path
from voicedock.testing.sip_peers.process import BoundedProcess, free_port, sleep

KAMAILIO = shutil.which("kamailio")
#: Why Kamailio tests skip on a machine without it.
KAMAILIO_MISSING = "kamailio is not installed (apt-get install kamailio)"


def module_path() -> str | None:
    """Where Kamailio's modules (auth.so ...) are installed, or None."""
    for candidate in ["/usr/lib/x86_64-linux-gnu/kamailio/modules",
                      *glob.glob("/usr/lib/*/kamailio/modules"), "/usr/lib/kamailio/modules",
                      "/usr/local/lib64/kamailio/modules"]:
        if Path(candidate, "auth.so").exists():
            return candidate + "/"
    return None


class _Probe(DatagramProtocol):
    def __init__(self) -> None:
        self.answered: Deferred[bytes] = Deferred()

    def datagramReceived(self, data: bytes, addr: tuple) -> None:  # type: ignore[type-arg]
        if not self.answered.called and data.startswith(b"SIP/2.0 200"):
            self.answered.callback(data)


class KamailioPbx:
    """
    One Kamailio process. :meth:`start` fires once it answers OPTIONS;
    :meth:`stop` ends it; :meth:`log` is what it logged (its ``PBX:`` lines
    name each decision: challenge, authenticated, wrong credentials, routed).
    """

    def __init__(
        self,
        reactor: object,
        *,
        user: str,
        password: str,
        ext_port: int,
        challenge: int = 407,
        qop: bool = True,
        realm: str = "voicedock-test-pbx",
        numbers: str = "^[+]?[0-9]{2,20}$",
        max_seconds: float = 120.0,
    ) -> None:
        if KAMAILIO is None:
            raise RuntimeError(KAMAILIO_MISSING)
        modules = module_path()
        if modules is None:
            raise RuntimeError("kamailio modules not found (apt-get install kamailio)")
        if challenge not in (401, 407):
            raise ValueError("challenge must be 401 or 407")
        self._reactor = reactor
        self.port = free_port("udp")
        self.workdir = Path(tempfile.mkdtemp(prefix="vd-kamailio-"))
        (self.workdir / "run").mkdir()
        values = {
            "PORT": self.port, "USER": user, "PASS": password, "REALM": realm,
            "CHALLENGE": challenge, "QOP": 1 if qop else 0, "NUMBERS_RE": numbers,
            "EXT_PORT": ext_port, "MPATH": modules, "DEBUG": 2,
        }
        text = data_path("kamailio", "pbx.cfg.in").read_text()
        for key, value in values.items():
            text = text.replace(f"@{key}@", str(value))
        self.config = self.workdir / "kamailio.cfg"
        self.config.write_text(text)
        self._max_seconds = max_seconds
        self.process: BoundedProcess | None = None

    @inlineCallbacks
    def start(self, ready_within: float = 10.0):  # type: ignore[no-untyped-def]
        check = BoundedProcess(self._reactor, [KAMAILIO, "-c", "-f", str(self.config)], 20.0)
        result = yield check.ended
        if result.exit_code != 0:
            raise RuntimeError(f"kamailio config check failed:\n{result.stderr[-2000:]}")
        self.process = BoundedProcess(
            self._reactor,
            [KAMAILIO, "-f", str(self.config), "-DD", "-E", "-Y", str(self.workdir / "run"),
             "-m", "32", "-M", "8"],
            self._max_seconds, cwd=str(self.workdir))
        probe = _Probe()
        listening = self._reactor.listenUDP(0, probe, interface="127.0.0.1")  # type: ignore[attr-defined]
        try:
            waited = 0.0
            while not probe.answered.called:
                if self.process.ended.called:
                    raise RuntimeError(f"kamailio exited:\n{self.log()[-2000:]}")
                if waited > ready_within:
                    raise RuntimeError(f"kamailio not ready in {ready_within}s:\n{self.log()[-2000:]}")
                probe.transport.write(self._options(listening.getHost().port), ("127.0.0.1", self.port))
                yield sleep(self._reactor, 0.1)
                waited += 0.1
        finally:
            yield defer.maybeDeferred(listening.stopListening)

    def _options(self, local_port: int) -> bytes:
        return (
            f"OPTIONS sip:127.0.0.1:{self.port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bKprobe{self._reactor.seconds():.0f}\r\n"  # type: ignore[attr-defined]
            f"Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=probe\r\n"
            f"To: <sip:127.0.0.1:{self.port}>\r\nCall-ID: probe-{local_port}@127.0.0.1\r\n"
            f"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        ).encode()

    def log(self) -> str:
        if self.process is None:
            return ""
        out, err = self.process.output()
        return out + err

    def decisions(self) -> list[str]:
        """The ``PBX:`` lines of the log, in order (the text after ``PBX: ``)."""
        return [line.split("PBX: ", 1)[1] for line in self.log().splitlines() if "PBX: " in line]

    def stop(self) -> Deferred[None]:
        if self.process is None:
            return defer.succeed(None)

        def cleanup(result: object) -> None:
            shutil.rmtree(self.workdir, ignore_errors=True)

        return self.process.stop().addBoth(cleanup)

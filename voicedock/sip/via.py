# -*- test-case-name: tests.sip.test_headers -*-
"""The Via header field value (RFC 3261 §20.42, §18.2.1; RFC 3581 ``rport``)."""

from __future__ import annotations

import re

import attrs

from voicedock.sip.grammar import Scanner, split_commas
from voicedock.sip.params import Parameters, check_header_param, parse_header_params
from voicedock.sip.uri import _HOSTNAME_RE, _IPV4_RE, _IPV6_RE, format_host

#: RFC 3261 §8.1.1.7: a branch starting with this cookie was made by an RFC 3261 element.
MAGIC_COOKIE = "z9hG4bK"

_HOST_RE = re.compile(r"\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-_.]+")
_DIGITS_RE = re.compile(r"[0-9]+")


@attrs.frozen
class Via:
    """
    One Via value: sent-protocol, sent-by and parameters. ``host`` holds an
    IPv6 address without brackets. ``transport`` is upper-cased.
    """

    transport: str
    host: str
    port: int | None = None
    params: Parameters = Parameters()
    protocol_name: str = "SIP"
    protocol_version: str = "2.0"

    @property
    def branch(self) -> str | None:
        return self.params.get("branch") or None

    @property
    def received(self) -> str | None:
        """
        The ``received`` address. Brackets around an IPv6 address, which the
        grammar does not allow but RFC 5118 §4.5 asks us to tolerate, are removed.
        """
        value = self.params.get("received")
        if not value:
            return None
        return value[1:-1] if value.startswith("[") else value

    @property
    def rport(self) -> int | None:
        """The port filled in by the server in ``rport=N`` (RFC 3581 §4), else None."""
        value = self.params.get("rport")
        return int(value) if value else None

    @property
    def wants_rport(self) -> bool:
        """True if the ``rport`` parameter is present, with or without a value (RFC 3581 §3)."""
        return "rport" in self.params

    @property
    def maddr(self) -> str | None:
        return self.params.get("maddr") or None

    @property
    def is_rfc3261_branch(self) -> bool:
        """True when the branch starts with the magic cookie (RFC 3261 §17.2.3)."""
        branch = self.branch
        return branch is not None and branch.startswith(MAGIC_COOKIE)

    @property
    def sent_by(self) -> str:
        host = format_host(self.host)
        return host if self.port is None else f"{host}:{self.port}"

    def with_param(self, name: str, value: str | None = None) -> Via:
        check_header_param(name, value)
        return attrs.evolve(self, params=self.params.set(name, value))

    def __str__(self) -> str:
        for name, value in self.params:
            check_header_param(name, value)
        return (
            f"{self.protocol_name}/{self.protocol_version}/{self.transport} "
            f"{self.sent_by}{self.params}"
        )


#: The usual ``SIP/2.0/UDP host[:port]`` written without LWS but the one space,
#: followed by parameters or nothing: read in one match. Anything else
#: (LWS, an IPv6 reference, a bad host or port) takes the general path.
_PLAIN_SENT_BY_RE = re.compile(
    r"([A-Za-z0-9\-.!%*_+`'~]+)/([A-Za-z0-9\-.!%*_+`'~]+)/([A-Za-z0-9\-.!%*_+`'~]+)"
    r" ([A-Za-z0-9\-_.]+)(?::([0-9]{1,5}))?(?=;|\Z)"
)


def parse_via(text: str, what: str = "Via") -> Via:
    """Parse one via-parm; LWS is allowed around ``/``, ``:``, ``;`` and ``=``."""
    scanner = Scanner(text, what)
    plain = _PLAIN_SENT_BY_RE.match(text)
    if (
        plain is not None
        and _HOSTNAME_RE.fullmatch(plain[4])
        and (plain[5] is None or int(plain[5]) <= 65535)
    ):
        name, version, transport, host, port_text = plain.groups()
        port = None if port_text is None else int(port_text)
        scanner.pos = plain.end()
    else:
        name, version, transport, host, port = _read_sent_by(scanner)
    params = parse_header_params(scanner, bare_ipv6=True)
    if not scanner.at_end():
        raise scanner.error(f"unexpected {scanner.peek()!r}")
    _check_via_params(params, scanner)
    return Via(transport.upper(), host, port, params, name, version)


def _read_sent_by(scanner: Scanner) -> tuple[str, str, str, str, int | None]:
    """sent-protocol LWS sent-by, with any LWS the grammar allows."""
    name = scanner.token("protocol name")
    scanner.expect("/")
    version = scanner.token("protocol version")
    scanner.expect("/")
    transport = scanner.token("transport")
    start = scanner.pos
    scanner.skip_ws()
    if scanner.pos == start:
        raise scanner.error("expected whitespace before sent-by")
    host_text = scanner.match(_HOST_RE)
    if host_text is None:
        raise scanner.error("expected sent-by host")
    if host_text.startswith("["):
        host = host_text[1:-1]
        if not _IPV6_RE.fullmatch(host):
            raise scanner.error("bad IPv6 reference")
    else:
        host = host_text
        if not _HOSTNAME_RE.fullmatch(host):
            raise scanner.error("bad sent-by host")
    port = None
    if scanner.accept(":"):
        scanner.skip_ws()
        digits = scanner.match(_DIGITS_RE)
        if digits is None or int(digits) > 65535:
            raise scanner.error("bad sent-by port")
        port = int(digits)
    return name, version, transport, host, port


def _check_via_params(params: Parameters, scanner: Scanner) -> None:
    received = params.get("received")
    if received is not None:
        bare = received[1:-1] if received.startswith("[") else received
        if not (_IPV4_RE.fullmatch(bare) or _IPV6_RE.fullmatch(bare)):
            raise scanner.error("received is not an IP address")
    for name in ("rport", "ttl"):
        value = params.get(name)
        if value and not (_DIGITS_RE.fullmatch(value) and int(value) <= 65535):
            raise scanner.error(f"bad {name}")
    if params.get("ttl") == "" or params.get("branch") == "" or params.get("maddr") == "":
        raise scanner.error("parameter needs a value")


def parse_via_list(text: str, what: str = "Via") -> tuple[Via, ...]:
    """Parse a Via header field value, which may hold several comma-separated vias."""
    return tuple(parse_via(part, what) for part in split_commas(text, what))

# -*- test-case-name: tests.api.test_validators -*-
"""
Checks for the value formats the API accepts: E.164 numbers, SIP hosts and addresses,
SIP URIs, IP addresses and networks, webhook URLs. Each ``check_*`` returns the value
(normalised where noted) or raises ``ValueError`` with a sentence for the caller.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

# ITU-T E.164: "+", a country code that does not start with 0, at most 15 digits in all.
E164_PATTERN = r"^\+[1-9][0-9]{1,14}$"
E164_HINT = "an E.164 number: + then 2 to 15 digits, the first not 0 (e.g. +31850835037)"
_E164 = re.compile(r"\+[1-9][0-9]{1,14}\Z")

# RFC 1123 host names: labels of letters, digits and inner hyphens, 63 characters each.
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)\Z")
_PORT = re.compile(r"[0-9]{1,5}\Z")


def is_e164(text: str) -> bool:
    return bool(_E164.match(text))


def check_hostname(text: str) -> str:
    """A DNS name (RFC 1123); a name made only of digits and dots must be a real IPv4."""
    name = text[:-1] if text.endswith(".") else text
    if not name or len(name) > 253:
        raise ValueError("a host name has 1 to 253 characters")
    labels = name.split(".")
    if not all(_LABEL.match(label) for label in labels):
        raise ValueError(
            "expected a host name (letters, digits, hyphens and dots), an IPv4 or an IPv6 address"
        )
    if all(label.isdigit() for label in labels):
        raise ValueError("not a valid IPv4 address")
    return text


def check_host(text: str) -> str:
    """
    A SIP server: a host name, an IPv4 address, or an IPv6 address (bare or in brackets;
    stored bare). Schemes, ports, users and paths are refused with a pointer to the right
    field.
    """
    if text.startswith(("sip:", "sips:")) or "://" in text:
        raise ValueError("give the bare host name or address, without a scheme")
    if "@" in text:
        raise ValueError("give the host only; the username goes in `username`")
    inner = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    if ":" in inner:
        try:
            return str(ipaddress.IPv6Address(inner))
        except ValueError:
            if text.count(":") == 1 and not text.startswith("["):
                raise ValueError("give the port in `port` (or use `outbound_address` as host:port)")
            raise ValueError("not a valid IPv6 address")
    if text.startswith("["):
        raise ValueError("brackets are only for IPv6 addresses")
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        pass
    return check_hostname(text)


def split_host_port(text: str) -> tuple[str, int | None]:
    """``host[:port]``, ``[v6]:port`` or a bare IPv6 address; fires (host, port or None)."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError("an IPv6 address in brackets needs its closing ]")
        host, rest = text[: end + 1], text[end + 1:]
        if rest and not rest.startswith(":"):
            raise ValueError("expected host:port")
        port_text = rest[1:] if rest else None
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, None
    port = None
    if port_text is not None:
        if not _PORT.match(port_text) or not 1 <= int(port_text) <= 65535:
            raise ValueError("the port must be a number from 1 to 65535")
        port = int(port_text)
    return check_host(host), port


def check_host_port(text: str) -> str:
    split_host_port(text)
    return text


def format_host_port(host: str, port: int) -> str:
    """``host:port``, with IPv6 addresses in brackets (RFC 3986 / RFC 3261 §19.1.1)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check_ip_or_network(text: str) -> str:
    """An IP address or a CIDR network; normalised (``10.0.0.0/8``, ``2001:db8::/32``)."""
    try:
        if "/" in text:
            return str(ipaddress.ip_network(text, strict=False))
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise ValueError("expected an IP address or a CIDR network such as 203.0.113.0/24")


# RFC 3261 §19.1: sip:user@host:port;params. The user part may hold any unreserved or
# escaped character; we accept the common subset and check the host strictly.
_SIP_URI = re.compile(
    r"(?P<scheme>sips?):(?:(?P<user>[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+)@)?"
    r"(?P<hostport>\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?|[A-Za-z0-9.\-]+(?::[0-9]{1,5})?)"
    r"(?P<params>(?:;[A-Za-z0-9\-_.!~*'()%]+(?:=[A-Za-z0-9\-_.!~*'()%\[\]:]*)?)*)\Z"
)


def check_sip_uri(text: str) -> str:
    match = _SIP_URI.match(text)
    if not match:
        raise ValueError("expected a SIP URI such as sip:support@pbx.example.com")
    split_host_port(match.group("hostport"))
    return text


def check_transfer_destination(text: str) -> str:
    """Where a call may be transferred: an E.164 number or a ``sip:``/``sips:`` URI."""
    if text.startswith(("sip:", "sips:")):
        return check_sip_uri(text)
    if is_e164(text):
        return text
    raise ValueError(f"expected {E164_HINT}, or a SIP URI such as sip:support@pbx.example.com")


def check_http_url(text: str) -> str:
    """An absolute http(s) URL with a valid host."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError("expected an absolute http:// or https:// URL")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected an absolute http:// or https:// URL")
    if any(c.isspace() for c in text):
        raise ValueError("a URL must not contain spaces")
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("the port must be a number from 1 to 65535")
    host = parts.hostname
    try:
        ipaddress.ip_address(host)
    except ValueError:
        check_hostname(host)
    return text


# Patterns published in the OpenAPI document are ECMA-262 regular expressions: whitespace
# is spelled out (ECMA's \s and Python's differ, e.g. on U+FEFF) and digits are [0-9].
_WS = r" \t\n\r\f\v"
HTTP_URL_PATTERN = f"^[Hh][Tt][Tt][Pp][Ss]?://[^{_WS}/?#]+[^{_WS}]*$"
EMAIL_PATTERN = f"^[^@{_WS}]+@[^@{_WS}]+\\.[^@{_WS}]+$"
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

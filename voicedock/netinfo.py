# -*- test-case-name: tests.process.test_config -*-
"""Which address VoiceDock announces in SDP and Contact, and whether that is wise."""

from __future__ import annotations

import ipaddress
import socket


def _primary_address(family: int) -> str | None:
    # connect() on a UDP socket only selects a route; no packet is sent.
    probe = ("192.0.2.1", 9) if family == socket.AF_INET else ("2001:db8::1", 9)
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.connect(probe)
            return str(s.getsockname()[0])
    except OSError:
        return None


def describe_public_address(public_ip: str | None, sip_interface: str) -> tuple[str, str | None]:
    """
    The address to announce and a warning when it will not be reachable from outside.

    Default: the SIP interface's address; for a wildcard interface, the address of the
    interface holding the default route (loopback when there is none).
    """
    if public_ip:
        address = public_ip
        chosen = "--public-ip"
    else:
        ip = ipaddress.ip_address(sip_interface)
        if ip.is_unspecified:
            family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
            address = _primary_address(family) or ("::1" if ip.version == 6 else "127.0.0.1")
        else:
            address = sip_interface
        chosen = "the SIP interface (no --public-ip given)"
    ip = ipaddress.ip_address(address)
    if ip.is_loopback:
        return address, (
            f"the public address {address}, from {chosen}, is a loopback address: only callers on "
            "this machine can reach the media; set --public-ip"
        )
    if not ip.is_global:
        return address, (
            f"the public address {address}, from {chosen}, is a private address: callers outside "
            "this network will get no audio unless it is reachable through NAT; set --public-ip"
        )
    return address, None

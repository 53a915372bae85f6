# -*- test-case-name: tests.sip.test_headers -*-
"""Ordered, case-insensitive ``;name=value`` parameter lists (URI, header and Via params)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import attrs

from voicedock.sip.grammar import Scanner, TOKEN_RE, is_token

#: gen-value = token / host / quoted-string; host may be an IPv6 reference.
_HOST_VALUE_RE = re.compile(r"\[[0-9A-Fa-f:.]+\]")
#: An IPv6 address without brackets, as RFC 3261's via-received has it.
_BARE_IPV6_RE = re.compile(r"[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*(?![^ \t;,])")
#: The usual ``;name`` or ``;name=token``, without whitespace, ending where no
#: other reading is possible (end, ``;``, ``,`` or whitespace): read in one match.
#: Anything else (LWS around ``;``/``=``, quoted or IPv6 values) takes the general path.
_PLAIN_PARAM_RE = re.compile(
    r";([A-Za-z0-9\-.!%*_+`'~]+)(?:=([A-Za-z0-9\-.!%*_+`'~]+))?(?![^;, \t])"
)


@attrs.frozen
class Parameters:
    """
    Parameters in the order written. Names compare case-insensitively
    (RFC 3261 §7.3.1); a flag parameter (``;lr``) has the value None.
    """

    items: tuple[tuple[str, str | None], ...] = ()

    def get(self, name: str, default: str | None = None) -> str | None:
        """The value of ``name``: its text, ``""`` for a flag, ``default`` if absent."""
        lname = name.lower()
        for key, value in self.items:
            if key.lower() == lname:
                return "" if value is None else value
        return default

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        lname = name.lower()
        return any(key.lower() == lname for key, _ in self.items)

    def __iter__(self) -> Iterator[tuple[str, str | None]]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def names(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.items)

    def set(self, name: str, value: str | None = None) -> Parameters:
        """A copy with ``name`` set to ``value`` (replaced in place, else appended)."""
        lname = name.lower()
        replaced = False
        items = []
        for key, old in self.items:
            if key.lower() == lname:
                if not replaced:
                    items.append((key, value))
                    replaced = True
                continue
            items.append((key, old))
        if not replaced:
            items.append((name, value))
        return Parameters(tuple(items))

    def remove(self, name: str) -> Parameters:
        lname = name.lower()
        return Parameters(tuple((k, v) for k, v in self.items if k.lower() != lname))

    def __str__(self) -> str:
        """Header-parameter form: ``;name=value`` per item, values written as held."""
        return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in self.items)


#: The empty list, shared: parsed values are immutable, and most URIs carry no parameters.
NO_PARAMETERS = Parameters()


def parse_header_params(scanner: Scanner, *, bare_ipv6: bool = False) -> Parameters:
    """
    Read ``*( SEMI generic-param )`` at the scanner (RFC 3261 §25.1).

    generic-param = token [ EQUAL gen-value ]; values are kept as written
    (a quoted-string keeps its quotes). ``bare_ipv6`` also admits an IPv6
    address without brackets as a value (Via ``received``). Stops at the end or at a character
    that cannot continue the list, leaving it for the caller.
    """
    items: list[tuple[str, str | None]] = []
    while True:
        plain = _PLAIN_PARAM_RE.match(scanner.text, scanner.pos)
        if plain is not None:
            items.append(plain.group(1, 2))
            scanner.pos = plain.end()
            continue
        if not scanner.accept(";"):
            break
        name = scanner.token("parameter name")
        value: str | None = None
        if scanner.accept("="):
            scanner.skip_ws()
            ch = scanner.peek()
            if ch == '"':
                value = scanner.quoted_string()
            elif ch == "[":
                value = scanner.match(_HOST_VALUE_RE)
                if value is None:
                    raise scanner.error("bad IPv6 reference in parameter value")
            else:
                value = scanner.match(_BARE_IPV6_RE) if bare_ipv6 else None
                value = value or scanner.match(TOKEN_RE)
                if value is None:
                    raise scanner.error(f"missing value for parameter {name!r}")
        items.append((name, value))
    return Parameters(tuple(items)) if items else NO_PARAMETERS


def check_header_param(name: str, value: str | None) -> None:
    """Refuse a parameter that would not read back as written (used by builders)."""
    if not is_token(name):
        raise ValueError(f"parameter name {name!r} is not a token")
    if value is None:
        return
    if is_token(value) or _HOST_VALUE_RE.fullmatch(value) or _BARE_IPV6_RE.fullmatch(value):
        return
    scanner = Scanner(value, "parameter")
    try:
        scanner.quoted_string()
    except ValueError:
        raise ValueError(f"parameter value {value!r} must be a token or quoted") from None
    if scanner.pos != len(value):
        raise ValueError(f"parameter value {value!r} must be a token or quoted")

# -*- test-case-name: tests.sip.test_headers -*-
"""
name-addr / addr-spec values with header parameters: From, To, Contact,
Route, Record-Route (RFC 3261 §20.10, §20.20, §20.39, §25.1).
"""

from __future__ import annotations

import attrs

from voicedock.sip.grammar import TOKEN_CHARS, Scanner, quote, split_commas, unquote
from voicedock.sip.params import Parameters, check_header_param, parse_header_params
from voicedock.sip.uri import Uri, parse_uri

_WS = " \t"


@attrs.frozen
class Address:
    """
    A URI with an optional display name and header parameters (``tag``, ``q``,
    ``expires``...). ``display_name`` is the unquoted text (quoted-pairs
    resolved) or None. Header parameter values are kept as written, so a
    quoted value keeps its quotes (see :func:`voicedock.sip.grammar.unquote`).
    Always written back in name-addr form (``<uri>``), which is valid for every URI.
    """

    uri: Uri
    display_name: str | None = None
    params: Parameters = Parameters()

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    def with_tag(self, tag: str) -> Address:
        check_header_param("tag", tag)
        return attrs.evolve(self, params=self.params.set("tag", tag))

    def __str__(self) -> str:
        for name, value in self.params:
            check_header_param(name, value)
        prefix = "" if self.display_name is None else quote(self.display_name) + " "
        return f"{prefix}<{self.uri}>{self.params}"


def parse_address(text: str, what: str = "address", *, name_addr_only: bool = False) -> Address:
    """
    Parse ``( name-addr / addr-spec ) *( SEMI generic-param )``.

    In addr-spec form (no ``<>``) the URI ends at the first ``;``, which starts
    the header parameters (RFC 3261 §20.10); a URI with ``?``, ``,`` or ``;``
    must be in ``<>``. A display name may be a quoted-string or tokens
    separated by LWS; LWS before ``<`` is optional (RFC 4475 §3.1.1.6).
    """
    scanner = Scanner(text, what)
    scanner.skip_ws()
    display_name: str | None = None
    if scanner.peek() == '"':
        display_name = unquote(scanner.quoted_string())
        scanner.skip_ws()
        if scanner.peek() != "<":
            raise scanner.error("expected '<' after display name")
    lt = text.find("<", scanner.pos)
    if lt >= 0 and any(ch in text[scanner.pos : lt] for ch in ';"'):
        lt = -1  # the '<' sits in a parameter value of an addr-spec
    if lt >= 0 and scanner.peek() != "<":
        words = text[scanner.pos : lt].strip(_WS)
        if any(ch not in TOKEN_CHARS and ch not in _WS for ch in words):
            raise scanner.error("display name must be tokens or a quoted string")
        display_name = words or None
        scanner.pos = lt
    if scanner.peek() == "<":
        end = text.find(">", scanner.pos)
        if end < 0:
            raise scanner.error("unterminated '<'")
        uri_text = text[scanner.pos + 1 : end]
        if uri_text != uri_text.strip(_WS):
            raise scanner.error("whitespace inside <...>")
        uri = parse_uri(uri_text, what)
        scanner.pos = end + 1
    else:
        if name_addr_only:
            raise scanner.error("URI must be enclosed in <...>")
        start = scanner.pos
        end = start
        while end < len(text) and text[end] not in ";" + _WS:
            end += 1
        uri_text = text[start:end]
        if "?" in uri_text or "," in uri_text:
            raise scanner.error("a URI with headers must be enclosed in <...>")
        uri = parse_uri(uri_text, what)
        scanner.pos = end
    params = parse_header_params(scanner)
    if not scanner.at_end():
        raise scanner.error(f"unexpected {scanner.peek()!r}")
    return Address(uri, display_name, params)


def parse_address_list(
    text: str, what: str = "address list", *, name_addr_only: bool = False
) -> tuple[Address, ...]:
    """Parse a comma-separated list of addresses (Contact, Route, Record-Route)."""
    return tuple(
        parse_address(part, what, name_addr_only=name_addr_only)
        for part in split_commas(text, what)
    )

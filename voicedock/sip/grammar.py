# -*- test-case-name: tests.sip.test_headers -*-
"""
Lexical pieces of the RFC 3261 §25 grammar shared by headers, URIs and SDP.

Header text is held as ``str`` decoded from UTF-8 with ``surrogateescape``, so
any octet a peer sent survives a round trip unchanged.
"""

from __future__ import annotations

import re

from voicedock.sip.errors import SipParseError

#: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~")
#: word additionally allows ( ) < > : \ " / [ ] ? { }  (Call-ID)
WORD_CHARS = TOKEN_CHARS | frozenset('()<>:\\"/[]?{}')
#: unreserved = alphanum / mark
UNRESERVED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()")

TOKEN_RE = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")
WORD_RE = re.compile(r"[A-Za-z0-9\-.!%*_+`'~()<>:\\\"/\[\]?{}]+")
CALL_ID_RE = re.compile(
    r"[A-Za-z0-9\-.!%*_+`'~()<>:\\\"/\[\]?{}]+(?:@[A-Za-z0-9\-.!%*_+`'~()<>:\\\"/\[\]?{}]+)?"
)
_WS = " \t"
_ESCAPE_RE = re.compile(r"%([0-9A-Fa-f]{2})")


def is_token(text: str) -> bool:
    """True when ``text`` is a non-empty RFC 3261 token."""
    return bool(text) and TOKEN_RE.fullmatch(text) is not None


def check_token(text: str, what: str) -> str:
    """Return ``text`` if it is a token, else raise SipParseError naming ``what``."""
    if not is_token(text):
        raise SipParseError(f"{what} is not a token")
    return text


def unescape(text: str, what: str) -> str:
    """
    Decode ``%HH`` escapes exactly once (RFC 3261 §19.1.2, RFC 4475 §3.1.1.3).

    A ``%`` not followed by two hex digits is an error: the grammar's
    ``escaped`` rule is the only place ``%`` may appear in these components.
    """
    if "%" not in text:
        return text
    raw = text.encode("utf-8", "surrogateescape")
    out = bytearray()
    i = 0
    n = len(raw)
    while i < n:
        byte = raw[i]
        if byte == 0x25:  # '%'
            pair = raw[i + 1 : i + 3]
            if len(pair) != 2 or not all(c in b"0123456789abcdefABCDEF" for c in pair):
                raise SipParseError(f"bad %-escape in {what}")
            out.append(int(pair, 16))
            i += 3
        else:
            out.append(byte)
            i += 1
    return out.decode("utf-8", "surrogateescape")


def escape(text: str, allowed: frozenset[str]) -> str:
    """Percent-encode every character of ``text`` not in ``allowed``."""
    if all(ch in allowed for ch in text):
        return text
    parts = []
    for ch in text:
        if ch in allowed:
            parts.append(ch)
        else:
            parts.extend(f"%{b:02X}" for b in ch.encode("utf-8", "surrogateescape"))
    return "".join(parts)


def quote(text: str) -> str:
    """
    Render ``text`` as a quoted-string, backslash-escaping ``"`` and ``\\``
    (RFC 3261 §25.1). CR and LF cannot be carried in a header and are refused.
    """
    if "\r" in text or "\n" in text:
        raise ValueError("CR/LF cannot appear in a quoted-string")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote(text: str) -> str:
    """The content of a quoted-string with quoted-pairs resolved; other text is returned as is."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        return text
    inner = text[1:-1]
    if "\\" not in inner:
        return inner
    out = []
    i = 0
    while i < len(inner):
        ch = inner[i]
        if ch == "\\" and i + 1 < len(inner):
            out.append(inner[i + 1])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class Scanner:
    """A cursor over one header value; ``accept`` skips the SWS around separators."""

    __slots__ = ("text", "pos", "what")

    def __init__(self, text: str, what: str, pos: int = 0) -> None:
        self.text = text
        self.pos = pos
        self.what = what

    def error(self, detail: str) -> SipParseError:
        return SipParseError(f"{detail} in {self.what}")

    def skip_ws(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in _WS:
            pos += 1
        self.pos = pos

    def at_end(self) -> bool:
        self.skip_ws()
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def accept(self, ch: str) -> bool:
        """Skip whitespace; consume ``ch`` if it comes next."""
        self.skip_ws()
        if self.text.startswith(ch, self.pos):
            self.pos += len(ch)
            return True
        return False

    def expect(self, ch: str) -> None:
        if not self.accept(ch):
            found = self.peek() or "end of value"
            raise self.error(f"expected {ch!r}, found {found!r}")

    def match(self, pattern: re.Pattern[str]) -> str | None:
        m = pattern.match(self.text, self.pos)
        if m is None or m.end() == self.pos:
            return None
        self.pos = m.end()
        return m.group(0)

    def token(self, what: str) -> str:
        self.skip_ws()
        value = self.match(TOKEN_RE)
        if value is None:
            found = self.peek() or "end of value"
            raise self.error(f"expected {what}, found {found!r}")
        return value

    def quoted_string(self) -> str:
        """Consume a quoted-string at the cursor and return it raw (quotes included)."""
        self.skip_ws()
        text = self.text
        start = self.pos
        if not text.startswith('"', start):
            raise self.error("expected a quoted string")
        i = start + 1
        n = len(text)
        while i < n:
            ch = text[i]
            if ch == '"':
                self.pos = i + 1
                return text[start : self.pos]
            if ch == "\\":
                if i + 1 >= n:
                    break
                i += 2
                continue
            i += 1
        raise self.error("unterminated quoted string")

    def rest(self) -> str:
        value = self.text[self.pos :]
        self.pos = len(self.text)
        return value


def split_commas(text: str, what: str) -> list[str]:
    """
    Split a comma-separated header value (RFC 3261 §7.3.1) into its elements,
    respecting quoted strings and ``<...>``. An empty element is an error.
    """
    if '"' not in text and "<" not in text:
        parts = text.split(",")
    else:
        parts = []
        start = 0
        i = 0
        n = len(text)
        while i < n:
            ch = text[i]
            if ch == '"':
                scanner = Scanner(text, what, i)
                scanner.quoted_string()
                i = scanner.pos
                continue
            if ch == "<":
                end = text.find(">", i)
                if end < 0:
                    raise SipParseError(f"unterminated <...> in {what}")
                i = end + 1
                continue
            if ch == ",":
                parts.append(text[start:i])
                start = i + 1
            i += 1
        parts.append(text[start:])
    stripped = [p.strip(_WS) for p in parts]
    if any(not p for p in stripped):
        raise SipParseError(f"empty element in {what}")
    return stripped

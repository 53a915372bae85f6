"""Loading the RFC 4475 / RFC 5118 torture messages from tests/data (bytes intact)."""

from __future__ import annotations

import re
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
NOT_MESSAGES = {"INDEX.md", "SHA256SUMS", ".gitattributes"}


def corpus_files(corpus: str) -> list[str]:
    return sorted(p.name for p in (DATA / corpus).iterdir() if p.name not in NOT_MESSAGES)


def raw_bytes(corpus: str, name: str) -> bytes:
    return (DATA / corpus / name).read_bytes()


def wire_bytes(corpus: str, name: str, recompute_content_length: bool = False) -> bytes:
    """
    The datagram to feed the parser. RFC 4475 files are wire-ready. RFC 5118
    files are archived with bare LF and some lack the empty line (INDEX.md):
    here LF becomes CRLF, a missing empty line is added and, where asked,
    Content-Length is set to the real body length (the RFC's own values are wrong).
    """
    data = raw_bytes(corpus, name)
    if corpus != "rfc5118":
        return data
    data = data.replace(b"\n", b"\r\n")
    if b"\r\n\r\n" not in data:
        data += b"\r\n"
    if recompute_content_length:
        head, _, body = data.partition(b"\r\n\r\n")
        head = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % len(body), head)
        data = head + b"\r\n\r\n" + body
    return data

"""
The seed pages (copied byte for byte into ``tests/api/data/seeds``): their curl examples,
the responses they show, and their JSON configuration examples.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import attrs

SEEDS = Path(__file__).parent / "data" / "seeds"
NUMBERS_PAGE = SEEDS / "000_07bf4c26bb651b16.txt"
TRUNKS_PAGE = SEEDS / "003_780dc596f21bd594.txt"

# The seed README: "The API-initiated transfer example needs its apostrophe quoted for the
# shell." An apostrophe between two letters inside a single-quoted argument becomes '\''.
_APOSTROPHE = re.compile(r"(?<=[A-Za-z])'(?=[A-Za-z])")


@attrs.frozen
class CurlExample:
    """One curl command of a seed page, and the JSON response shown after it (if any)."""

    command: str  # as written, continuation lines joined
    argv: tuple[str, ...]
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    data: str | None
    response: Any


def _shell_words(text: str) -> list[str] | None:
    try:
        return shlex.split(text.replace("\\\n", " "))
    except ValueError:
        return None


def _parse_argv(argv: list[str]) -> tuple[str, str, list[tuple[str, str]], str | None]:
    method, url, headers, data = None, None, [], None
    words = iter(argv[1:])
    for word in words:
        if word == "-X":
            method = next(words)
        elif word == "-H":
            name, _, value = next(words).partition(":")
            headers.append((name.strip(), value.strip()))
        elif word in ("-d", "--data"):
            data = next(words)
        elif not word.startswith("-"):
            url = word
        else:
            raise ValueError(f"unexpected curl option {word}")
    assert url is not None
    return method or ("POST" if data is not None else "GET"), url, headers, data


def _json_after(text: str, start: int) -> tuple[Any, int]:
    brace = text.index("{", start)
    return json.JSONDecoder().raw_decode(text[brace:])[0], brace


def curl_examples(page: Path) -> list[CurlExample]:
    text = page.read_text("utf-8")
    lines = text.split("\n")
    examples = []
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    i = 0
    while i < len(lines):
        if not lines[i].startswith("curl "):
            i += 1
            continue
        j = i
        argv = None
        while j < len(lines):
            command = "\n".join(lines[i:j + 1])
            ends_open = command.endswith("\\")
            if not ends_open:
                argv = _shell_words(command) or _shell_words(_APOSTROPHE.sub("'\\\\''", command))
                if argv is not None and (command.rstrip().endswith("'") or "-d" not in argv):
                    break
            j += 1
        assert argv is not None, f"unparsable curl command at line {i + 1}"
        if _shell_words(command) is None:
            command = _APOSTROPHE.sub("'\\\\''", command)
        method, url, headers, data = _parse_argv(argv)
        response = None
        following = text[offsets[j + 1]:]
        next_curl = following.find("\ncurl ")
        marker = following.find("Response:")
        if marker >= 0 and (next_curl < 0 or marker < next_curl):
            response, _ = _json_after(following, marker)
        examples.append(CurlExample(command, tuple(argv), method, url, tuple(headers), data, response))
        i = j + 1
    return examples


def json_blocks(page: Path) -> list[tuple[str, Any]]:
    """JSON objects that start a line and are not a response: (the heading above, value)."""
    text = page.read_text("utf-8")
    found = []
    for match in re.finditer(r"^\{", text, re.MULTILINE):
        before = text[: match.start()].rstrip().split("\n")
        if before and before[-1].strip() == "Response:":
            continue
        value = json.JSONDecoder().raw_decode(text[match.start():])[0]
        heading = next((line.strip() for line in reversed(before) if line.strip()), "")
        found.append((heading, value))
    return found

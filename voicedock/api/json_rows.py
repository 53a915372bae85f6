# -*- test-case-name: tests.api.test_json_rows -*-
"""
The JSON fast path for answers made of rows (``GET /numbers`` and one number's answers).

``json.dumps`` on a list of dicts spends most of its time walking the dicts. A row's
object always has the same keys in the same order, so here it is one format string made
once from its keys, filled with values encoded by the very function ``json.dumps`` uses
for strings (the C ``encode_basestring``). The bytes are exactly those
:func:`voicedock.api.wire.dump_json` gives for the same dicts: compact separators,
non-ASCII kept as UTF-8, the same escapes.
"""

from __future__ import annotations

import functools
import json
from json.encoder import encode_basestring
from typing import Iterable, Sequence

from voicedock.api.wire import EncodedJson

__all__ = [
    "NULL", "ObjectTemplate", "array_body", "json_boolean", "json_nullable_string", "json_string",
    "object_body",
]

NULL = "null"

json_string = encode_basestring
"""A str as a JSON string."""


def json_nullable_string(value: str | None) -> str:
    """A str as a JSON string, None as ``null``."""
    return NULL if value is None else encode_basestring(value)


def json_boolean(value: bool) -> str:
    """A bool as ``true`` or ``false``."""
    return "true" if value else "false"


@functools.lru_cache(maxsize=256)  # the envelope keys: a handful of constants
def _key(name: str) -> str:
    return json.dumps(name, ensure_ascii=False)


class ObjectTemplate:
    """A JSON object with fixed keys in a fixed order, filled with already-encoded values."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = tuple(keys)
        members = ",".join(_key(k).replace("%", "%%") + ":%s" for k in self.keys)
        self._format = "{" + members + "}"

    def render(self, values: tuple[str, ...]) -> str:
        """The object's JSON text; ``values`` are encoded JSON, one per key, in key order."""
        return self._format % values


def object_body(key: str, item: str) -> EncodedJson:
    """The response body ``{"<key>": item}``, ``item`` being encoded JSON."""
    return EncodedJson(("{" + _key(key) + ":" + item + "}").encode("utf-8"))


def array_body(key: str, items: Iterable[str]) -> EncodedJson:
    """The response body ``{"<key>": [items...]}``, each item being encoded JSON."""
    return EncodedJson(("{" + _key(key) + ":[" + ",".join(items) + "]}").encode("utf-8"))

# -*- test-case-name: tests.api.test_schema -*-
"""
A small declarative schema language: one description per field serves both the request
validator and the OpenAPI 3.1 document (``voicedock.api.openapi``), so they cannot drift.

Each node validates a decoded JSON value and returns it cleaned (defaults filled in,
aliases folded, legacy spellings normalised), or raises :class:`ValidationError` naming
the offending field as a dotted path (``llm_config.tools[0].destinations[1].number``).
``json_schema()`` returns the JSON Schema (2020-12, as OpenAPI 3.1 uses it) that accepts
exactly what ``validate`` accepts, except for the few rules JSON Schema cannot express
(cross-field rules, references to stored rows), which each node names in its description.

Messages never echo the offending value: it may be a secret (a trunk password).
"""

from voicedock.api.schema.nodes import (
    AnyJson, Array, Boolean, Integer, Nullable, Number, Schema, String, ValidationError,
)
from voicedock.api.schema.objects import (
    NO_DEFAULT, Field, Object, Ref, ShapeUnion, TaggedUnion, in_schema_order, tag_field,
)

__all__ = [
    "AnyJson", "Array", "Boolean", "Field", "Integer", "NO_DEFAULT", "Nullable", "Number",
    "Object", "Ref", "Schema", "ShapeUnion", "String", "TaggedUnion", "ValidationError",
    "in_schema_order", "tag_field",
]

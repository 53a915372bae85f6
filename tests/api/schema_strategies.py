"""
Hypothesis strategies generated from the API's own schema nodes: a valid body, then (half
the time) exactly one value somewhere in it replaced by a boundary or wrong-typed value, so
each rule is exercised with everything else valid (and valid bodies reach the database).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.api.strategies import json_values
from voicedock.api.schema import (
    AnyJson, Array, Boolean, Integer, Nullable, Number, Object, Ref, Schema, ShapeUnion, String,
    TaggedUnion,
)

WRONG = json_values()


def _edge(schema: Schema) -> st.SearchStrategy[Any]:
    """Values at or just past the node's rules, and values of the wrong type."""
    if isinstance(schema, Ref):
        return _edge(schema.target)
    if isinstance(schema, Nullable):
        return _edge(schema.inner)
    if isinstance(schema, String):
        edge = st.text(max_size=3) | st.sampled_from(list(schema.refuse) or [""])
        if schema.max_length is not None:
            edge = edge | st.sampled_from(["x" * (schema.max_length + 1), "y" * schema.max_length])
        return edge | WRONG
    if isinstance(schema, (Integer, Number)):
        step = 1 if isinstance(schema, Integer) else 0.001
        bounds = [v for v in (schema.minimum, schema.maximum) if v is not None] or [0]
        near = [b + d for b in bounds for d in (-step, 0, step)]
        return st.sampled_from(near) | st.booleans() | st.floats(allow_nan=False) | st.integers() \
            | st.text(max_size=3)
    if isinstance(schema, Boolean):
        return st.sampled_from([0, 1, "true", None])
    if isinstance(schema, Array):
        too_many = (schema.max_items or 0) + 1
        return st.just([]) | st.just(["x"] * too_many) | st.dictionaries(st.text(max_size=2), WRONG, max_size=1)
    return WRONG


@st.composite
def _value(draw: Any, schema: Schema, budget: list[int]) -> Any:
    if budget[0] > 0 and draw(st.integers(0, 9)) == 0:
        budget[0] -= 1
        return draw(_edge(schema))
    if isinstance(schema, Ref):
        return draw(_value(schema.target, budget))
    if isinstance(schema, Nullable):
        return None if draw(st.integers(0, 3)) == 0 else draw(_value(schema.inner, budget))
    if isinstance(schema, String):
        if schema.enum is not None:
            return draw(st.sampled_from(schema.enum))
        if schema.pattern:
            pattern = schema.pattern.removeprefix("^").removesuffix("$")
            found = draw(st.from_regex(pattern, fullmatch=True))
            return found[: schema.max_length] if schema.max_length is not None else found
        top = min(schema.max_length if schema.max_length is not None else 30, 30)
        return draw(st.text(min_size=min(schema.min_length, top), max_size=top))
    if isinstance(schema, Boolean):
        return draw(st.booleans())
    if isinstance(schema, Integer):
        if schema.enum is not None:
            return draw(st.sampled_from(schema.enum))
        return draw(st.integers(min_value=schema.minimum, max_value=schema.maximum))
    if isinstance(schema, Number):
        return draw(st.floats(min_value=schema.minimum, max_value=schema.maximum,
                              allow_nan=False, allow_infinity=False))
    if isinstance(schema, Array):
        top = min(schema.max_items if schema.max_items is not None else 3, 3)
        size = draw(st.integers(min_value=min(schema.min_items, top), max_value=top))
        return [draw(_value(schema.items, budget)) for _ in range(size)]
    if isinstance(schema, AnyJson):
        return draw(st.dictionaries(st.text(max_size=5), WRONG, max_size=3))
    if isinstance(schema, TaggedUnion):
        canonical = draw(st.sampled_from(sorted(schema.variants)))
        tag = draw(st.sampled_from(schema.tag_values(canonical)))
        return draw(_object(schema.variants[canonical], budget, {schema.tag: tag}, False))
    if isinstance(schema, ShapeUnion):
        return draw(_value(draw(st.sampled_from(schema.shapes)), budget))
    if isinstance(schema, Object):
        return draw(_object(schema, budget, {}, False))
    return draw(WRONG)


@st.composite
def _object(draw: Any, schema: Object, budget: list[int], fixed: dict[str, Any], partial: bool) -> Any:
    out = dict(fixed)
    for key, spec in schema.properties.items():
        if key in fixed:
            continue
        if (spec.required and not partial) or draw(st.integers(0, 2)) == 0:
            out[key] = draw(_value(spec.schema, budget))
    for alias, canonical in schema.aliases.items():
        if draw(st.integers(0, 4)) == 0:
            if canonical in out and draw(st.booleans()):
                out[alias] = out.pop(canonical) if draw(st.booleans()) else out[canonical]
            else:
                out[alias] = draw(_value(schema.properties[canonical].schema, budget))
    if budget[0] > 0 and draw(st.integers(0, 19)) == 0:
        budget[0] -= 1
        out["unknown_field"] = draw(WRONG)
    if schema.ignored and draw(st.integers(0, 9)) == 0:
        out[draw(st.sampled_from(schema.ignored))] = draw(WRONG)
    return out


@st.composite
def object_strategy(draw: Any, schema: Object, partial: bool = False) -> Any:
    """A body for ``schema``: valid as generated, or with one value made invalid."""
    budget = [draw(st.integers(0, 1))]
    return draw(_object(schema, budget, {}, partial))

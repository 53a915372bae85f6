"""The schema language, and the property that the validator never accepts what the
OpenAPI description (generated from the same schemas) forbids."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial import unittest

from tests.api.schema_strategies import object_strategy
from tests.api.strategies import bodies
from voicedock.api.assistant_schema import ASSISTANT_INPUT
from voicedock.api.numbers import NUMBER_INPUT
from voicedock.api.schema import (
    AnyJson, Array, Boolean, Field, Integer, Nullable, Number, Object, Ref, String, TaggedUnion,
    ValidationError, tag_field,
)
from voicedock.api.trunks import TRUNK_INPUT

INPUTS = {"numbers": NUMBER_INPUT, "sip-trunks": TRUNK_INPUT, "assistants": ASSISTANT_INPUT}


def property_names(schema: Object) -> list[str]:
    return sorted(schema.properties) + sorted(schema.aliases)


def json_schema_validator(schema: Object, partial: bool) -> Any:
    document = schema.json_schema(partial=partial)
    document["components"] = {"schemas": {name: target.json_schema() for name, target in Ref.registry.items()}}
    return jsonschema_rs.validator_for(document)


class SchemaLanguageTests(unittest.SynchronousTestCase):
    def invalid(self, schema: Any, value: Any, param: str | None = None, **kw: Any) -> ValidationError:
        with self.assertRaises(ValidationError) as caught:
            schema.validate(value, "f", **kw)
        if param is not None:
            self.assertEqual(caught.exception.param, param)
        return caught.exception

    def test_scalars(self) -> None:
        self.assertEqual(Integer(minimum=1).validate(5.0, "f"), 5)
        self.invalid(Integer(), True)
        self.invalid(Integer(), 1.5)
        self.invalid(Integer(minimum=1, maximum=3), 4)
        self.invalid(Number(), False)
        self.invalid(Number(), "1")
        self.assertEqual(Number(minimum=0, maximum=1, clamp=True).validate(7, "f"), 1)
        self.invalid(Boolean(), 0)
        self.invalid(String(min_length=1), "")
        self.invalid(String(max_length=2), "abc")
        self.invalid(String(pattern=r"^[0-9]+$"), "12\n")
        self.assertEqual(String(enum=["a", "B"], normalise={"B": "b"}).validate("B", "f"), "b")
        error = self.invalid(String(enum=["udp"], refuse={"tls": "not yet"}), "tls")
        self.assertEqual(error.message, "not yet")

    def test_messages_never_echo_the_value(self) -> None:
        secret = "hunter2-secret"
        for schema in (String(max_length=3), String(pattern="^x$"), String(enum=["a"]), Integer(),
                       String(min_length=100)):
            self.assertNotIn(secret, self.invalid(schema, secret).message)

    def test_object_rules(self) -> None:
        schema = Object(
            {"a": Field(Integer(), required=True), "b": Field(String(), default="d")},
            aliases={"alias_a": "a"}, ignored=("id",),
        )
        self.assertEqual(schema.validate({"a": 1, "id": "x"}, ""), {"a": 1, "b": "d"})
        self.assertEqual(schema.validate({"alias_a": 2}, ""), {"a": 2, "b": "d"})
        self.assertEqual(schema.validate({"alias_a": 2, "a": 2}, ""), {"a": 2, "b": "d"})
        self.invalid(schema, {"alias_a": 2, "a": 3}, "f.a")
        self.invalid(schema, {"a": 1, "c": 1}, "f.c")
        self.invalid(schema, {}, "f.a")
        self.assertEqual(schema.validate({}, "", partial=True), {})
        self.invalid(schema, [], None)

    def test_paths_of_nested_errors(self) -> None:
        schema = Object({"items": Field(Array(Object({"n": Field(Nullable(Integer()))})))})
        self.invalid(schema, {"items": [{"n": None}, {"n": "x"}]}, "f.items[1].n")

    def test_tagged_union(self) -> None:
        union = TaggedUnion("kind", {
            "a": Object({"kind": tag_field(), "x": Field(Integer(), default=1)}),
            "b": Object({"kind": tag_field()}),
        }, tag_aliases={"A": "a"})
        self.assertEqual(union.validate({"kind": "A"}, "u"), {"kind": "a", "x": 1})
        self.invalid(union, {"kind": "c"}, "f.kind")
        self.invalid(union, {}, "f.kind")
        self.invalid(union, {"kind": "b", "x": 1}, "f.x")
        out = union.json_schema()
        self.assertEqual(out["oneOf"][0]["properties"]["kind"], {"enum": ["a", "A"]})
        self.assertEqual(out["oneOf"][1]["properties"]["kind"], {"const": "b"})

    def test_free_json_is_bounded(self) -> None:
        deep: Any = {}
        for _ in range(40):
            deep = {"x": deep}
        self.invalid(AnyJson(), deep)
        self.invalid(AnyJson(), [1])

    def test_nullable_json_schema(self) -> None:
        self.assertEqual(Nullable(Integer(minimum=1)).json_schema(), {"type": ["integer", "null"], "minimum": 1})
        ref = Nullable(Ref("TestThing", Object({})))
        self.assertEqual(ref.json_schema(), {"anyOf": [{"$ref": "#/components/schemas/TestThing"},
                                                       {"type": "null"}]})


class ValidatorMatchesDescriptionTests(unittest.SynchronousTestCase):
    """Whatever the validator accepts, the published JSON Schema accepts too."""

    validators: dict[tuple[str, bool], Any] = {}

    def check(self, resource: str, body: Any, partial: bool) -> None:
        schema = INPUTS[resource]
        try:
            cleaned = schema.validate(body, "", partial=partial)
        except ValidationError:
            return
        key = (resource, partial)
        if key not in self.validators:
            self.validators[key] = json_schema_validator(schema, partial)
        described = self.validators[key]
        self.assertTrue(described.is_valid(body), f"accepted but not described: {body!r}")
        self.assertTrue(described.is_valid(cleaned), f"normalised value not described: {cleaned!r}")

    @settings(max_examples=300)
    @given(st.sampled_from(sorted(INPUTS)), st.booleans(), st.data())
    def test_schema_directed_bodies(self, resource: str, partial: bool, data: Any) -> None:
        body = data.draw(object_strategy(INPUTS[resource], partial=partial))
        self.check(resource, body, partial)

    @settings(max_examples=150)
    @given(st.sampled_from(sorted(INPUTS)), st.data())
    def test_mutated_examples(self, resource: str, data: Any) -> None:
        body = data.draw(bodies(resource, property_names(INPUTS[resource])))
        self.check(resource, body, partial=False)
        self.check(resource, body, partial=True)

    def test_the_examples_are_valid_both_ways(self) -> None:
        from tests.api.strategies import EXAMPLES

        for resource, examples in EXAMPLES.items():
            for body in examples:
                INPUTS[resource].validate(body, "")
                self.assertTrue(json_schema_validator(INPUTS[resource], False).is_valid(body))

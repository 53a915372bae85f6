# -*- test-case-name: tests.api.test_schema -*-
"""
The schema language's objects: properties with aliases and ignored read-only fields,
unions told apart by a tag or by shape, and named (referenced) schemas.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import attrs

from voicedock.api.schema.nodes import (
    Array, Nullable, Schema, ValidationError, describe_path, join_path, json_kind,
)


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()


@attrs.frozen
class Field:
    """One property of an :class:`Object`."""

    schema: Schema
    required: bool = False
    default: Any = NO_DEFAULT
    write_only: bool = False

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT


_MISSING = object()


class Object(Schema):
    """
    A JSON object with known properties. Unknown properties are refused, naming them,
    except ``ignored`` ones (read-only fields a client may echo back), which are dropped.
    ``aliases`` maps another spelling to its canonical property; when both spellings are
    sent they must agree. ``partial`` validation (PATCH) checks only what was sent and
    fills in no defaults.
    """

    def __init__(
        self,
        properties: Mapping[str, Field],
        *,
        aliases: Mapping[str, str] | None = None,
        ignored: Sequence[str] = (),
        name: str | None = None,
        description: str | None = None,
        example: Any = None,
    ) -> None:
        self.properties = dict(properties)
        self.aliases = dict(aliases or {})
        self.ignored = tuple(ignored)
        self.name = name
        self.description = description
        self.example = example

    def validate(self, value: Any, path: str, partial: bool = False) -> Any:
        if not isinstance(value, dict):
            raise ValidationError(path or None, f"{describe_path(path)} must be a JSON object, not {json_kind(value)}")
        known = self.properties.keys() | self.aliases.keys() | set(self.ignored)
        for key in value:
            if key not in known:
                raise ValidationError(
                    join_path(path, key), f"unknown field `{join_path(path, key)}`"
                )
        folded = dict(value)
        for alias, canonical in self.aliases.items():
            if alias in folded:
                aliased = folded.pop(alias)
                if canonical in folded and folded[canonical] != aliased:
                    raise ValidationError(
                        join_path(path, canonical),
                        f"`{join_path(path, canonical)}` and `{join_path(path, alias)}` are two spellings "
                        "of one field and must not disagree",
                    )
                folded[canonical] = aliased
        out: dict[str, Any] = {}
        for key, spec in self.properties.items():
            raw = folded.get(key, _MISSING)
            if raw is _MISSING:
                if partial:
                    continue
                if spec.required:
                    raise ValidationError(join_path(path, key), f"`{join_path(path, key)}` is required")
                if spec.has_default:
                    out[key] = spec.default
                continue
            out[key] = spec.schema.validate(raw, join_path(path, key))
        return out

    def json_schema(self, partial: bool = False) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for key, spec in self.properties.items():
            sub = spec.schema.json_schema()
            if spec.has_default and not partial:
                sub["default"] = spec.default
            if spec.write_only:
                sub["writeOnly"] = True
            props[key] = sub
        for alias, canonical in self.aliases.items():
            sub = self.properties[canonical].schema.json_schema()
            sub["description"] = f"Another spelling of `{canonical}`; both may be sent if they agree."
            props[alias] = sub
        for key in self.ignored:
            props[key] = {"description": "Read-only; ignored when sent."}
        out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
        required = [k for k, spec in self.properties.items() if spec.required and not partial]
        if required:
            out["required"] = required
        if self.example is not None:
            out["examples"] = [self.example]
        return self._annotate(out)


class TaggedUnion(Schema):
    """
    One of several objects chosen by the value of a tag property (``provider``, ``type``).
    Variants may accept several tag spellings (``11labs`` for ``elevenlabs``); the
    canonical one is stored.
    """

    def __init__(
        self,
        tag: str,
        variants: Mapping[str, Object],
        *,
        tag_aliases: Mapping[str, str] | None = None,
        default: str | None = None,
        description: str | None = None,
    ) -> None:
        self.tag = tag
        self.variants = dict(variants)
        self.tag_aliases = dict(tag_aliases or {})
        self.default = default
        self.description = description

    def tag_values(self, canonical: str) -> list[str]:
        return [canonical] + [a for a, c in self.tag_aliases.items() if c == canonical]

    def validate(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise ValidationError(path, f"{describe_path(path)} must be an object, not {json_kind(value)}")
        tag_path = join_path(path, self.tag)
        if self.tag not in value and self.default is None:
            raise ValidationError(tag_path, f"`{tag_path}` is required")
        raw = value.get(self.tag, self.default)
        if not isinstance(raw, str):
            raise ValidationError(tag_path, f"`{tag_path}` must be a string, not {json_kind(raw)}")
        canonical = self.tag_aliases.get(raw, raw)
        variant = self.variants.get(canonical)
        if variant is None:
            raise ValidationError(tag_path, f"`{tag_path}` must be one of: {', '.join(self.variants)}")
        body = dict(value)
        body[self.tag] = canonical
        out = variant.validate(body, path)
        return out

    def json_schema(self) -> dict[str, Any]:
        branches = []
        for canonical, variant in self.variants.items():
            branch = variant.json_schema()
            values = self.tag_values(canonical)
            branch["properties"][self.tag] = (
                {"const": values[0]} if len(values) == 1 else {"enum": values}
            )
            if canonical == self.default:
                branch["required"].remove(self.tag)
                if not branch["required"]:
                    del branch["required"]
                branch["properties"][self.tag]["description"] = "Default when left out"
            branches.append(branch)
        return self._annotate({"oneOf": branches})


class _Tag(Schema):
    """The tag property of a variant: the union has already checked and normalised it."""

    def validate(self, value: Any, path: str) -> Any:
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string"}


def tag_field() -> Field:
    """The tag property of a :class:`TaggedUnion` variant (its values are set by the union)."""
    return Field(_Tag(), required=True)


class ShapeUnion(Schema):
    """
    One of several object shapes told apart by a chooser function (the three documented
    tool shapes); each shape's JSON Schema excludes the others, so ``oneOf`` is exact.
    """

    def __init__(
        self,
        shapes: Sequence[Schema],
        choose: Callable[[dict[str, Any]], Schema | str],
        *,
        description: str | None = None,
    ) -> None:
        self.shapes = list(shapes)
        self.choose = choose
        self.description = description

    def validate(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise ValidationError(path, f"{describe_path(path)} must be an object, not {json_kind(value)}")
        chosen = self.choose(value)
        if isinstance(chosen, str):
            raise ValidationError(path, f"{describe_path(path)}: {chosen}")
        return chosen.validate(value, path)

    def json_schema(self) -> dict[str, Any]:
        return self._annotate({"oneOf": [s.json_schema() for s in self.shapes]})


class Ref(Schema):
    """A named schema, emitted once under ``components/schemas`` and referenced by name."""

    registry: dict[str, Schema] = {}

    def __init__(self, name: str, target: Schema) -> None:
        self.name = name
        self.target = target
        self.description = None
        Ref.registry[name] = target

    def validate(self, value: Any, path: str) -> Any:
        return self.target.validate(value, path)

    def json_schema(self) -> dict[str, Any]:
        return {"$ref": f"#/components/schemas/{self.name}"}


def in_schema_order(value: Any, schema: Schema) -> Any:
    """``value`` with object keys in the order the schema declares them (jsonb sorts them)."""
    if isinstance(schema, Ref):
        return in_schema_order(value, schema.target)
    if isinstance(schema, Nullable):
        return None if value is None else in_schema_order(value, schema.inner)
    if isinstance(schema, Array) and isinstance(value, list):
        return [in_schema_order(item, schema.items) for item in value]
    if isinstance(schema, TaggedUnion) and isinstance(value, dict):
        variant = schema.variants.get(value.get(schema.tag))  # type: ignore[arg-type]
        return value if variant is None else in_schema_order(value, variant)
    if isinstance(schema, ShapeUnion) and isinstance(value, dict):
        chosen = schema.choose(value)
        return value if isinstance(chosen, str) else in_schema_order(value, chosen)
    if isinstance(schema, Object) and isinstance(value, dict):
        out = {k: in_schema_order(value[k], spec.schema) for k, spec in schema.properties.items() if k in value}
        out.update((k, v) for k, v in value.items() if k not in out)
        return out
    return value

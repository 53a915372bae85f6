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

from __future__ import annotations

import math
import re
from typing import Any, Callable, Mapping, Sequence

import attrs


class ValidationError(Exception):
    """A request value is invalid; ``param`` is the dotted path of the field at fault."""

    def __init__(self, param: str | None, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _describe(path: str) -> str:
    return f"`{path}`" if path else "the body"


_JSON_TYPE = {
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    list: "an array",
    dict: "an object",
    type(None): "null",
}


def _kind(value: Any) -> str:
    return _JSON_TYPE.get(type(value), "an unsupported value")


class Schema:
    """A node of the schema tree."""

    description: str | None = None

    def validate(self, value: Any, path: str) -> Any:
        raise NotImplementedError

    def json_schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def _annotate(self, out: dict[str, Any]) -> dict[str, Any]:
        if self.description:
            out["description"] = self.description
        return out


def _python_pattern(pattern: str) -> re.Pattern[str]:
    # JSON Schema patterns are ECMA-262 regular expressions: `$` only matches at the very
    # end (Python's also matches before a final newline) and `\d` is ASCII only, so the
    # patterns used here spell digits as [0-9] and we anchor with \Z.
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


class String(Schema):
    """A string, optionally bounded, matched by a pattern, limited to an enum, or checked."""

    def __init__(
        self,
        *,
        min_length: int = 0,
        max_length: int | None = None,
        pattern: str | None = None,
        pattern_hint: str | None = None,
        enum: Sequence[str] | None = None,
        normalise: Mapping[str, str] | None = None,
        refuse: Mapping[str, str] | None = None,
        check: Callable[[str], str] | None = None,
        format: str | None = None,
        description: str | None = None,
    ) -> None:
        self.min_length = min_length
        self.max_length = max_length
        self.pattern = pattern
        self._regex = _python_pattern(pattern) if pattern else None
        self.pattern_hint = pattern_hint
        self.enum = list(enum) if enum is not None else None
        self.normalise = dict(normalise or {})
        self.refuse = dict(refuse or {})
        self.check = check
        self.format = format
        self.description = description

    def validate(self, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise ValidationError(path, f"{_describe(path)} must be a string, not {_kind(value)}")
        if self.enum is not None:
            if value in self.refuse:
                raise ValidationError(path, self.refuse[value])
            if value not in self.enum:
                raise ValidationError(
                    path, f"{_describe(path)} must be one of: {', '.join(self.enum)}"
                )
            return self.normalise.get(value, value)
        if len(value) < self.min_length:
            if self.min_length == 1:
                raise ValidationError(path, f"{_describe(path)} must not be empty")
            raise ValidationError(
                path, f"{_describe(path)} must be at least {self.min_length} characters long"
            )
        if self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(
                path, f"{_describe(path)} must be at most {self.max_length} characters long"
            )
        if self._regex is not None and not self._regex.search(value):
            hint = self.pattern_hint or f"match the pattern {self.pattern}"
            raise ValidationError(path, f"{_describe(path)} must be {hint}")
        if self.check is not None:
            try:
                value = self.check(value)
            except ValueError as e:
                raise ValidationError(path, f"{_describe(path)}: {e}")
        return value

    def json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string"}
        if self.enum is not None:
            out["enum"] = list(self.enum)
        else:
            if self.min_length:
                out["minLength"] = self.min_length
            if self.max_length is not None:
                out["maxLength"] = self.max_length
            if self.pattern:
                out["pattern"] = self.pattern
        if self.format:
            out["format"] = self.format
        return self._annotate(out)


class Boolean(Schema):
    """``true`` or ``false`` (never 0/1 or strings)."""

    def __init__(self, *, description: str | None = None) -> None:
        self.description = description

    def validate(self, value: Any, path: str) -> Any:
        if not isinstance(value, bool):
            raise ValidationError(path, f"{_describe(path)} must be true or false, not {_kind(value)}")
        return value

    def json_schema(self) -> dict[str, Any]:
        return self._annotate({"type": "boolean"})


class Integer(Schema):
    """A whole number within bounds (``5.0`` counts as 5, as in JSON Schema)."""

    def __init__(
        self, *, minimum: int | None = None, maximum: int | None = None,
        enum: Sequence[int] | None = None, description: str | None = None,
    ) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self.enum = list(enum) if enum is not None else None
        self.description = description

    def validate(self, value: Any, path: str) -> Any:
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(path, f"{_describe(path)} must be a whole number, not {_kind(value)}")
        if self.enum is not None and value not in self.enum:
            raise ValidationError(
                path, f"{_describe(path)} must be one of: {', '.join(map(str, self.enum))}"
            )
        _check_range(value, path, self.minimum, self.maximum)
        return value

    def json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "integer"}
        if self.enum is not None:
            out["enum"] = list(self.enum)
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return self._annotate(out)


def _check_range(value: float, path: str, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and maximum is not None and not minimum <= value <= maximum:
        raise ValidationError(path, f"{_describe(path)} must be between {minimum} and {maximum}")
    if minimum is not None and value < minimum:
        raise ValidationError(path, f"{_describe(path)} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise ValidationError(path, f"{_describe(path)} must be at most {maximum}")


class Number(Schema):
    """
    A number within bounds. With ``clamp``, out-of-range values are accepted and clamped
    (the platform documents this for some realtime settings); the bounds then appear in
    the description only, because such values are valid requests.
    """

    def __init__(
        self, *, minimum: float | None = None, maximum: float | None = None,
        clamp: bool = False, description: str | None = None,
    ) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self.clamp = clamp
        self.description = description

    def validate(self, value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError(path, f"{_describe(path)} must be a number, not {_kind(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError(path, f"{_describe(path)} must be a finite number")
        if self.clamp:
            if self.minimum is not None and value < self.minimum:
                return self.minimum
            if self.maximum is not None and value > self.maximum:
                return self.maximum
            return value
        _check_range(value, path, self.minimum, self.maximum)
        return value

    def json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "number"}
        if self.clamp:
            note = f"Values outside {self.minimum} to {self.maximum} are clamped."
            out["description"] = f"{self.description} {note}" if self.description else note
            return out
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return self._annotate(out)


class Array(Schema):
    """A list of items of one schema, bounded in length, optionally without repeats."""

    def __init__(
        self, items: Schema, *, min_items: int = 0, max_items: int | None = None,
        unique: bool = False, description: str | None = None,
    ) -> None:
        self.items = items
        self.min_items = min_items
        self.max_items = max_items
        self.unique = unique
        self.description = description

    def validate(self, value: Any, path: str) -> Any:
        if not isinstance(value, list):
            raise ValidationError(path, f"{_describe(path)} must be an array, not {_kind(value)}")
        if len(value) < self.min_items:
            raise ValidationError(path, f"{_describe(path)} needs at least {self.min_items} item(s)")
        if self.max_items is not None and len(value) > self.max_items:
            raise ValidationError(path, f"{_describe(path)} may hold at most {self.max_items} items")
        out = [self.items.validate(item, f"{path}[{i}]") for i, item in enumerate(value)]
        if self.unique:
            seen: list[Any] = []
            for i, item in enumerate(out):
                if item in seen:
                    raise ValidationError(f"{path}[{i}]", f"{_describe(path)} must not repeat an item")
                seen.append(item)
        return out

    def json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": self.items.json_schema()}
        if self.min_items:
            out["minItems"] = self.min_items
        if self.max_items is not None:
            out["maxItems"] = self.max_items
        if self.unique:
            out["uniqueItems"] = True
        return self._annotate(out)


class Nullable(Schema):
    """The inner schema, or ``null``."""

    def __init__(self, inner: Schema, *, description: str | None = None) -> None:
        self.inner = inner
        self.description = description or inner.description

    def validate(self, value: Any, path: str) -> Any:
        if value is None:
            return None
        return self.inner.validate(value, path)

    def json_schema(self) -> dict[str, Any]:
        inner = self.inner.json_schema()
        inner.pop("description", None)
        if isinstance(inner.get("type"), str) and "$ref" not in inner and "enum" not in inner:
            inner["type"] = [inner["type"], "null"]
            return self._annotate(inner)
        return self._annotate({"anyOf": [inner, {"type": "null"}]})


class AnyJson(Schema):
    """
    Free-form JSON of one kind (an object such as a JSON Schema of tool parameters, or any
    value), bounded in nesting depth.
    """

    def __init__(self, *, kind: str | None = "object", max_depth: int = 32,
                 description: str | None = None) -> None:
        self.kind = kind
        self.max_depth = max_depth
        self.description = description

    def validate(self, value: Any, path: str) -> Any:
        if self.kind == "object" and not isinstance(value, dict):
            raise ValidationError(path, f"{_describe(path)} must be an object, not {_kind(value)}")
        if _depth(value) > self.max_depth:
            raise ValidationError(path, f"{_describe(path)} is nested too deeply (at most {self.max_depth} levels)")
        return value

    def json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "object"} if self.kind == "object" else {}
        return self._annotate(out)


def _depth(value: Any) -> int:
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


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
            raise ValidationError(path or None, f"{_describe(path)} must be a JSON object, not {_kind(value)}")
        known = self.properties.keys() | self.aliases.keys() | set(self.ignored)
        for key in value:
            if key not in known:
                raise ValidationError(
                    _join(path, key), f"unknown field `{_join(path, key)}`"
                )
        folded = dict(value)
        for alias, canonical in self.aliases.items():
            if alias in folded:
                aliased = folded.pop(alias)
                if canonical in folded and folded[canonical] != aliased:
                    raise ValidationError(
                        _join(path, canonical),
                        f"`{_join(path, canonical)}` and `{_join(path, alias)}` are two spellings "
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
                    raise ValidationError(_join(path, key), f"`{_join(path, key)}` is required")
                if spec.has_default:
                    out[key] = spec.default
                continue
            out[key] = spec.schema.validate(raw, _join(path, key))
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
            raise ValidationError(path, f"{_describe(path)} must be an object, not {_kind(value)}")
        tag_path = _join(path, self.tag)
        if self.tag not in value and self.default is None:
            raise ValidationError(tag_path, f"`{tag_path}` is required")
        raw = value.get(self.tag, self.default)
        if not isinstance(raw, str):
            raise ValidationError(tag_path, f"`{tag_path}` must be a string, not {_kind(raw)}")
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
            raise ValidationError(path, f"{_describe(path)} must be an object, not {_kind(value)}")
        chosen = self.choose(value)
        if isinstance(chosen, str):
            raise ValidationError(path, f"{_describe(path)}: {chosen}")
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

# -*- test-case-name: tests.api.test_schema -*-
"""The schema language's leaves and simple containers: strings, numbers, arrays, null."""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Mapping, Sequence

class ValidationError(Exception):
    """A request value is invalid; ``param`` is the dotted path of the field at fault."""

    def __init__(self, param: str | None, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def describe_path(path: str) -> str:
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


def json_kind(value: Any) -> str:
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
            raise ValidationError(path, f"{describe_path(path)} must be a string, not {json_kind(value)}")
        if self.enum is not None:
            if value in self.refuse:
                raise ValidationError(path, self.refuse[value])
            if value not in self.enum:
                raise ValidationError(
                    path, f"{describe_path(path)} must be one of: {', '.join(self.enum)}"
                )
            return self.normalise.get(value, value)
        if len(value) < self.min_length:
            if self.min_length == 1:
                raise ValidationError(path, f"{describe_path(path)} must not be empty")
            raise ValidationError(
                path, f"{describe_path(path)} must be at least {self.min_length} characters long"
            )
        if self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(
                path, f"{describe_path(path)} must be at most {self.max_length} characters long"
            )
        if self._regex is not None and not self._regex.search(value):
            hint = self.pattern_hint or f"match the pattern {self.pattern}"
            raise ValidationError(path, f"{describe_path(path)} must be {hint}")
        if self.check is not None:
            try:
                value = self.check(value)
            except ValueError as e:
                raise ValidationError(path, f"{describe_path(path)}: {e}")
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
            raise ValidationError(path, f"{describe_path(path)} must be true or false, not {json_kind(value)}")
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
            raise ValidationError(path, f"{describe_path(path)} must be a whole number, not {json_kind(value)}")
        if self.enum is not None and value not in self.enum:
            raise ValidationError(
                path, f"{describe_path(path)} must be one of: {', '.join(map(str, self.enum))}"
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
        raise ValidationError(path, f"{describe_path(path)} must be between {minimum} and {maximum}")
    if minimum is not None and value < minimum:
        raise ValidationError(path, f"{describe_path(path)} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise ValidationError(path, f"{describe_path(path)} must be at most {maximum}")


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
            raise ValidationError(path, f"{describe_path(path)} must be a number, not {json_kind(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError(path, f"{describe_path(path)} must be a finite number")
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
            raise ValidationError(path, f"{describe_path(path)} must be an array, not {json_kind(value)}")
        if len(value) < self.min_items:
            raise ValidationError(path, f"{describe_path(path)} needs at least {self.min_items} item(s)")
        if self.max_items is not None and len(value) > self.max_items:
            raise ValidationError(path, f"{describe_path(path)} may hold at most {self.max_items} items")
        out = [self.items.validate(item, f"{path}[{i}]") for i, item in enumerate(value)]
        if self.unique:
            seen: list[Any] = []
            for i, item in enumerate(out):
                if item in seen:
                    raise ValidationError(f"{path}[{i}]", f"{describe_path(path)} must not repeat an item")
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
            raise ValidationError(path, f"{describe_path(path)} must be an object, not {json_kind(value)}")
        if _depth(value) > self.max_depth:
            raise ValidationError(path, f"{describe_path(path)} is nested too deeply (at most {self.max_depth} levels)")
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

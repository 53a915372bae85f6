# -*- test-case-name: tests.api.test_assistants -*-
"""
``llm_config.tools``: the three documented tool shapes (``platform-api.md`` §3.5).

(a) flat custom function ``{name, description, parameters?, url?, server?, async?, ...}``
    (``type`` may be left out or be ``function``);
(b) OpenAI style ``{"type": "function", "function": {name, description?, parameters?}}``;
(c) built-ins ``{"type": "end_call"}``, ``{"type": "transfer_call", "destinations": [...]}``
    (the seed's transfer tool; a destination is an E.164 number or a ``sip:`` URI) and
    ``{"type": "mcp", ...}``. Legacy ``endCall``/``transferCall`` are stored snake_case.

Each shape's JSON Schema excludes the others (a ``function`` key only in (b), a
``type`` other than ``function`` only in (c)), so the ``oneOf`` is exact.
"""

from __future__ import annotations

from typing import Any

from voicedock.api.common import text, uuid_string
from voicedock.api.schema import (
    AnyJson, Array, Boolean, Field, Object, Ref, Schema, ShapeUnion, String,
)
from voicedock.api.validators import HTTP_URL_PATTERN, check_http_url, check_transfer_destination

# Tool templates' name rule: a letter or _, then letters, digits, _ or -; 64 at most.
TOOL_NAME = String(
    pattern=r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$",
    pattern_hint="a letter or _, then letters, digits, _ or - (64 characters at most)",
)


def http_url(description: str | None = None) -> String:
    return String(
        max_length=2048, pattern=HTTP_URL_PATTERN, pattern_hint="an absolute http:// or https:// URL",
        check=check_http_url, description=description,
    )


_SERVER = Object({
    "url": Field(http_url("Webhook receiving this tool's calls"), required=True),
    "secret": Field(text(512, "HMAC key for this tool's webhook; write-only, encrypted"),
                    write_only=True),
    "has_secret": Field(Boolean(description="Read-only: whether a secret is stored (echoing it "
                                            "back keeps the stored secret)")),
})

_PARAMETERS = AnyJson(description="JSON Schema of the arguments")

FLAT_FUNCTION = Object(
    {
        "type": Field(String(enum=["function"])),
        "name": Field(TOOL_NAME, required=True),
        "description": Field(text(2000), required=True),
        "parameters": Field(_PARAMETERS),
        "url": Field(http_url("Overrides the assistant's webhook_url for this tool")),
        "server": Field(_SERVER),
        "async": Field(Boolean(description="Fire and forget (default false)"), default=False),
        "async_response": Field(text(1000, "Legacy spelling of `message` for async tools")),
        "message": Field(text(1000, "Said while the tool runs (async: instead of the result)")),
    },
    description="A custom function tool, flat format.",
)

NESTED_FUNCTION = Object(
    {
        "type": Field(String(enum=["function"]), required=True),
        "function": Field(Object({
            "name": Field(TOOL_NAME, required=True),
            "description": Field(text(2000)),
            "parameters": Field(_PARAMETERS),
        }), required=True),
        "server": Field(_SERVER),
        "async": Field(Boolean(), default=False),
        "message": Field(text(1000)),
    },
    description="A custom function tool, OpenAI-style nested format.",
)

END_CALL = Object(
    {"type": Field(String(enum=["end_call", "endCall"], normalise={"endCall": "end_call"}), required=True)},
    description="Lets the assistant hang up.",
)

TRANSFER_DESTINATION = Object({
    "type": Field(String(enum=["number"]), default="number"),
    "number": Field(
        String(
            max_length=512,
            pattern=r"^(\+[1-9][0-9]{1,14}|[Ss][Ii][Pp][Ss]?:.+)$",
            pattern_hint="an E.164 number (+31612345678) or a SIP URI (sip:support@pbx.example.com)",
            check=check_transfer_destination,
            description="E.164 number or sip:/sips: URI",
        ),
        required=True,
    ),
    "description": Field(text(1000, "When the assistant should choose this destination"), required=True),
    "message": Field(text(1000, "Said before transferring")),
})

TRANSFER_CALL = Object(
    {
        "type": Field(String(enum=["transfer_call", "transferCall"],
                             normalise={"transferCall": "transfer_call"}), required=True),
        "destinations": Field(Array(TRANSFER_DESTINATION, min_items=1, max_items=20), required=True),
    },
    description="Lets the assistant transfer the caller to one of the destinations.",
)

MCP = Object(
    {
        "type": Field(String(enum=["mcp"]), required=True),
        "mcp_server_id": Field(uuid_string(
            "A registered MCP server. VoiceDock has none yet: any id is 422 unknown_reference"), required=True),
        "allowed_tools": Field(Array(TOOL_NAME, max_items=25)),
        "required": Field(Boolean(), default=True),
    },
    description="Tools of a registered MCP server.",
)

_BUILT_INS: dict[str, Schema] = {
    "end_call": END_CALL, "endCall": END_CALL,
    "transfer_call": TRANSFER_CALL, "transferCall": TRANSFER_CALL,
    "mcp": MCP,
}


def _choose(value: dict[str, Any]) -> Schema | str:
    kind = value.get("type")
    if kind is None or (kind == "function" and "function" not in value):
        return FLAT_FUNCTION
    if kind == "function":
        return NESTED_FUNCTION
    if isinstance(kind, str) and kind in _BUILT_INS:
        return _BUILT_INS[kind]
    return (
        "`type` must be function, end_call, transfer_call or mcp "
        "(or left out for a flat function tool)"
    )


TOOL = Ref("Tool", ShapeUnion(
    [FLAT_FUNCTION, NESTED_FUNCTION, END_CALL, TRANSFER_CALL, MCP], _choose,
    description="A tool, in one of the three documented shapes",
))
TOOLS = Array(TOOL, max_items=64, description="Tools the model may call")


def tool_name(tool: dict[str, Any]) -> str | None:
    """The function name a tool gives the model (custom functions only)."""
    if "function" in tool:
        return str(tool["function"]["name"])
    if "name" in tool:
        return str(tool["name"])
    return None

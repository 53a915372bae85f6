# -*- test-case-name: tests.api.test_tool_secrets -*-
"""
Write-only webhook secrets of custom tools (``llm_config.tools[].server.secret``).

A tool's secret is sealed with the server's secret box before the assistant is stored,
bound to the assistant and the tool's name, and kept in the stored config as
``sealed_secret`` (base64). Responses carry ``has_secret`` instead, never the secret. A
client that echoes a tool back without its secret (``has_secret: true``) keeps the secret
stored for the tool of the same name and webhook URL.
"""

from __future__ import annotations

import base64
import copy
from typing import Any, Iterator

from voicedock.secretbox import SecretBox

SEALED = "sealed_secret"
TABLE = "assistants"


def _tool_name(tool: dict[str, Any]) -> str | None:
    if isinstance(tool.get("function"), dict):
        return tool["function"].get("name")
    return tool.get("name")


def _servers(config: dict[str, Any] | None) -> Iterator[tuple[str, dict[str, Any]]]:
    llm = (config or {}).get("llm_config") or {}
    for tool in llm.get("tools") or []:
        if isinstance(tool, dict) and isinstance(tool.get("server"), dict):
            name = _tool_name(tool)
            if name:
                yield name, tool["server"]


def _column(name: str) -> str:
    return f"llm_config.tools[{name}].server.secret"


def seal_tool_secrets(
    config: dict[str, Any], previous: dict[str, Any] | None, box: SecretBox, assistant_id: object
) -> dict[str, Any]:
    """The config to store: secrets sealed, echoed ``has_secret`` resolved, nothing plain."""
    config = copy.deepcopy(config)
    kept = {(name, server.get("url")): server[SEALED] for name, server in _servers(previous) if SEALED in server}
    for name, server in _servers(config):
        echoed = server.pop("has_secret", None)
        server.pop(SEALED, None)  # never taken from a client
        secret = server.pop("secret", None)
        if secret is not None:
            sealed = box.seal(secret, TABLE, assistant_id, _column(name))
            server[SEALED] = base64.b64encode(sealed).decode("ascii")
        elif echoed and (name, server.get("url")) in kept:
            server[SEALED] = kept[(name, server.get("url"))]
    return config


def present_tool_secrets(config: dict[str, Any]) -> dict[str, Any]:
    """The config as answered: ``has_secret`` in place of the sealed secret."""
    if not any(True for _ in _servers(config)):
        return config
    config = copy.deepcopy(config)
    for _, server in _servers(config):
        server["has_secret"] = server.pop(SEALED, None) is not None
        server.pop("secret", None)
    return config


def open_tool_secret(config: dict[str, Any], box: SecretBox, assistant_id: object, tool_name: str) -> str | None:
    """The plaintext secret of a tool's webhook (for signing deliveries), or None."""
    for name, server in _servers(config):
        if name == tool_name and SEALED in server:
            return box.open(base64.b64decode(server[SEALED]), TABLE, assistant_id, _column(name))
    return None

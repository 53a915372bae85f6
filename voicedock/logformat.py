# -*- test-case-name: tests.process.test_twistd -*-
"""``--log-format json``: one JSON object per line on standard output."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import IO, Any

from twisted.logger import ILogObserver, formatEvent
from zope.interface import implementer

_SKIP = {"log_format", "log_logger", "log_source", "log_io", "log_legacy", "log_trace",
         "log_flattened", "log_time", "log_level", "log_namespace", "log_failure", "message",
         "format", "system", "time", "isError", "log_system", "log_text"}


@implementer(ILogObserver)
class JsonLinesObserver:
    """Writes ``{"time", "level", "namespace", "message", ...fields}`` per event."""

    def __init__(self, out: IO[str] | None = None) -> None:
        self.out = out or sys.stdout

    def __call__(self, event: dict[str, Any]) -> None:
        level = event.get("log_level")
        record: dict[str, Any] = {
            "time": datetime.fromtimestamp(event.get("log_time", 0), timezone.utc)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": getattr(level, "name", "info"),
            "namespace": event.get("log_namespace", "-"),
            "message": formatEvent(event),
        }
        for key, value in event.items():
            if key in _SKIP or key.startswith("_"):
                continue
            if isinstance(value, (str, int, float, bool)) or value is None:
                record[key] = value
        failure = event.get("log_failure")
        if failure is not None:
            record["traceback"] = failure.getTraceback()
        self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.out.flush()

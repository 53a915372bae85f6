# -*- test-case-name: tests.api.test_usage -*-
"""
``GET /usage``: the organization's calls as usage logs, newest first, with a summary over
the whole date range (``platform-api.md`` §11.2, first shape):

    {"logs": [{id, duration_sec, call_type, phone_number, agent_name, business_name,
               created_at}],
     "pagination": {total, limit, offset},
     "summary": {total_calls, total_duration_seconds, total_duration_minutes}}

``start_date``/``end_date`` take a date (``2025-12-13``: the whole day) or a date-time
(UTC unless an offset is given); both ends are inclusive.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from twisted.internet import defer

from voicedock.api.common import TIMESTAMP, uuid_string
from voicedock.api.deps import ApiDependencies
from voicedock.api.routing import Call, Operation, QueryParam
from voicedock.api.schema import Array, Field, Integer, Nullable, Number, Object, Ref, String
from voicedock.api.wire import timestamp
from voicedock.store import calls

_DATE_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?([Zz]|[+-][0-9]{2}:?[0-9]{2})?)?$"
)


def _date_bound(text: str) -> tuple[datetime, bool]:
    """(instant, given as a whole date)."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=timezone.utc), True
        value = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError("not a valid date")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value, False


def _date_param(name: str, which: str) -> QueryParam:
    return QueryParam(
        name,
        String(pattern=_DATE_PATTERN, pattern_hint="a date (2025-12-13) or an ISO-8601 date-time",
               check=_date_bound),  # type: ignore[arg-type]
        description=f"{which} of the range: a date (whole day) or an ISO-8601 date-time; inclusive",
    )


def _whole_number(text: str) -> int:
    if not text.lstrip("-").isdigit() or not text.isascii():
        raise ValueError("must be a whole number")
    return int(text)


LIMIT = QueryParam("limit", Integer(minimum=1, maximum=1000, description="Default 100"), _whole_number,
                   "Page size (default 100, at most 1000)")
OFFSET = QueryParam("offset", Integer(minimum=0, maximum=2**31 - 1, description="Default 0"), _whole_number,
                    "Logs to skip")

USAGE_LOG = Object({
    "id": Field(uuid_string(), required=True),
    "duration_sec": Field(Integer(minimum=0), required=True),
    "call_type": Field(String(enum=["phone", "web"]), required=True),
    "phone_number": Field(Nullable(String()), required=True),
    "agent_name": Field(Nullable(String()), required=True),
    "business_name": Field(Nullable(String()), required=True),
    "created_at": Field(TIMESTAMP, required=True),
})
USAGE = Ref("Usage", Object({
    "logs": Field(Array(USAGE_LOG), required=True),
    "pagination": Field(Object({
        "total": Field(Integer(minimum=0), required=True),
        "limit": Field(Integer(minimum=1), required=True),
        "offset": Field(Integer(minimum=0), required=True),
    }), required=True),
    "summary": Field(Object({
        "total_calls": Field(Integer(minimum=0), required=True),
        "total_duration_seconds": Field(Integer(minimum=0), required=True),
        "total_duration_minutes": Field(Number(minimum=0), required=True),
    }), required=True),
}))


class UsageRoutes:
    """The handler of ``/usage``."""

    def __init__(self, deps: ApiDependencies) -> None:
        self.deps = deps

    def operations(self) -> list[Operation]:
        return [Operation(
            "GET", "/usage", "getUsage", "Usage logs and summary from call records", "Usage",
            self.usage, response=USAGE,
            query=(LIMIT, OFFSET, _date_param("start_date", "Start"), _date_param("end_date", "End")),
            errors=("invalid_request",),
        )]

    @defer.inlineCallbacks
    def usage(self, call: Call) -> Any:
        limit = call.query.get("limit", 100)
        offset = call.query.get("offset", 0)
        start = call.query.get("start_date")
        end = call.query.get("end_date")
        end_at, end_inclusive = None, True
        if end is not None:
            end_at, whole_day = end
            if whole_day:
                end_at, end_inclusive = end_at + timedelta(days=1), False
        page = yield calls.usage(
            self.deps.db, call.organization_id,
            start=start[0] if start else None, end=end_at, end_inclusive=end_inclusive,
            limit=limit, offset=offset,
        )
        return {
            "logs": [
                {
                    "id": log.id,
                    "duration_sec": log.duration_seconds,
                    "call_type": "web" if log.direction == "web" else "phone",
                    "phone_number": log.phone_number,
                    "agent_name": log.assistant_name,
                    "business_name": log.business_name,
                    "created_at": timestamp(log.created_at),
                }
                for log in page.logs
            ],
            "pagination": {"total": page.total_calls, "limit": limit, "offset": offset},
            "summary": {
                "total_calls": page.total_calls,
                "total_duration_seconds": page.total_duration_seconds,
                "total_duration_minutes": round(page.total_duration_seconds / 60, 2),
            },
        }

# -*- test-case-name: tests.api.test_usage -*-
"""
The read side of call records for ``GET /usage`` and ``GET /organizations``: usage logs
with a summary, calls in progress, minutes this month. (Call records are written by the
call-control layer.)
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import attrs
from twisted.internet import defer

from voicedock.store.pool import Database

IN_PROGRESS_STATUSES = ("ringing", "in-progress", "transferring")


@attrs.frozen
class UsageLog:
    """One call as ``GET /usage`` lists it."""

    id: str
    duration_seconds: int
    direction: str
    phone_number: str | None
    assistant_name: str | None
    business_name: str | None
    created_at: datetime


@attrs.frozen
class UsagePage:
    """A page of usage logs and the totals over every call in the range."""

    logs: tuple[UsageLog, ...]
    total_calls: int
    total_duration_seconds: int


@attrs.frozen
class CallActivity:
    """An organization's calls now and this calendar month (UTC)."""

    active_calls: int
    month_duration_seconds: int


def _range(organization_id: uuid.UUID, start: datetime | None, end: datetime | None,
           end_inclusive: bool) -> tuple[str, list[Any]]:
    where = ["c.organization_id = %s"]
    params: list[Any] = [str(organization_id)]
    if start is not None:
        where.append("c.created_at >= %s")
        params.append(start)
    if end is not None:
        where.append("c.created_at <= %s" if end_inclusive else "c.created_at < %s")
        params.append(end)
    return " AND ".join(where), params


@defer.inlineCallbacks
def usage(
    db: Database,
    organization_id: uuid.UUID,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    end_inclusive: bool = True,
    limit: int = 100,
    offset: int = 0,
) -> Any:
    """Calls created in [start, end], newest first, with totals over the whole range."""
    where, params = _range(organization_id, start, end, end_inclusive)
    totals = yield db.runQuery(
        f"SELECT count(*), coalesce(sum(coalesce(c.duration_seconds, 0)), 0) FROM calls c WHERE {where}",
        params,
    )
    rows = yield db.runQuery(
        "SELECT c.id, coalesce(c.duration_seconds, 0), c.direction,"
        " coalesce(c.assistant_phone, n.phone_number), a.name, a.config->>'business_name',"
        " c.created_at FROM calls c"
        " LEFT JOIN assistants a ON a.id = c.assistant_id"
        " LEFT JOIN phone_numbers n ON n.id = c.number_id"
        f" WHERE {where} ORDER BY c.created_at DESC, c.id LIMIT %s OFFSET %s",
        params + [limit, offset],
    )
    logs = tuple(
        UsageLog(r[0], int(r[1]), r[2], r[3], r[4], r[5], r[6]) for r in rows
    )
    return UsagePage(logs, int(totals[0][0]), int(totals[0][1]))


@defer.inlineCallbacks
def activity(db: Database, organization_id: uuid.UUID) -> Any:
    rows = yield db.runQuery(
        "SELECT count(*) FILTER (WHERE status = ANY(%s)),"
        " coalesce(sum(coalesce(duration_seconds, 0)) FILTER (WHERE created_at >="
        " date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'), 0)"
        " FROM calls WHERE organization_id = %s",
        (list(IN_PROGRESS_STATUSES), str(organization_id)),
    )
    return CallActivity(int(rows[0][0]), int(rows[0][1]))

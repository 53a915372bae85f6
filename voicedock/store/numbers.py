# -*- test-case-name: tests.api.test_numbers -*-
"""
Phone numbers: the registered E.164 numbers of an organization, each routed to an
assistant and optionally given a trunk for transfers.

A number is unique across the whole server (one number routes to one organization).
References stay inside the organization: the composite foreign keys of the schema refuse
another organization's assistant or trunk, which we report as :class:`UnknownReference`.
Every read and write is one SQL statement that also reads back the names of the
assistant and trunk a number points at.

Timestamps come back as the API's text (ISO-8601 UTC, milliseconds, ``Z``), formatted by
PostgreSQL: cheaper than building ``datetime`` objects only to format them again.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any, Mapping

import attrs
import psycopg2.errors
from twisted.internet import defer

from voicedock.store.pool import Database

WRITABLE = ("phone_number", "name", "assistant_id", "transfer_trunk_id", "is_active")


class DuplicateNumber(Exception):
    """The phone number is already registered (by this or another organization)."""


class UnknownReference(Exception):
    """A referenced assistant or trunk does not exist in the organization."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


@attrs.frozen
class PhoneNumber:
    """
    A registered number with the names of what it points at: ids as canonical strings,
    timestamps as ISO-8601 UTC text with milliseconds (``2025-12-13T10:00:00.000Z``).
    """

    id: str
    organization_id: str
    phone_number: str
    name: str | None
    assistant_id: str | None
    assistant_name: str | None
    business_name: str | None
    transfer_trunk_id: str | None
    transfer_trunk_name: str | None
    is_active: bool
    created_at: str
    updated_at: str


# Truncates to milliseconds, as Python's isoformat(timespec="milliseconds") does.
_UTC_TEXT = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

# The columns in the order of PhoneNumber's fields, so a row is PhoneNumber(*row).
_SELECT = (
    "SELECT n.id, n.organization_id, n.phone_number, n.name, n.assistant_id, a.name,"
    " a.config->>'business_name', n.transfer_trunk_id, t.name, n.is_active, "
    + _UTC_TEXT.format("n.created_at") + ", " + _UTC_TEXT.format("n.updated_at")
    + " FROM {source} n"
    " LEFT JOIN assistants a ON a.id = n.assistant_id"
    " LEFT JOIN sip_trunks t ON t.id = n.transfer_trunk_id"
)
_LIST = _SELECT.format(source="phone_numbers") + (
    " WHERE n.organization_id = %s ORDER BY n.created_at, n.id"
)
_GET = _SELECT.format(source="phone_numbers") + " WHERE n.id = %s AND n.organization_id = %s"


def _numbers(rows: list[tuple[Any, ...]]) -> list[PhoneNumber]:
    return [PhoneNumber(*row) for row in rows]


def _first(rows: list[tuple[Any, ...]]) -> PhoneNumber | None:
    return PhoneNumber(*rows[0]) if rows else None


def _param(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


def _translate_integrity(failure: Any) -> Any:
    error = failure.value
    if isinstance(error, psycopg2.errors.UniqueViolation):
        raise DuplicateNumber()
    if isinstance(error, psycopg2.errors.ForeignKeyViolation):
        constraint = error.diag.constraint_name or ""
        if "assistant" in constraint:
            raise UnknownReference("assistant_id")
        if "trunk" in constraint:
            raise UnknownReference("transfer_trunk_id")
    return failure


def list_numbers(db: Database, organization_id: uuid.UUID) -> defer.Deferred[list[PhoneNumber]]:
    """The organization's numbers, oldest first."""
    return db.runQuery(_LIST, (str(organization_id),)).addCallback(_numbers)


def get_number(
    db: Database, organization_id: uuid.UUID, number_id: uuid.UUID
) -> defer.Deferred[PhoneNumber | None]:
    """The number, or None when the organization has no such number."""
    return db.runQuery(_GET, (str(number_id), str(organization_id))).addCallback(_first)


# A new number that points at no assistant and no trunk has no names to look up: its
# INSERT returns the row itself (a fifth cheaper for PostgreSQL than the joined read-back).
_RETURNING_UNREFERENCED = (
    " RETURNING id, organization_id, phone_number, name, assistant_id, NULL, NULL,"
    " transfer_trunk_id, NULL, is_active, "
    + _UTC_TEXT.format("created_at") + ", " + _UTC_TEXT.format("updated_at")
)


@functools.lru_cache(maxsize=None)  # one entry per set of columns sent: at most 2 * 2**5
def _insert_sql(columns: tuple[str, ...], references: bool) -> str:
    insert = (
        f"INSERT INTO phone_numbers (id, organization_id, {', '.join(columns)})"
        f" VALUES ({', '.join(['%s'] * (len(columns) + 2))})"
    )
    if not references:
        return insert + _RETURNING_UNREFERENCED
    return f"WITH inserted AS ({insert} RETURNING *) " + _SELECT.format(source="inserted")


@functools.lru_cache(maxsize=None)
def _update_sql(columns: tuple[str, ...]) -> str:
    assignments = ", ".join(f"{c} = %s" for c in columns)
    return (
        f"WITH updated AS (UPDATE phone_numbers SET {assignments}, updated_at = now()"
        " WHERE id = %s AND organization_id = %s RETURNING *) "
        + _SELECT.format(source="updated")
    )


def _created(rows: list[tuple[Any, ...]]) -> PhoneNumber:
    return PhoneNumber(*rows[0])


def create_number(
    db: Database, organization_id: uuid.UUID, fields: Mapping[str, Any]
) -> defer.Deferred[PhoneNumber]:
    """Register a number; ``fields`` are validated values of :data:`WRITABLE`."""
    columns = tuple(c for c in WRITABLE if c in fields)
    values = [str(uuid.uuid4()), str(organization_id)] + [_param(fields[c]) for c in columns]
    references = fields.get("assistant_id") is not None or fields.get("transfer_trunk_id") is not None
    rows = db.runQuery(_insert_sql(columns, references), values).addErrback(_translate_integrity)
    return rows.addCallback(_created)


def update_number(
    db: Database, organization_id: uuid.UUID, number_id: uuid.UUID, changes: Mapping[str, Any]
) -> defer.Deferred[PhoneNumber | None]:
    """Apply ``changes`` (validated values of :data:`WRITABLE`); None if no such number."""
    columns = tuple(c for c in WRITABLE if c in changes)
    if not columns:
        return get_number(db, organization_id, number_id)
    values = [_param(changes[c]) for c in columns] + [str(number_id), str(organization_id)]
    rows = db.runQuery(_update_sql(columns), values).addErrback(_translate_integrity)
    return rows.addCallback(_first)


@defer.inlineCallbacks
def delete_number(db: Database, organization_id: uuid.UUID, number_id: uuid.UUID) -> Any:
    rows = yield db.runQuery(
        "DELETE FROM phone_numbers WHERE id = %s AND organization_id = %s RETURNING id",
        (str(number_id), str(organization_id)),
    )
    return bool(rows)


@defer.inlineCallbacks
def count_active(db: Database, organization_id: uuid.UUID) -> Any:
    rows = yield db.runQuery(
        "SELECT count(*) FROM phone_numbers WHERE organization_id = %s AND is_active",
        (str(organization_id),),
    )
    return int(rows[0][0])

# -*- test-case-name: tests.api.test_trunks -*-
"""
SIP trunks: an organization's connections to other phone systems, used for transfers.

The password is stored only as ``password_ciphertext`` (sealed by the API with
``voicedock.secretbox`` and bound to the row); reads for the API never select it, and
:func:`credentials` hands it to the SIP side, still sealed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Mapping

import attrs
from twisted.internet import defer

from voicedock.store.pool import Database

TABLE = "sip_trunks"
PASSWORD_COLUMN = "password_ciphertext"
WRITABLE = (
    "name", "host", "port", "transport", "username", "password_ciphertext", "provider",
    "inbound_addresses", "outbound_number", "is_active",
)


@attrs.frozen
class SipTrunk:
    """A trunk as the API shows it: ``has_password`` instead of the password."""

    id: str
    organization_id: str
    name: str
    host: str
    port: int
    transport: str
    username: str | None
    has_password: bool
    provider: str | None
    inbound_addresses: tuple[str, ...]
    outbound_number: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


@attrs.frozen
class TrunkCredentials:
    """What the SIP side needs to dial through a trunk; the password still sealed."""

    id: uuid.UUID
    organization_id: uuid.UUID
    host: str
    port: int
    transport: str
    username: str | None
    password_ciphertext: bytes | None


_COLUMNS = (
    "id, organization_id, name, host, port, transport, username,"
    " password_ciphertext IS NOT NULL, provider, inbound_addresses, outbound_number,"
    " is_active, created_at, updated_at"
)


def _row(row: tuple[Any, ...]) -> SipTrunk:
    return SipTrunk(
        id=row[0],
        organization_id=row[1],
        name=row[2],
        host=row[3],
        port=row[4],
        transport=row[5],
        username=row[6],
        has_password=row[7],
        provider=row[8],
        inbound_addresses=tuple(row[9] or ()),
        outbound_number=row[10],
        is_active=row[11],
        created_at=row[12],
        updated_at=row[13],
    )


def _param(column: str, value: Any) -> Any:
    if column == "inbound_addresses":
        return list(value)
    if column == PASSWORD_COLUMN and value is not None:
        return bytes(value)
    return value


@defer.inlineCallbacks
def list_trunks(db: Database, organization_id: uuid.UUID) -> Any:
    rows = yield db.runQuery(
        f"SELECT {_COLUMNS} FROM sip_trunks WHERE organization_id = %s ORDER BY created_at, id",
        (str(organization_id),),
    )
    return [_row(r) for r in rows]


@defer.inlineCallbacks
def get_trunk(db: Database, organization_id: uuid.UUID, trunk_id: uuid.UUID) -> Any:
    rows = yield db.runQuery(
        f"SELECT {_COLUMNS} FROM sip_trunks WHERE id = %s AND organization_id = %s",
        (str(trunk_id), str(organization_id)),
    )
    return _row(rows[0]) if rows else None


@defer.inlineCallbacks
def create_trunk(
    db: Database, organization_id: uuid.UUID, trunk_id: uuid.UUID, fields: Mapping[str, Any]
) -> Any:
    """Insert a trunk with the id the caller chose (the password is sealed to it)."""
    columns = [c for c in WRITABLE if c in fields]
    values = [str(trunk_id), str(organization_id)] + [_param(c, fields[c]) for c in columns]
    placeholders = ", ".join(["%s"] * len(values))
    rows = yield db.runQuery(
        f"INSERT INTO sip_trunks (id, organization_id, {', '.join(columns)})"
        f" VALUES ({placeholders}) RETURNING {_COLUMNS}",
        values,
    )
    return _row(rows[0])


@defer.inlineCallbacks
def update_trunk(
    db: Database, organization_id: uuid.UUID, trunk_id: uuid.UUID, changes: Mapping[str, Any]
) -> Any:
    """Apply ``changes`` (validated values of :data:`WRITABLE`); None if no such trunk."""
    columns = [c for c in WRITABLE if c in changes]
    if not columns:
        return (yield get_trunk(db, organization_id, trunk_id))
    assignments = ", ".join(f"{c} = %s" for c in columns)
    rows = yield db.runQuery(
        f"UPDATE sip_trunks SET {assignments}, updated_at = now()"
        f" WHERE id = %s AND organization_id = %s RETURNING {_COLUMNS}",
        [_param(c, changes[c]) for c in columns] + [str(trunk_id), str(organization_id)],
    )
    return _row(rows[0]) if rows else None


@defer.inlineCallbacks
def delete_trunk(db: Database, organization_id: uuid.UUID, trunk_id: uuid.UUID) -> Any:
    """Delete a trunk; the numbers using it keep working with ``transfer_trunk_id`` null."""
    rows = yield db.runQuery(
        "DELETE FROM sip_trunks WHERE id = %s AND organization_id = %s RETURNING id",
        (str(trunk_id), str(organization_id)),
    )
    return bool(rows)


@defer.inlineCallbacks
def credentials(db: Database, organization_id: uuid.UUID, trunk_id: uuid.UUID) -> Any:
    """The trunk's dialling target and sealed password, or None."""
    rows = yield db.runQuery(
        "SELECT id, organization_id, host, port, transport, username, password_ciphertext"
        " FROM sip_trunks WHERE id = %s AND organization_id = %s",
        (str(trunk_id), str(organization_id)),
    )
    if not rows:
        return None
    r = rows[0]
    return TrunkCredentials(
        uuid.UUID(str(r[0])), uuid.UUID(str(r[1])), r[2], r[3], r[4], r[5],
        None if r[6] is None else bytes(r[6]),
    )

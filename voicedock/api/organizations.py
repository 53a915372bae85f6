# -*- test-case-name: tests.api.test_organizations -*-
"""
``GET /organizations``: the key's own organization (``platform-api.md`` §11.3), unwrapped:
``{id, name, minutes_balance, monthly_usage_minutes, active_numbers, active_agents,
active_calls, has_local_models_access, parent_org_id, created_at}``.

A self-hosted server has no credits: ``minutes_balance`` is null. ``monthly_usage_minutes``
sums the durations of this calendar month's calls (UTC). There are no child organizations:
``?include_children=true`` adds ``children: []``.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer

from voicedock.api import errors
from voicedock.api.common import TIMESTAMP, uuid_string
from voicedock.api.deps import ApiDependencies
from voicedock.api.routing import Call, Operation, QueryParam
from voicedock.api.schema import Array, Boolean, Field, Integer, Nullable, Number, Object, Ref, String
from voicedock.api.wire import timestamp
from voicedock.store import assistants, calls, numbers, organizations


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError("must be true or false")


INCLUDE_CHILDREN = QueryParam("include_children", Boolean(), _boolean, "Add `children` (always empty here)")

ORGANIZATION = Ref("Organization", Object({
    "id": Field(uuid_string(), required=True),
    "name": Field(String(), required=True),
    "minutes_balance": Field(Nullable(Number(description="No credits on a self-hosted server: null")),
                             required=True),
    "monthly_usage_minutes": Field(Number(minimum=0), required=True),
    "active_numbers": Field(Integer(minimum=0), required=True),
    "active_agents": Field(Integer(minimum=0), required=True),
    "active_calls": Field(Integer(minimum=0), required=True),
    "has_local_models_access": Field(Boolean(), required=True),
    "parent_org_id": Field(Nullable(uuid_string()), required=True),
    "created_at": Field(TIMESTAMP, required=True),
    "children": Field(Array(Object({
        "id": Field(uuid_string(), required=True),
        "name": Field(String(), required=True),
        "created_at": Field(TIMESTAMP, required=True),
    }), description="Only with include_children=true")),
}))


class OrganizationRoutes:
    """The handler of ``/organizations`` (read-only)."""

    def __init__(self, deps: ApiDependencies) -> None:
        self.deps = deps

    def operations(self) -> list[Operation]:
        return [Operation(
            "GET", "/organizations", "getOrganization", "Your organization", "Organizations",
            self.get, response=ORGANIZATION, query=(INCLUDE_CHILDREN,), errors=("invalid_request",),
        )]

    @defer.inlineCallbacks
    def get(self, call: Call) -> Any:
        db, org_id = self.deps.db, call.organization_id
        org, active_numbers, active_agents, activity = yield defer.gatherResults([
            organizations.get(db, org_id),
            numbers.count_active(db, org_id),
            assistants.count_active(db, org_id),
            calls.activity(db, org_id),
        ], consumeErrors=True).addErrback(lambda f: f.value.subFailure)
        if org is None:  # deleted while its key was being checked
            raise errors.unauthorized()
        body = {
            "id": str(org.id),
            "name": org.name,
            "minutes_balance": None,
            "monthly_usage_minutes": round(activity.month_duration_seconds / 60, 2),
            "active_numbers": active_numbers,
            "active_agents": active_agents,
            "active_calls": activity.active_calls,
            "has_local_models_access": True,
            "parent_org_id": None,
            "created_at": timestamp(org.created_at),
        }
        if call.query.get("include_children"):
            body["children"] = []
        return body

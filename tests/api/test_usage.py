"""``GET /usage`` and ``GET /organizations``: read from call records and the tables."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from twisted.internet import defer

from tests.api.support import ApiTestCase


class CallRecords(ApiTestCase):
    @defer.inlineCallbacks
    def add_call(self, organization_id: str, created_at: datetime, *, status: str = "ended",
                 duration: int | None = 60, direction: str = "inbound", number: dict | None = None,
                 assistant: dict | None = None) -> Any:
        call_id = str(uuid.uuid4())
        yield self.db.runOperation(
            "INSERT INTO calls (id, organization_id, number_id, assistant_id, direction, status,"
            " duration_seconds, assistant_phone, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (call_id, organization_id, number and number["id"], assistant and assistant["id"], direction,
             status, duration, number and number["phone_number"], created_at),
        )
        return call_id


class UsageTests(CallRecords):
    @defer.inlineCallbacks
    def test_empty_until_calls_exist(self) -> Any:
        body = self.assertStatus((yield self.client.get("/api/v1/usage")), 200)
        self.assertEqual(body, {
            "logs": [], "pagination": {"total": 0, "limit": 100, "offset": 0},
            "summary": {"total_calls": 0, "total_duration_seconds": 0, "total_duration_minutes": 0},
        })

    @defer.inlineCallbacks
    def test_logs_summary_pagination_and_dates(self) -> Any:
        assistant = yield self.assistant(name="Reception", business_name="Acme B.V.")
        number = yield self.number(assistant_id=assistant["id"])
        org = (yield self.client.get("/api/v1/organizations")).json()["id"]
        day = datetime(2025, 12, 13, 10, 0, tzinfo=timezone.utc)
        first = yield self.add_call(org, day, duration=90, number=number, assistant=assistant)
        second = yield self.add_call(org, day + timedelta(hours=5), duration=30, direction="web")
        third = yield self.add_call(org, day + timedelta(days=1), duration=None, status="rejected",
                                    number=number)
        other = yield self.other_organization()
        other_org = (yield other.get("/api/v1/organizations")).json()["id"]
        yield self.add_call(other_org, day, duration=999)

        body = self.assertStatus((yield self.client.get("/api/v1/usage")), 200)
        self.assertEqual([log["id"] for log in body["logs"]], [third, second, first])
        self.assertEqual(body["logs"][2], {
            "id": first, "duration_sec": 90, "call_type": "phone", "phone_number": "+31850835037",
            "agent_name": "Reception", "business_name": "Acme B.V.", "created_at": "2025-12-13T10:00:00.000Z",
        })
        self.assertEqual(body["logs"][1]["call_type"], "web")
        self.assertEqual(body["logs"][0]["duration_sec"], 0)
        self.assertEqual(body["summary"], {"total_calls": 3, "total_duration_seconds": 120,
                                           "total_duration_minutes": 2.0})

        body = self.assertStatus((yield self.client.get("/api/v1/usage?limit=1&offset=1")), 200)
        self.assertEqual([log["id"] for log in body["logs"]], [second])
        self.assertEqual(body["pagination"], {"total": 3, "limit": 1, "offset": 1})
        self.assertEqual(body["summary"]["total_calls"], 3)

        body = self.assertStatus((yield self.client.get("/api/v1/usage?start_date=2025-12-13&end_date=2025-12-13")),
                                 200)
        self.assertEqual([log["id"] for log in body["logs"]], [second, first])
        self.assertEqual(body["summary"]["total_duration_seconds"], 120)
        body = self.assertStatus((yield self.client.get(
            "/api/v1/usage?start_date=2025-12-13T12:00:00Z&end_date=2025-12-14T10:00:00Z")), 200)
        self.assertEqual([log["id"] for log in body["logs"]], [third, second])

    @defer.inlineCallbacks
    def test_bad_query(self) -> Any:
        for query in ("limit=0", "limit=1001", "limit=ten", "offset=-1", "start_date=yesterday",
                      "end_date=2025-13-45", "limit=1.5"):
            response = yield self.client.get(f"/api/v1/usage?{query}")
            self.assertError(response, 400, "invalid_request", query.split("=")[0])


class OrganizationTests(CallRecords):
    @defer.inlineCallbacks
    def test_own_organization_with_counts(self) -> Any:
        body = self.assertStatus((yield self.client.get("/api/v1/organizations")), 200)
        self.assertEqual(body["name"], "acme")
        self.assertEqual((body["active_numbers"], body["active_agents"], body["active_calls"]), (0, 0, 0))
        self.assertIsNone(body["minutes_balance"])
        self.assertIsNone(body["parent_org_id"])
        self.assertNotIn("children", body)

        assistant = yield self.assistant()
        yield self.assistant(name="Off", is_active=False)
        yield self.number(assistant_id=assistant["id"])
        yield self.number("+31201234567", is_active=False)
        now = datetime.now(timezone.utc)
        yield self.add_call(body["id"], now, status="in-progress", duration=None)
        yield self.add_call(body["id"], now, status="ringing", duration=None)
        yield self.add_call(body["id"], now, status="ended", duration=150)
        yield self.add_call(body["id"], now - timedelta(days=62), status="ended", duration=6000)
        other = yield self.other_organization()
        theirs = self.assertStatus((yield other.get("/api/v1/organizations")), 200)
        self.assertNotEqual(theirs["id"], body["id"])
        yield self.add_call(theirs["id"], now, status="in-progress")

        body = self.assertStatus((yield self.client.get("/api/v1/organizations?include_children=true")), 200)
        self.assertEqual((body["active_numbers"], body["active_agents"], body["active_calls"]), (1, 1, 2))
        self.assertEqual(body["monthly_usage_minutes"], 2.5)
        self.assertEqual(body["children"], [])
        self.assertIs(body["has_local_models_access"], True)
        response = yield self.client.get("/api/v1/organizations?include_children=maybe")
        self.assertError(response, 400, "invalid_request", "include_children")

"""``/numbers``: registering, assigning, both spellings, references, scoping."""

from __future__ import annotations

from typing import Any

from twisted.internet import defer

from tests.api.support import ApiTestCase, random_id

TIMESTAMP_FIELDS = ("created_at", "updated_at")


class NumberTests(ApiTestCase):
    @defer.inlineCallbacks
    def test_register_and_read_back(self) -> Any:
        assistant = yield self.assistant(name="Sales bot", business_name="Acme B.V.")
        trunk = yield self.trunk(name="PBX")
        created = yield self.number(name="Main Support Line", assistant_id=assistant["id"],
                                    transfer_trunk_id=trunk["id"])
        self.assertEqual(created["phone_number"], "+31850835037")
        self.assertEqual(created["name"], "Main Support Line")
        self.assertEqual(created["assistant_id"], assistant["id"])
        self.assertEqual(created["agent_id"], assistant["id"])
        self.assertEqual(created["assistant_name"], "Sales bot")
        self.assertEqual(created["agent_name"], "Sales bot")
        self.assertEqual(created["business_name"], "Acme B.V.")
        self.assertEqual(created["transfer_trunk_id"], trunk["id"])
        self.assertEqual(created["transfer_trunk_name"], "PBX")
        self.assertIs(created["is_active"], True)
        self.assertEqual(created["created_at"], created["updated_at"])
        self.assertRegex(created["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        got = self.assertStatus((yield self.client.get(f"/api/v1/numbers/{created['id']}")), 200)
        self.assertEqual(got, {"number": created})
        listed = self.assertStatus((yield self.client.get("/api/v1/numbers")), 200)
        self.assertEqual(listed, {"numbers": [created]})

    @defer.inlineCallbacks
    def test_name_is_optional(self) -> Any:
        created = yield self.number()
        self.assertIsNone(created["name"])
        self.assertIsNone(created["assistant_id"])
        self.assertIsNone(created["transfer_trunk_id"])

    @defer.inlineCallbacks
    def test_agent_id_spelling(self) -> Any:
        assistant = yield self.assistant()
        created = yield self.number(agent_id=assistant["id"])
        self.assertEqual((created["assistant_id"], created["agent_id"]), (assistant["id"], assistant["id"]))
        other = yield self.assistant(name="Other")
        response = yield self.client.patch(f"/api/v1/numbers/{created['id']}", {"agent_id": other["id"]})
        self.assertEqual(self.assertStatus(response, 200)["number"]["assistant_id"], other["id"])
        # Both spellings, agreeing: fine. Disagreeing: refused.
        response = yield self.client.patch(f"/api/v1/numbers/{created['id']}",
                                           {"agent_id": assistant["id"], "assistant_id": assistant["id"]})
        self.assertStatus(response, 200)
        response = yield self.client.patch(f"/api/v1/numbers/{created['id']}",
                                           {"agent_id": assistant["id"], "assistant_id": other["id"]})
        self.assertError(response, 400, "invalid_request", "assistant_id")
        response = yield self.client.patch(f"/api/v1/numbers/{created['id']}",
                                           {"agent_id": None, "assistant_id": other["id"]})
        self.assertError(response, 400, "invalid_request", "assistant_id")

    @defer.inlineCallbacks
    def test_patch_is_partial_and_null_clears(self) -> Any:
        assistant = yield self.assistant()
        trunk = yield self.trunk()
        created = yield self.number(name="Line", assistant_id=assistant["id"], transfer_trunk_id=trunk["id"])
        path = f"/api/v1/numbers/{created['id']}"
        body = self.assertStatus((yield self.client.patch(path, {"assistant_id": None})), 200)["number"]
        self.assertIsNone(body["assistant_id"])
        self.assertIsNone(body["assistant_name"])
        self.assertEqual(body["transfer_trunk_id"], trunk["id"])
        self.assertEqual(body["name"], "Line")
        body = self.assertStatus((yield self.client.patch(path, {"is_active": False, "name": None})), 200)["number"]
        self.assertIs(body["is_active"], False)
        self.assertIsNone(body["name"])
        body = self.assertStatus((yield self.client.patch(path, {})), 200)["number"]
        self.assertIs(body["is_active"], False)

    @defer.inlineCallbacks
    def test_phone_number_must_be_e164(self) -> Any:
        for bad in ("31850835037", "+0850835037", "+3", "+1234567890123456", "+31 85 083 5037",
                    "+31-850835037", "", "+٣١٨٥٠٨٣٥٠٣٧", "+31850835037\n"):
            response = yield self.client.post("/api/v1/numbers", {"phone_number": bad})
            self.assertError(response, 400, "invalid_request", "phone_number")
        for bad in (31850835037, None, ["+31850835037"]):
            response = yield self.client.post("/api/v1/numbers", {"phone_number": bad})
            self.assertError(response, 400, "invalid_request", "phone_number")
        response = yield self.client.post("/api/v1/numbers", {"name": "x"})
        self.assertError(response, 400, "invalid_request", "phone_number")
        for good in ("+12", "+123456789012345"):
            yield self.number(good)

    @defer.inlineCallbacks
    def test_wrong_types(self) -> Any:
        cases = [({"name": 5}, "name"), ({"is_active": "yes"}, "is_active"),
                 ({"is_active": 1}, "is_active"), ({"assistant_id": "not-a-uuid"}, "assistant_id"),
                 ({"transfer_trunk_id": 7}, "transfer_trunk_id"), ({"name": ""}, "name"),
                 ({"name": "x" * 201}, "name")]
        for extra, param in cases:
            response = yield self.client.post("/api/v1/numbers", {"phone_number": "+31850835037", **extra})
            self.assertError(response, 400, "invalid_request", param)

    @defer.inlineCallbacks
    def test_duplicates_are_409_even_across_organizations(self) -> Any:
        yield self.number("+31850835037")
        response = yield self.client.post("/api/v1/numbers", {"phone_number": "+31850835037"})
        self.assertError(response, 409, "conflict", "phone_number")
        other = yield self.other_organization()
        response = yield other.post("/api/v1/numbers", {"phone_number": "+31850835037"})
        self.assertError(response, 409, "conflict", "phone_number")
        second = yield self.number("+31201234567")
        response = yield self.client.patch(f"/api/v1/numbers/{second['id']}", {"phone_number": "+31850835037"})
        self.assertError(response, 409, "conflict", "phone_number")

    @defer.inlineCallbacks
    def test_unknown_references_are_422(self) -> Any:
        response = yield self.client.post("/api/v1/numbers", {"phone_number": "+31850835037",
                                                               "assistant_id": random_id()})
        self.assertError(response, 422, "unknown_reference", "assistant_id")
        response = yield self.client.post("/api/v1/numbers", {"phone_number": "+31850835037",
                                                               "agent_id": random_id()})
        self.assertError(response, 422, "unknown_reference", "assistant_id")
        response = yield self.client.post("/api/v1/numbers", {"phone_number": "+31850835037",
                                                               "transfer_trunk_id": random_id()})
        self.assertError(response, 422, "unknown_reference", "transfer_trunk_id")
        created = yield self.number()
        response = yield self.client.patch(f"/api/v1/numbers/{created['id']}", {"transfer_trunk_id": random_id()})
        self.assertError(response, 422, "unknown_reference", "transfer_trunk_id")

    @defer.inlineCallbacks
    def test_another_organizations_assistant_and_trunk_are_unknown(self) -> Any:
        other = yield self.other_organization()
        theirs = self.assertStatus((yield other.post("/api/v1/assistants", {"name": "Theirs"})), 201)
        their_trunk = self.assertStatus(
            (yield other.post("/api/v1/sip-trunks", {"name": "T", "host": "10.0.0.1"})), 201)
        response = yield self.client.post("/api/v1/numbers", {"phone_number": "+31850835037",
                                                               "assistant_id": theirs["assistant"]["id"]})
        self.assertError(response, 422, "unknown_reference", "assistant_id")
        response = yield self.client.post("/api/v1/numbers", {"phone_number": "+31850835037",
                                                               "transfer_trunk_id": their_trunk["trunk"]["id"]})
        self.assertError(response, 422, "unknown_reference", "transfer_trunk_id")

    @defer.inlineCallbacks
    def test_documented_later_fields(self) -> Any:
        created = yield self.number(workflow_id=None, is_active=True)
        self.assertIsNone(created["workflow_id"])
        response = yield self.client.post("/api/v1/numbers", {"phone_number": "+31201234567",
                                                               "workflow_id": random_id()})
        self.assertError(response, 422, "unknown_reference", "workflow_id")
        response = yield self.client.patch(f"/api/v1/numbers/{created['id']}", {"workflow_id": random_id()})
        self.assertError(response, 422, "unknown_reference", "workflow_id")

    @defer.inlineCallbacks
    def test_another_organizations_number_is_404(self) -> Any:
        created = yield self.number()
        other = yield self.other_organization()
        path = f"/api/v1/numbers/{created['id']}"
        self.assertError((yield other.get(path)), 404, "not_found")
        self.assertError((yield other.patch(path, {"name": "mine"})), 404, "not_found")
        self.assertError((yield other.delete(path)), 404, "not_found")
        self.assertEqual(self.assertStatus((yield other.get("/api/v1/numbers")), 200), {"numbers": []})
        still = self.assertStatus((yield self.client.get(path)), 200)["number"]
        self.assertIsNone(still["name"])

    @defer.inlineCallbacks
    def test_delete(self) -> Any:
        created = yield self.number()
        path = f"/api/v1/numbers/{created['id']}"
        self.assertEqual(self.assertStatus((yield self.client.delete(path)), 200), {"success": True})
        self.assertError((yield self.client.get(path)), 404, "not_found")
        self.assertError((yield self.client.delete(path)), 404, "not_found")
        self.assertError((yield self.client.patch(path, {"name": "x"})), 404, "not_found")

    @defer.inlineCallbacks
    def test_deleting_the_assistant_or_trunk_clears_only_that_column(self) -> Any:
        assistant = yield self.assistant()
        trunk = yield self.trunk()
        created = yield self.number(assistant_id=assistant["id"], transfer_trunk_id=trunk["id"])
        path = f"/api/v1/numbers/{created['id']}"
        self.assertStatus((yield self.client.delete(f"/api/v1/assistants/{assistant['id']}")), 200)
        body = self.assertStatus((yield self.client.get(path)), 200)["number"]
        self.assertIsNone(body["assistant_id"])
        self.assertEqual(body["transfer_trunk_id"], trunk["id"])
        self.assertStatus((yield self.client.delete(f"/api/v1/sip-trunks/{trunk['id']}")), 200)
        body = self.assertStatus((yield self.client.get(path)), 200)["number"]
        self.assertIsNone(body["transfer_trunk_id"])
        self.assertIsNone(body["transfer_trunk_name"])

    @defer.inlineCallbacks
    def test_list_is_in_creation_order(self) -> Any:
        first = yield self.number("+31850835037")
        second = yield self.number("+31201234567")
        listed = self.assertStatus((yield self.client.get("/api/v1/numbers")), 200)["numbers"]
        self.assertEqual([n["id"] for n in listed], [first["id"], second["id"]])

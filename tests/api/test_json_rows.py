"""
The JSON fast path for rows (``voicedock.api.json_rows``) and the numbers rendered with it:
the bytes must be exactly those ``dump_json`` gives for the documented dicts, and the
timestamps PostgreSQL formats must be those ``wire.timestamp`` gives for the stored values.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import given, strategies as st
from twisted.internet import defer
from twisted.trial import unittest

from tests.api.support import ApiTestCase
from voicedock.api.json_rows import (
    ObjectTemplate, array_body, json_boolean, json_nullable_string, json_string, object_body,
)
from voicedock.api.numbers import number_json
from voicedock.api.wire import EncodedJson, dump_json, timestamp
from voicedock.store.numbers import _UTC_TEXT, PhoneNumber

# Any text a client could store (PostgreSQL refuses NUL and lone surrogates).
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)
ID = st.uuids().map(str)
STAMP = st.datetimes(timezones=st.just(timezone.utc)).map(lambda d: timestamp(d))


def documented_number(n: PhoneNumber) -> dict[str, Any]:
    """The number as the API documents it (the dict the renderer used to dump)."""
    return {
        "id": n.id,
        "phone_number": n.phone_number,
        "name": n.name,
        "assistant_id": n.assistant_id,
        "agent_id": n.assistant_id,
        "assistant_name": n.assistant_name,
        "agent_name": n.assistant_name,
        "business_name": n.business_name,
        "transfer_trunk_id": n.transfer_trunk_id,
        "transfer_trunk_name": n.transfer_trunk_name,
        "workflow_id": None,
        "workflow_name": None,
        "is_active": n.is_active,
        "created_at": n.created_at,
        "updated_at": n.updated_at,
    }


NUMBERS = st.builds(
    PhoneNumber,
    id=ID, organization_id=ID, phone_number=TEXT, name=st.none() | TEXT,
    assistant_id=st.none() | ID, assistant_name=st.none() | TEXT,
    business_name=st.none() | TEXT, transfer_trunk_id=st.none() | ID,
    transfer_trunk_name=st.none() | TEXT, is_active=st.booleans(),
    created_at=STAMP, updated_at=STAMP,
)


class JsonRowsTests(unittest.SynchronousTestCase):
    @given(st.dictionaries(TEXT, st.none() | st.booleans() | TEXT, max_size=6))
    def test_template_renders_what_json_dumps_renders(self, value: dict[str, Any]) -> None:
        template = ObjectTemplate(list(value))
        encoded = tuple(
            json_nullable_string(v) if not isinstance(v, bool) else json_boolean(v)
            for v in value.values()
        )
        self.assertEqual(object_body("x", template.render(encoded)).data, dump_json({"x": value}))

    def test_keys_with_percent_signs_and_quotes(self) -> None:
        template = ObjectTemplate(['100%', 'say "hi"', "é"])
        values = (json_string("%s"), "null", json_boolean(False))
        self.assertEqual(template.render(values), '{"100%":"%s","say \\"hi\\"":null,"é":false}')

    @given(st.lists(NUMBERS, max_size=4))
    def test_numbers_list_bytes_are_those_of_the_documented_dicts(self, numbers: list[PhoneNumber]) -> None:
        rendered = array_body("numbers", map(number_json, numbers))
        expected = dump_json({"numbers": [documented_number(n) for n in numbers]})
        self.assertEqual(rendered.data, expected)

    @given(NUMBERS)
    def test_one_number_bytes_are_those_of_the_documented_dict(self, number: PhoneNumber) -> None:
        rendered = object_body("number", number_json(number))
        self.assertEqual(rendered.data, dump_json({"number": documented_number(number)}))

    def test_encoded_json_passes_through_dump_json(self) -> None:
        self.assertEqual(dump_json(EncodedJson(b'{"a":1}')), b'{"a":1}')
        self.assertEqual(dump_json({"é": "\n"}), json.dumps({"é": "\n"}, ensure_ascii=False,
                                                             separators=(",", ":")).encode())


class CreatedNumberTests(ApiTestCase):
    @defer.inlineCallbacks
    def test_created_answer_is_the_stored_number_with_or_without_references(self) -> Any:
        """Numbers pointing at nothing skip the joined read-back; the bytes stay the same."""
        assistant = yield self.assistant(name="Sales bot", business_name="Acme B.V.")
        trunk = yield self.trunk(name="PBX")
        bodies = [
            {"phone_number": "+31850000001"},
            {"phone_number": "+31850000002", "name": "Désk", "assistant_id": None,
             "transfer_trunk_id": None, "is_active": False},
            {"phone_number": "+31850000003", "agent_id": assistant["id"]},
            {"phone_number": "+31850000004", "transfer_trunk_id": trunk["id"]},
        ]
        for body in bodies:
            created = yield self.client.post("/api/v1/numbers", body)
            self.assertEqual(created.status, 201, created.body)
            number_id = created.json()["number"]["id"]
            got = yield self.client.get(f"/api/v1/numbers/{number_id}")
            self.assertEqual(created.body, got.body)


class StoredTimestampTests(ApiTestCase):
    @defer.inlineCallbacks
    def test_timestamps_formatted_by_postgres_match_wire_timestamp(self) -> Any:
        """Sub-millisecond digits are cut, not rounded; the session time zone does not matter."""
        created = yield self.number()
        stored = [
            datetime(2025, 12, 13, 10, 0, 0, 999999, timezone.utc),
            datetime(1999, 12, 31, 23, 59, 59, 500, timezone(timedelta(hours=5, minutes=30))),
            datetime(2024, 2, 29, 0, 0, 0, 0, timezone.utc),
        ]
        for value in stored:
            in_other_zone = yield self.db.runInteraction(_set_times, created["id"], value)
            self.assertEqual(in_other_zone, timestamp(value))
            got = self.assertStatus((yield self.client.get(f"/api/v1/numbers/{created['id']}")), 200)
            self.assertEqual(got["number"]["created_at"], timestamp(value))
            self.assertEqual(got["number"]["updated_at"], timestamp(value + timedelta(microseconds=1)))
            listed = self.assertStatus((yield self.client.get("/api/v1/numbers")), 200)
            self.assertEqual(listed["numbers"], [got["number"]])


@defer.inlineCallbacks
def _set_times(cursor: Any, number_id: str, value: datetime) -> Any:
    """Store ``value`` (and 1 µs later as updated_at); fire the store's own text of it as
    read by a session in a time zone 3.5 hours off UTC."""
    yield cursor.execute("SET LOCAL TimeZone = 'America/St_Johns'")
    yield cursor.execute(
        "UPDATE phone_numbers SET created_at = %s, updated_at = %s WHERE id = %s",
        (value, value + timedelta(microseconds=1), number_id),
    )
    yield cursor.execute(
        f"SELECT {_UTC_TEXT.format('created_at')} FROM phone_numbers WHERE id = %s", (number_id,)
    )
    return cursor.fetchone()[0]

"""
Hypothesis-generated requests against the API in memory: never a 5xx, every error in the
flat error shape, and every answer (status, body, headers) as the OpenAPI document says.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet import defer

from tests.api.schema_strategies import object_strategy
from tests.api.strategies import bodies, json_values
from tests.api.support import ApiTestCase
from voicedock.api.routing import Operation
from voicedock.testing.api_client import ApiResponse


def collect(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """Draw ``count`` examples with hypothesis (the run's profile applies: derandomized in CI)."""
    found: list[Any] = []

    @settings(max_examples=count, database=None)
    @given(strategy)
    def draw(value: Any) -> None:
        found.append(value)

    draw()
    return found


class DescribedResponses:
    """Checks answers against the server's own OpenAPI document."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.components = document["components"]["schemas"]
        self._validators: dict[str, Any] = {}

    def _validator(self, schema: dict[str, Any]) -> Any:
        key = repr(sorted(schema.items()))
        if key not in self._validators:
            self._validators[key] = jsonschema_rs.validator_for(
                {**schema, "components": {"schemas": self.components}})
        return self._validators[key]

    def check(self, test: Any, op: Operation, response: ApiResponse) -> None:
        declared = self.document["paths"][op.path][op.method.lower()]["responses"]
        where = f"{op.method} {op.path} -> {response.status}: {response.body[:300]!r}"
        test.assertLess(response.status, 500, where)
        test.assertIn(str(response.status), declared, where)
        spec = declared[str(response.status)]
        test.assertEqual(response.header("Content-Type"), "application/json", where)
        schema = spec["content"]["application/json"]["schema"]
        test.assertTrue(self._validator(schema).is_valid(response.json()), where)
        for name, header in spec.get("headers", {}).items():
            if "$ref" in header:
                header = self.document["components"]["headers"][header["$ref"].rsplit("/", 1)[1]]
            if header["required"]:
                test.assertIsNotNone(response.header(name), f"{where}: no {name}")


class FuzzTests(ApiTestCase):
    rate_limit_per_minute = 1_000_000

    def setUp(self) -> Any:
        d = super().setUp()
        d.addCallback(lambda _: setattr(self, "described", DescribedResponses(self.server.document)))
        return d

    def operation(self, method: str, path: str) -> Operation:
        return next(op for op in self.server.operations if (op.method, op.path) == (method, path))

    @defer.inlineCallbacks
    def send_all(self, method: str, path: str, concrete_path: str, bodies: list[Any]) -> Any:
        op = self.operation(method, path)
        for body in bodies:
            response = yield self.client.request(method, concrete_path, body)
            self.described.check(self, op, response)

    @defer.inlineCallbacks
    def existing(self) -> Any:
        assistant = yield self.assistant()
        trunk = yield self.trunk(password="pw")
        number = yield self.number(assistant_id=assistant["id"])
        return {"assistants": assistant["id"], "sip-trunks": trunk["id"], "numbers": number["id"]}

    @defer.inlineCallbacks
    def fuzz_resource(self, resource: str, count: int) -> Any:
        ids = yield self.existing()
        op = self.operation("POST", f"/{resource}")
        assert op.body is not None
        create = collect(object_strategy(op.body) | bodies(resource), count)
        update = collect(object_strategy(op.body, partial=True) | bodies(resource), count // 2)
        yield self.send_all("POST", f"/{resource}", f"/api/v1/{resource}", create)
        yield self.send_all("PATCH", f"/{resource}/{{id}}", f"/api/v1/{resource}/{ids[resource]}", update)
        for method, path in (("GET", f"/{resource}"), ("GET", f"/{resource}/{{id}}")):
            concrete = f"/api/v1/{resource}" + (f"/{ids[resource]}" if "{id}" in path else "")
            yield self.send_all(method, path, concrete, [None])

    def test_numbers(self) -> Any:
        return self.fuzz_resource("numbers", 120)

    def test_sip_trunks(self) -> Any:
        return self.fuzz_resource("sip-trunks", 120)

    def test_assistants(self) -> Any:
        return self.fuzz_resource("assistants", 160)

    @defer.inlineCallbacks
    def test_raw_bodies_and_headers(self) -> Any:
        raw = collect(st.tuples(
            st.binary(max_size=64) | json_values().map(lambda v: repr(v).encode()),
            st.sampled_from([None, "application/json", "text/plain", "application/json; charset=latin-1",
                             "application/merge-patch+json", "multipart/form-data",
                             "application/x-www-form-urlencoded"]),
            st.sampled_from(["POST /numbers", "PATCH /numbers/{id}", "POST /sip-trunks", "POST /assistants"]),
        ), 80)
        ids = yield self.existing()
        for data, content_type, target in raw:
            method, path = target.split(" ")
            concrete = "/api/v1" + path.replace("{id}", ids["numbers"])
            headers = {"Content-Type": content_type} if content_type is not None else {}
            response = yield self.client.request(method, concrete, raw=data, headers=headers)
            self.described.check(self, self.operation(method, path), response)

    @defer.inlineCallbacks
    def test_queries(self) -> Any:
        queries = collect(st.dictionaries(
            st.sampled_from(["limit", "offset", "start_date", "end_date", "other"]),
            st.text(max_size=12) | st.integers().map(str) | st.sampled_from(["2025-12-13", "2025-12-13T10:00:00Z"]),
            max_size=3), 60)
        from urllib.parse import urlencode

        for query in queries:
            response = yield self.client.get("/api/v1/usage?" + urlencode(query))
            self.described.check(self, self.operation("GET", "/usage"), response)

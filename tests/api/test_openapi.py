"""``GET /api/v1/openapi.json``: generated from the operations and schemas the server runs."""

from __future__ import annotations

from typing import Any

from twisted.internet import defer

from tests.api.support import ApiTestCase
from voicedock.api.assistant_schema import ASSISTANT_INPUT
from voicedock.api.numbers import NUMBER_INPUT
from voicedock.api.trunks import TRUNK_INPUT


class OpenApiTests(ApiTestCase):
    rate_limit_per_minute = 100

    @defer.inlineCallbacks
    def test_served_without_a_key(self) -> Any:
        response = yield self.client.with_key(None).get("/api/v1/openapi.json")
        document = self.assertStatus(response, 200)
        self.assertEqual(document, self.server.document)
        self.assertEqual(document["openapi"], "3.1.0")
        self.assertEqual(document["servers"], [{"url": "/api/v1"}])

    def test_every_operation_and_only_those(self) -> None:
        document = self.server.document
        described = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
        served = {(op.method, op.path) for op in self.server.operations}
        self.assertEqual(described, served)
        expected = {
            ("GET", "/health"), ("GET", "/openapi.json"), ("GET", "/organizations"), ("GET", "/voices"),
            ("GET", "/usage"),
        }
        for resource in ("numbers", "sip-trunks", "assistants", "agents"):
            expected |= {("GET", f"/{resource}"), ("POST", f"/{resource}"), ("GET", f"/{resource}/{{id}}"),
                         ("PATCH", f"/{resource}/{{id}}"), ("DELETE", f"/{resource}/{{id}}")}
        self.assertEqual(served, expected)
        for path, item in document["paths"].items():
            for method, op in item.items():
                self.assertEqual(op.get("deprecated", False), path.startswith("/agents"), (method, path))
                self.assertEqual(op["security"], [] if path in ("/health", "/openapi.json")
                                 else [{"bearerAuth": []}])

    def test_request_schemas_are_the_validators_schemas(self) -> None:
        schemas = self.server.document["components"]["schemas"]
        for name, schema in (("Number", NUMBER_INPUT), ("SipTrunk", TRUNK_INPUT), ("Assistant", ASSISTANT_INPUT)):
            self.assertEqual(schemas[f"{name}Create"], schema.json_schema())
            self.assertEqual(schemas[f"{name}Update"], schema.json_schema(partial=True))
            self.assertNotIn("required", schemas[f"{name}Update"])
        self.assertIn("required", schemas["NumberCreate"])
        self.assertTrue(schemas["SipTrunkCreate"]["properties"]["password"]["writeOnly"])
        self.assertTrue(schemas["AssistantCreate"]["properties"]["webhook_secret"]["writeOnly"])
        self.assertNotIn("password", schemas["SipTrunk"]["properties"])
        self.assertNotIn("webhook_secret", schemas["AssistantObject"]["properties"])

    def test_only_referenced_components(self) -> None:
        document = self.server.document
        text = repr(document["paths"]) + repr(document["components"]["schemas"])
        for name in document["components"]["schemas"]:
            self.assertIn(f"#/components/schemas/{name}", text, name)

    def test_rate_limit_headers_follow_the_setting(self) -> None:
        on = self.server.document["paths"]["/numbers"]["get"]["responses"]["200"]["headers"]
        self.assertEqual(set(on), {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"})
        from voicedock.api.app import ApiServer

        off = ApiServer(self.make_deps(rate_limit_per_minute=0)).document
        self.assertNotIn("headers", off["paths"]["/numbers"]["get"]["responses"]["200"])
        self.assertEqual(off["components"]["headers"], {})

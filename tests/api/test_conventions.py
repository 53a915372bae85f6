"""Wire conventions every route shares: auth, errors, bodies, rate limits, routing, health."""

from __future__ import annotations

import json
from typing import Any

from twisted.internet import defer, reactor
from twisted.web.client import Agent, readBody
from twisted.web.http_headers import Headers

from tests.api.support import ApiTestCase, eventually, random_id
from voicedock.api.wire import MAX_BODY_BYTES, timestamp
from voicedock.store import api_keys
from voicedock.store.pool import Database


class AuthenticationTests(ApiTestCase):
    @defer.inlineCallbacks
    def test_missing_key(self) -> Any:
        response = yield self.client.with_key(None).get("/api/v1/numbers")
        body = self.assertError(response, 401, "unauthorized")
        self.assertEqual(body["error"], "Unauthorized")
        self.assertIn("Bearer", response.header("WWW-Authenticate"))

    @defer.inlineCallbacks
    def test_unknown_key_and_wrong_scheme(self) -> Any:
        for headers in ({"Authorization": "Bearer vd_live_" + "x" * 32},
                        {"Authorization": "Bearer nonsense"},
                        {"Authorization": f"Basic {self.key}"},
                        {"Authorization": "Bearer"}):
            response = yield self.client.with_key(None).get("/api/v1/numbers", headers=headers)
            self.assertError(response, 401, "unauthorized")

    @defer.inlineCallbacks
    def test_scheme_is_case_insensitive(self) -> Any:
        response = yield self.client.with_key(None).get(
            "/api/v1/numbers", headers={"Authorization": f"bearer {self.key}"})
        self.assertStatus(response, 200)

    @defer.inlineCallbacks
    def test_revoked_key(self) -> Any:
        """Revoked from another process (as `voicedock keys revoke` does): refused at once."""
        key_id, key = yield api_keys.create_key(self.db, "acme", "second")
        client = self.client.with_key(key)
        for _ in range(3):  # cached after the first request
            self.assertStatus((yield client.get("/api/v1/numbers")), 200)
        other_process = Database(reactor, self.db.dsn, size=1)
        yield other_process.start()
        self.addCleanup(other_process.close)
        started = reactor.seconds()
        self.assertTrue((yield api_keys.revoke_key(other_process, key_id)))

        @defer.inlineCallbacks
        def refused() -> Any:
            return (yield client.get("/api/v1/numbers")).status == 401

        self.assertTrue((yield eventually(refused, timeout=5)))
        self.assertLess(reactor.seconds() - started, 2)
        self.assertError((yield client.get("/api/v1/numbers")), 401, "unauthorized")
        self.assertStatus((yield self.client.get("/api/v1/numbers")), 200)

    @defer.inlineCallbacks
    def test_keys_are_cached_by_hash_and_forgotten_on_change(self) -> Any:
        queries: list[str] = []
        original = self.db.runQuery

        def counting(sql: str, params: Any = None) -> Any:
            if "FROM api_keys" in sql:
                queries.append(sql)
            return original(sql, params)

        self.patch(self.db, "runQuery", counting)
        yield self.client.get("/api/v1/voices")  # subscribes to key changes

        @defer.inlineCallbacks
        def cached() -> Any:
            before = len(queries)
            yield self.client.get("/api/v1/voices")
            yield self.client.get("/api/v1/voices")
            return len(queries) == before

        self.assertTrue((yield eventually(cached)))
        self.assertNotIn(self.key.encode(), b"".join(self.server.authenticator._cache))
        yield api_keys.create_key(self.db, "acme", "unrelated")  # any change empties the cache

        @defer.inlineCallbacks
        def asked_again() -> Any:
            before = len(queries)
            yield self.client.get("/api/v1/voices")
            return len(queries) == before + 1

        self.assertTrue((yield eventually(asked_again)))

    @defer.inlineCallbacks
    def test_every_authenticated_operation_refuses_no_key(self) -> Any:
        anonymous = self.client.with_key(None)
        for op in self.server.operations:
            if not op.auth:
                continue
            path = "/api/v1" + op.path.replace("{id}", random_id())
            body = {} if op.body is not None else None
            response = yield anonymous.request(op.method, path, body)
            self.assertError(response, 401, "unauthorized")


class HealthTests(ApiTestCase):
    @defer.inlineCallbacks
    def test_health_needs_no_key_and_hides_version(self) -> Any:
        body = self.assertStatus((yield self.client.with_key(None).get("/api/v1/health")), 200)
        self.assertEqual(body["status"], "ok")
        self.assertEqual(body["checks"]["database"]["status"], "ok")
        self.assertEqual(body["timestamp"], "2025-12-13T10:00:00.000Z")
        self.assertNotIn("version", body)

    @defer.inlineCallbacks
    def test_health_shows_version_to_authenticated_clients(self) -> Any:
        from voicedock import __version__

        body = self.assertStatus((yield self.client.get("/api/v1/health")), 200)
        self.assertEqual(body["version"], __version__)

    @defer.inlineCallbacks
    def test_health_reports_database_down(self) -> Any:
        self.db.close()
        response = yield self.client.with_key(None).get("/api/v1/health")
        body = self.assertStatus(response, 503)
        self.assertEqual(body["status"], "unavailable")

    @defer.inlineCallbacks
    def test_store_down_is_503(self) -> Any:
        self.db.close()
        response = yield self.client.get("/api/v1/numbers")
        self.assertError(response, 503, "service_unavailable")
        self.assertEqual(response.header("Retry-After"), "5")


class RoutingTests(ApiTestCase):
    @defer.inlineCallbacks
    def test_unknown_path_is_json_404(self) -> Any:
        for path in ("/api/v1/nothing", "/", "/api/v2/numbers", "/api/v1/numbers/a/b"):
            response = yield self.client.get(path)
            self.assertError(response, 404, "not_found")
            self.assertEqual(response.header("Content-Type"), "application/json")

    @defer.inlineCallbacks
    def test_wrong_method_is_json_405_with_allow(self) -> Any:
        cases = [("PUT", "/api/v1/numbers", "GET, HEAD, POST"),
                 ("POST", "/api/v1/numbers/" + random_id(), "DELETE, GET, HEAD, PATCH"),
                 ("DELETE", "/api/v1/sip-trunks", "GET, HEAD, POST"),
                 ("POST", "/api/v1/organizations", "GET, HEAD"),
                 ("PATCH", "/api/v1/health", "GET, HEAD")]
        for method, path, allow in cases:
            response = yield self.client.request(method, path)
            self.assertError(response, 405, "method_not_allowed")
            self.assertEqual(response.header("Allow"), allow)

    @defer.inlineCallbacks
    def test_trailing_slash(self) -> Any:
        self.assertStatus((yield self.client.get("/api/v1/numbers/")), 200)

    @defer.inlineCallbacks
    def test_id_that_is_not_a_uuid_is_404(self) -> Any:
        for path in ("/api/v1/numbers/NUMBER_ID", "/api/v1/sip-trunks/trunk-uuid-here",
                     "/api/v1/assistants/1"):
            self.assertError((yield self.client.get(path)), 404, "not_found")
            self.assertError((yield self.client.delete(path)), 404, "not_found")


class BodyTests(ApiTestCase):
    @defer.inlineCallbacks
    def test_malformed_json(self) -> Any:
        for raw in (b"{", b'{"name": }', b"{'name': 'x'}", b'{"a": NaN}', b'{"a": Infinity}',
                    b"\xff\xfe", b"[" * 100_000):
            response = yield self.client.post(
                "/api/v1/assistants", raw=raw, headers={"Content-Type": "application/json"})
            self.assertError(response, 400, "invalid_request")

    @defer.inlineCallbacks
    def test_body_must_be_an_object(self) -> Any:
        for value in ([], "x", 1, None, True):
            response = yield self.client.post("/api/v1/numbers", raw=json.dumps(value).encode())
            self.assertError(response, 400, "invalid_request")

    @defer.inlineCallbacks
    def test_empty_body(self) -> Any:
        response = yield self.client.post("/api/v1/numbers")
        self.assertError(response, 400, "invalid_request")

    @defer.inlineCallbacks
    def test_unsupported_media_type_only_with_a_body(self) -> Any:
        response = yield self.client.post(
            "/api/v1/numbers", raw=b"phone_number=+31850835037",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertError(response, 415, "unsupported_media_type")
        response = yield self.client.post(
            "/api/v1/numbers", raw=b"", headers={"Content-Type": "text/plain"})
        self.assertError(response, 400, "invalid_request")

    @defer.inlineCallbacks
    def test_json_without_content_type_and_with_charset(self) -> Any:
        body = json.dumps({"phone_number": "+31850835037"}).encode()
        self.assertStatus((yield self.client.post("/api/v1/numbers", raw=body)), 201)
        response = yield self.client.post(
            "/api/v1/numbers", raw=json.dumps({"phone_number": "+31850835038"}).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"})
        self.assertStatus(response, 201)

    @defer.inlineCallbacks
    def test_strings_postgresql_cannot_store(self) -> Any:
        for raw in (b'{"name": "a\\u0000b"}', b'{"name": "\\ud800"}',
                    b'{"name": "x", "metadata": {"k\\u0000": 1}}'):
            response = yield self.client.post("/api/v1/assistants", raw=raw)
            self.assertError(response, 400, "invalid_request")

    @defer.inlineCallbacks
    def test_oversized_body_is_413(self) -> Any:
        raw = b'{"name": "' + b"a" * MAX_BODY_BYTES + b'"}'
        response = yield self.client.post("/api/v1/assistants", raw=raw)
        self.assertError(response, 413, "payload_too_large")
        # Not JSON at all, and still refused for its size first.
        response = yield self.client.post("/api/v1/assistants", raw=b"x" * (MAX_BODY_BYTES + 1),
                                          headers={"Content-Type": "text/plain"})
        self.assertError(response, 413, "payload_too_large")

    @defer.inlineCallbacks
    def test_site_drops_oversized_bodies_while_receiving(self) -> Any:
        """Over real TCP: the site's request class stops keeping the body past 1 MiB."""
        site = self.server.site()
        port = reactor.listenTCP(0, site, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        url = f"http://127.0.0.1:{port.getHost().port}/api/v1/assistants".encode()
        seen: list[Any] = []
        original = site.requestFactory.handleContentChunk

        def spy(request: Any, data: bytes) -> None:
            original(request, data)
            seen.append(request.content.tell())

        self.patch(site.requestFactory, "handleContentChunk", spy)
        from twisted.web.client import FileBodyProducer
        from io import BytesIO

        agent = Agent(reactor)
        headers = Headers({b"Authorization": [f"Bearer {self.key}".encode()],
                           b"Content-Type": [b"application/json"]})
        body = FileBodyProducer(BytesIO(b"[" + b"1," * (MAX_BODY_BYTES) + b"1]"))
        response = yield agent.request(b"POST", url, headers, body)
        data = json.loads((yield readBody(response)))
        self.assertEqual(response.code, 413)
        self.assertEqual(data["code"], "payload_too_large")
        self.assertEqual(max(seen), 0)

    @defer.inlineCallbacks
    def test_unknown_field_named(self) -> Any:
        response = yield self.client.post("/api/v1/numbers", {"phone_number": "+31850835037", "colour": "red"})
        body = self.assertError(response, 400, "invalid_request", "colour")
        self.assertIn("colour", body["message"])

    @defer.inlineCallbacks
    def test_read_only_fields_echoed_back_are_ignored(self) -> Any:
        number = yield self.number()
        response = yield self.client.patch(f"/api/v1/numbers/{number['id']}", dict(number, name="New"))
        body = self.assertStatus(response, 200)["number"]
        self.assertEqual(body["id"], number["id"])
        self.assertEqual(body["name"], "New")
        self.assertEqual(body["created_at"], number["created_at"])


class RateLimitTests(ApiTestCase):
    rate_limit_per_minute = 3

    @defer.inlineCallbacks
    def test_headers_and_429_on_the_injected_clock(self) -> Any:
        remaining = []
        for _ in range(3):
            response = yield self.client.get("/api/v1/numbers")
            self.assertStatus(response, 200)
            self.assertEqual(response.header("X-RateLimit-Limit"), "3")
            self.assertEqual(response.header("X-RateLimit-Reset"), str(int(self.clock.seconds()) + 60))
            remaining.append(response.header("X-RateLimit-Remaining"))
        self.assertEqual(remaining, ["2", "1", "0"])
        self.clock.advance(15)
        response = yield self.client.get("/api/v1/numbers")
        body = self.assertError(response, 429, "rate_limit_exceeded")
        self.assertEqual(response.header("Retry-After"), "45")
        self.assertEqual(body["retry_after"], 45)
        self.assertEqual(response.header("X-RateLimit-Remaining"), "0")
        self.clock.advance(45)
        response = yield self.client.get("/api/v1/numbers")
        self.assertStatus(response, 200)
        self.assertEqual(response.header("X-RateLimit-Remaining"), "2")

    @defer.inlineCallbacks
    def test_limits_are_per_key(self) -> Any:
        for _ in range(3):
            yield self.client.get("/api/v1/numbers")
        self.assertEqual((yield self.client.get("/api/v1/numbers")).status, 429)
        _, key = yield api_keys.create_key(self.db, "acme", "another")
        self.assertStatus((yield self.client.with_key(key).get("/api/v1/numbers")), 200)

    @defer.inlineCallbacks
    def test_health_is_not_counted(self) -> Any:
        for _ in range(5):
            response = yield self.client.with_key(None).get("/api/v1/health")
            self.assertStatus(response, 200)
            self.assertIsNone(response.header("X-RateLimit-Limit"))


class RateLimitOffTests(ApiTestCase):
    rate_limit_per_minute = 0

    @defer.inlineCallbacks
    def test_zero_turns_the_limit_off(self) -> Any:
        for _ in range(150):
            response = yield self.client.get("/api/v1/voices")
            self.assertStatus(response, 200)
        self.assertIsNone(response.header("X-RateLimit-Limit"))


class TimestampTests(ApiTestCase):
    def test_format(self) -> None:
        from datetime import datetime, timedelta, timezone

        value = datetime(2025, 12, 13, 11, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
        self.assertEqual(timestamp(value), "2025-12-13T10:00:00.123Z")
        self.assertIsNone(timestamp(None))


class ClientTests(ApiTestCase):
    @defer.inlineCallbacks
    def test_concurrent_requests(self) -> Any:
        responses = yield defer.gatherResults([
            self.client.post("/api/v1/numbers", {"phone_number": f"+3185083{i:04d}"}) for i in range(20)
        ])
        self.assertEqual({r.status for r in responses}, {201})
        listed = self.assertStatus((yield self.client.get("/api/v1/numbers")), 200)
        self.assertEqual(len(listed["numbers"]), 20)


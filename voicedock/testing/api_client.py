# -*- test-case-name: tests.api.test_conventions -*-
"""
An in-memory client for the VoiceDock API: real HTTP requests and responses (Twisted's
HTTP server and client, ``treq.testing``), without a socket. For tests and for users
who script against an ``ApiServer`` in-process.

    client = ApiClient(ApiServer(deps).resource(), key)
    response = yield client.post("/api/v1/numbers", {"phone_number": "+31850835037"})
    assert response.status == 201, response.json()

Handlers answer asynchronously (they wait for the database on the real reactor), so each
request pumps the in-memory connection until its response is complete, yielding to the
reactor between pumps.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

import attrs
from treq.testing import StubTreq
from twisted.internet import defer, task
from twisted.python.failure import Failure

from voicedock.api.site import ApiRequest

BASE = "http://voicedock.invalid"


@attrs.frozen
class ApiResponse:
    """A complete response: status, headers (lower-case names) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class ApiClient:
    """Sends requests to an API resource in memory, with a bearer key by default."""

    def __init__(self, resource: Any, key: str | None = None, reactor: Any = None,
                 max_turns: int = 100_000) -> None:
        if reactor is None:
            from twisted.internet import reactor as default_reactor

            reactor = default_reactor
        self.reactor = reactor
        self.stub = StubTreq(resource)
        # Serve with the API's own request class, as ApiServer.site() does (treq's stub
        # offers no public way to choose it).
        server_factory = getattr(self.stub._agent, "_serverFactory", None)
        if server_factory is not None:
            server_factory.requestFactory = ApiRequest
        self.key = key
        self.max_turns = max_turns

    def with_key(self, key: str | None) -> "ApiClient":
        other = ApiClient.__new__(ApiClient)
        other.__dict__.update(self.__dict__)
        other.key = key
        return other

    @defer.inlineCallbacks
    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """
        Send ``body`` as JSON (or ``raw`` bytes as they are); fires with an
        :class:`ApiResponse`.
        """
        sent: dict[bytes, list[bytes]] = {}
        if self.key is not None:
            sent[b"Authorization"] = [f"Bearer {self.key}".encode()]
        data = raw
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            sent[b"Content-Type"] = [b"application/json"]
        for name, value in (headers or {}).items():
            sent[name.encode("latin-1")] = [value.encode("latin-1")]
        d = self.stub.request(method, BASE + path, headers=sent, data=data)
        response = yield self._pump(d)
        content = yield self._pump(response.content())
        found = {
            k.decode("latin-1").lower(): b", ".join(v).decode("latin-1")
            for k, v in response.headers.getAllRawHeaders()
        }
        return ApiResponse(response.code, found, content)

    @defer.inlineCallbacks
    def _pump(self, d: defer.Deferred[Any]) -> Any:
        done: list[Any] = []
        d.addBoth(done.append)
        for _ in range(self.max_turns):
            self.stub.flush()
            if done:
                break
            yield task.deferLater(self.reactor, 0, lambda: None)
        else:
            raise RuntimeError("the API did not answer")
        result = done[0]
        if isinstance(result, Failure):
            result.raiseException()
        return result

    def get(self, path: str, **kw: Any) -> defer.Deferred[ApiResponse]:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> defer.Deferred[ApiResponse]:
        return self.request("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> defer.Deferred[ApiResponse]:
        return self.request("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> defer.Deferred[ApiResponse]:
        return self.request("DELETE", path, **kw)

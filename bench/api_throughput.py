"""
REST API throughput: requests per second of ``GET /api/v1/numbers`` (an organization with
100 numbers) and ``POST /api/v1/numbers`` (a new number each time), next to a bare Klein
route on the same machine in the same run, with the ratio ours / bare.

    .venv/bin/python bench/api_throughput.py            # about 5 s per figure
    .venv/bin/python bench/api_throughput.py --quick    # a few seconds in all (CI smoke run)

The servers (our API with its PostgreSQL store, and a bare Klein app answering a small
JSON object from memory) run in one child process on one reactor; the load comes from
this process over keep-alive HTTP/1.1 connections (an asyncio client), so the client's
CPU does not count against the servers. The database is ``VOICEDOCK_TEST_DSN`` (a new
database in it, dropped afterwards) or an embedded server started for the run. Our API
runs its whole pipeline: key check, rate limit (set high enough never to refuse), body
parsing and validation, the SQL, JSON rendering.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NUMBERS_LISTED = 100


# -- the servers (child process) ------------------------------------------------------------


def serve(dsn: str) -> None:
    """Run both servers until SIGTERM; print their ports and keys as one JSON line."""
    from klein import Klein
    from twisted.internet import defer, reactor
    from twisted.web.server import Site

    from voicedock.api.app import ApiDependencies, ApiServer
    from voicedock.secretbox import SecretBox
    from voicedock.store import api_keys, numbers
    from voicedock.store.migrate import migrate
    from voicedock.store.pool import Database

    bare = Klein()

    @bare.route("/bare", methods=["GET"])
    def bare_get(request: Any) -> bytes:
        request.setHeader(b"Content-Type", b"application/json")
        return b'{"ok":true}'

    @bare.route("/bare", methods=["POST"])
    def bare_post(request: Any) -> bytes:
        request.setHeader(b"Content-Type", b"application/json")
        return json.dumps({"echo": json.loads(request.content.read())}).encode()

    @defer.inlineCallbacks
    def start() -> Any:
        db = Database(reactor, dsn, size=4)
        yield db.start()
        yield migrate(db)
        _, list_key = yield api_keys.create_key(db, "listing")
        _, post_key = yield api_keys.create_key(db, "posting")
        principal = yield api_keys.authenticate(db, list_key)
        for i in range(NUMBERS_LISTED):
            yield numbers.create_number(db, principal.organization_id,
                                        {"phone_number": f"+3120{i:07d}", "name": f"Line {i}"})
        api = ApiServer(ApiDependencies(db=db, secretbox=SecretBox(os.urandom(32)), clock=reactor,
                                        rate_limit_per_minute=10**9))
        api_port = reactor.listenTCP(0, api.site(), interface="127.0.0.1")
        bare_port = reactor.listenTCP(0, Site(bare.resource()), interface="127.0.0.1")
        print(json.dumps({"api": api_port.getHost().port, "bare": bare_port.getHost().port,
                          "list_key": list_key, "post_key": post_key}), flush=True)

    def failed(failure: Any) -> None:
        print(json.dumps({"error": failure.getTraceback()}), flush=True)
        reactor.stop()

    reactor.callWhenRunning(lambda: start().addErrback(failed))
    reactor.run()


# -- the load (this process) ----------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("server closed the connection")
    status = int(status_line.split()[1])
    length, chunked = None, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, await reader.readexactly(length or 0)
    body = b""
    while True:
        size = int((await reader.readline()).split(b";")[0], 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return status, body
        body += chunk[:-2]


async def _worker(port: int, make: Callable[[], bytes], expect: int, deadline: float,
                  counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            writer.write(make())
            status, body = await _read_response(reader)
            if status != expect:
                raise RuntimeError(f"expected {expect}, got {status}: {body[:200]!r}")
            counts[0] += 1
    finally:
        writer.close()


async def _measure(port: int, make: Callable[[], bytes], expect: int, seconds: float,
                   connections: int) -> float:
    counts = [0]
    # Warm-up: a short run whose count is thrown away.
    await asyncio.gather(*[_worker(port, make, expect, time.perf_counter() + min(0.5, seconds / 4), [0])
                           for _ in range(connections)])
    start = time.perf_counter()
    await asyncio.gather(*[_worker(port, make, expect, start + seconds, counts) for _ in range(connections)])
    return counts[0] / (time.perf_counter() - start)


def _request(method: str, path: str, key: str | None = None, body: bytes | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if key:
        lines.append(f"Authorization: Bearer {key}")
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run (CI)")
    parser.add_argument("--seconds", type=float, default=5.0, help="measurement time per figure")
    parser.add_argument("--connections", type=int, default=8, help="concurrent keep-alive connections")
    parser.add_argument("--serve", metavar="DSN", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    seconds = 0.5 if args.quick else args.seconds
    connections = 4 if args.quick else args.connections

    from voicedock.testing.postgres import create_database, drop_database

    name, dsn = create_database("vdbench")
    child = subprocess.Popen([sys.executable, __file__, "--serve", dsn], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        info = json.loads(child.stdout.readline() or '{"error": "the server process exited"}')
        if "error" in info:
            raise RuntimeError(info["error"])
        api, bare = info["api"], info["bare"]
        serial = iter(range(10**9))

        def post_number() -> bytes:
            body = json.dumps({"phone_number": f"+3185{next(serial):08d}", "name": "Bench line"}).encode()
            return _request("POST", "/api/v1/numbers", info["post_key"], body)

        get_numbers = _request("GET", "/api/v1/numbers", info["list_key"])
        get_bare = _request("GET", "/bare")
        post_bare = _request("POST", "/bare", body=json.dumps({"phone_number": "+31850000000",
                                                               "name": "Bench line"}).encode())

        async def run() -> dict[str, float]:
            return {
                "bare GET": await _measure(bare, lambda: get_bare, 200, seconds, connections),
                "GET /api/v1/numbers": await _measure(api, lambda: get_numbers, 200, seconds, connections),
                "bare POST": await _measure(bare, lambda: post_bare, 200, seconds, connections),
                "POST /api/v1/numbers": await _measure(api, post_number, 201, seconds, connections),
            }

        figures = asyncio.run(asyncio.wait_for(run(), timeout=60 + 8 * seconds))
    finally:
        child.terminate()
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        drop_database(name)

    print(f"API throughput, {connections} keep-alive connections, {seconds:g} s per figure "
          f"({os.cpu_count()} CPUs)")
    for label, rate in figures.items():
        print(f"  {label:<24} {rate:9.0f} requests/s")
    print(f"  GET  ratio ours/bare: {figures['GET /api/v1/numbers'] / figures['bare GET']:.3f}"
          f"   ({NUMBERS_LISTED} numbers listed per request)")
    print(f"  POST ratio ours/bare: {figures['POST /api/v1/numbers'] / figures['bare POST']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

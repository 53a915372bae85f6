# -*- test-case-name: tests.api.test_conventions -*-
"""
The HTTP site for the API: a request class that stops buffering a body once it passes
1 MiB (the pipeline then answers 413), so an oversized upload costs no memory or disk, and
that leaves form bodies alone (Twisted would otherwise parse ``multipart/form-data`` and
answer a malformed one with a bare 400 before the API could say 415 in JSON), and that
sends no ``Server`` header naming Twisted's version.
"""

from __future__ import annotations

from typing import Any

from twisted.web import server

from voicedock.api.wire import MAX_BODY_BYTES


class ApiRequest(server.Request):
    """A request that keeps at most :data:`MAX_BODY_BYTES` of its body."""

    voicedock_body_too_large = False

    def __init__(self, channel: Any, *args: Any, **kwargs: Any) -> None:
        kwargs["parsePOSTFormSubmission"] = False
        super().__init__(channel, *args, **kwargs)

    def write(self, data: bytes) -> None:
        if not self.startedWriting:
            # Twisted adds "Server: TwistedWeb/<version>"; the API tells its version only
            # to authenticated clients (health without version), so it sends no Server header.
            self.responseHeaders.removeHeader(b"server")
        super().write(data)

    def gotLength(self, length: int | None) -> None:
        if length is not None and length > MAX_BODY_BYTES:
            self.voicedock_body_too_large = True
            length = 0
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:
        if self.voicedock_body_too_large:
            return
        if self.content is not None and self.content.tell() + len(data) > MAX_BODY_BYTES:
            self.voicedock_body_too_large = True
            self.content.seek(0)
            self.content.truncate()
            return
        super().handleContentChunk(data)


def make_site(resource: Any) -> server.Site:
    """A quiet site (no tracebacks to clients) serving ``resource`` with :class:`ApiRequest`."""
    site = server.Site(resource, requestFactory=ApiRequest)
    site.displayTracebacks = False
    site.noisy = False
    return site

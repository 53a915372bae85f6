# -*- test-case-name: tests.api.test_conventions -*-
"""What the API needs from the process, passed in by ``voicedock.service``."""

from __future__ import annotations

from pathlib import Path

import attrs
from twisted.internet.interfaces import IReactorTime

from voicedock.secretbox import SecretBox
from voicedock.store.number_directory import NumberDirectory
from voicedock.store.pool import Database


@attrs.frozen
class ApiDependencies:
    """
    The store, the secret box, settings and a clock. ``number_directory`` (optional) is
    told at once about every routing change the API makes; ``voices_dir`` (optional) is
    where ``GET /voices`` looks for Piper voices (``<data-dir>/voices``).
    """

    db: Database
    secretbox: SecretBox
    clock: IReactorTime
    rate_limit_per_minute: int = 100
    number_directory: NumberDirectory | None = None
    voices_dir: Path | None = None

    def routing_changed(self) -> None:
        if self.number_directory is not None:
            self.number_directory.invalidate()

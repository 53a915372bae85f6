# -*- test-case-name: tests.store.test_secretbox -*-
"""Server-wide settings kept in the database (e.g. the secret key's fingerprint)."""

from __future__ import annotations

from typing import Any

from twisted.internet import defer

from voicedock.secretbox import SecretKeyError
from voicedock.store.pool import Database

FINGERPRINT = "secret_key_fingerprint"


def check_key_fingerprint(db: Database, fingerprint: str) -> defer.Deferred[bool]:
    """
    Record the key's fingerprint on first start; afterwards fail with SecretKeyError when a
    different key is used, since nothing stored could be decrypted with it. Fires True when
    the fingerprint was recorded now.
    """

    @defer.inlineCallbacks
    def interaction(cursor: Any) -> Any:
        yield cursor.execute(
            "INSERT INTO server_settings (key, value) VALUES (%s, %s) ON CONFLICT (key) DO NOTHING"
            " RETURNING value",
            (FINGERPRINT, fingerprint),
        )
        if cursor.fetchone():
            return True
        yield cursor.execute("SELECT value FROM server_settings WHERE key = %s", (FINGERPRINT,))
        stored = cursor.fetchone()[0]
        if stored != fingerprint:
            raise SecretKeyError(
                f"the secret key (fingerprint {fingerprint}) is not the key this database was "
                f"set up with (fingerprint {stored}); secrets stored with the old key could not "
                "be decrypted. Start with the original key (VOICEDOCK_SECRET_KEY, [secrets] key "
                "or the key file)"
            )
        return False

    return db.runInteraction(interaction)

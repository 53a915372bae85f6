# -*- test-case-name: tests.store.test_secretbox -*-
"""
Secrets at rest: trunk passwords now, provider keys and webhook secrets later.

Each secret is sealed with PyNaCl's secret-key authenticated encryption
(``nacl.secret.Aead``: XChaCha20-Poly1305 with a random 24-byte nonce) under the server's
32-byte key, with the owning row's identity as associated data, so a ciphertext copied to
another row or column does not decrypt. The key lives outside the database: from
``VOICEDOCK_SECRET_KEY``, the config file, or ``<data-dir>/secret.key`` (generated on first
start, mode 0600). The database records only the key's fingerprint, and the server refuses
to start with a key whose fingerprint differs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

import nacl.exceptions
import nacl.secret
import nacl.utils

KEY_SIZE = nacl.secret.Aead.KEY_SIZE


class SecretKeyError(Exception):
    """The secret key is missing, malformed or not the one the database was set up with."""


class SecretDecryptionError(Exception):
    """A stored secret does not decrypt under this key and row (tampered or moved)."""


def parse_key(text: str, origin: str) -> bytes:
    """A key written as 64 hex digits or as (url-safe) base64 of 32 bytes."""
    text = text.strip()
    candidates = []
    if len(text) == 2 * KEY_SIZE:
        try:
            candidates.append(bytes.fromhex(text))
        except ValueError:
            pass
    for decode in (base64.urlsafe_b64decode, base64.b64decode):
        try:
            candidates.append(decode(text + "=" * (-len(text) % 4)))
        except (binascii.Error, ValueError):
            pass
    for key in candidates:
        if len(key) == KEY_SIZE:
            return key
    raise SecretKeyError(
        f"{origin}: the secret key must be 32 bytes written as 64 hex digits or base64"
    )


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii")


def fingerprint(key: bytes) -> str:
    """A public identifier of the key (BLAKE2b keyed with the key over a fixed label)."""
    return hashlib.blake2b(b"voicedock secret key fingerprint", key=key, digest_size=16).hexdigest()


def load_or_create_key(
    environ_value: str | None, config_value: str | None, key_file: Path | None, default_file: Path
) -> tuple[bytes, str]:
    """
    The server key and where it came from: the environment, the config, a key file, or a
    new key written to ``default_file`` (0600) on first start.
    """
    if environ_value:
        return parse_key(environ_value, "VOICEDOCK_SECRET_KEY"), "VOICEDOCK_SECRET_KEY"
    if config_value:
        return parse_key(config_value, "[secrets] key"), "the config file"
    path = key_file or default_file
    if path.exists():
        return parse_key(path.read_text(), str(path)), str(path)
    if key_file is not None:
        raise SecretKeyError(f"[secrets] key_file {key_file} does not exist")
    key = nacl.utils.random(KEY_SIZE)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(encode_key(key) + "\n")
    return key, f"{path} (generated)"


class SecretBox:
    """Seals and opens secrets bound to the row and column they belong to."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_SIZE:
            raise SecretKeyError("the secret key must be 32 bytes")
        self._aead = nacl.secret.Aead(key)
        self.fingerprint = fingerprint(key)

    def __repr__(self) -> str:
        return f"<SecretBox fingerprint={self.fingerprint}>"

    @staticmethod
    def _context(table: str, row_id: object, column: str) -> bytes:
        return f"voicedock:{table}:{row_id}:{column}".encode()

    def seal(self, plaintext: str, table: str, row_id: object, column: str) -> bytes:
        return bytes(self._aead.encrypt(plaintext.encode("utf-8"), self._context(table, row_id, column)))

    def open(self, ciphertext: bytes, table: str, row_id: object, column: str) -> str:
        try:
            return self._aead.decrypt(bytes(ciphertext), self._context(table, row_id, column)).decode("utf-8")
        except nacl.exceptions.CryptoError:
            raise SecretDecryptionError(f"the stored {table}.{column} of {row_id} does not decrypt")

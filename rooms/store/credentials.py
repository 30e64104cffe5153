"""Staff credentials: made and checked here, stored only as hashes.

A passphrase a person chose is hashed with Argon2id (argon2-cffi's defaults, the RFC 9106 low-
memory profile), slow on purpose because people choose guessable things. A generated key has 256
bits of randomness, so a fast SHA-256 is enough and a sign-in costs nothing; its prefix `sck_`
lets secret scanners and people recognise one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["MIN_PASSPHRASE_CHARS", "Credential", "hash_passphrase", "new_key", "verify"]

MIN_PASSPHRASE_CHARS: Final = 12
_KEY_PREFIX: Final = "sck_"
_HASHER: Final = PasswordHasher()

Credential = Literal["passphrase", "key"]


def hash_passphrase(passphrase: str) -> str:
    """The Argon2id hash of a passphrase (at least `MIN_PASSPHRASE_CHARS` characters).

    Raises:
        ValueError: the passphrase is too short.
    """
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise ValueError(f"passphrase: at least {MIN_PASSPHRASE_CHARS} characters")
    return _HASHER.hash(passphrase)


def new_key() -> tuple[str, str]:
    """A fresh key and the hash to store: `(key, hash)`."""
    key = _KEY_PREFIX + secrets.token_urlsafe(32)
    return key, _sha256(key)


def verify(kind: Credential, stored_hash: str, secret: str) -> bool:
    """Whether `secret` matches the stored hash of a credential of this kind."""
    if kind == "key":
        return hmac.compare_digest(stored_hash, _sha256(secret))
    try:
        return _HASHER.verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def _sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()

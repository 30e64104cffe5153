"""Network marks: what a ban remembers of a person's network, never the address itself.

A mark is a keyed hash of the client address, keyed with the node secret, so a mark in a ban
record cannot be matched against addresses by anyone who does not also hold the secret. Without
a secret (one embedded node) the key is random per process, never a public constant: such marks
match nothing after a restart (docs/privacy.md).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from server.settings import Settings

__all__ = ["NetworkMarks"]


class NetworkMarks:
    """The marks of a client address on this node (one per node)."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.ban_network_marks
        secret = settings.secret.encode() if settings.secret else secrets.token_bytes(32)
        self._key = hashlib.sha256(b"sharecircle.network-mark:" + secret).digest()

    def of(self, address: str | None) -> frozenset[str]:
        if not self.enabled or not address:
            return frozenset()
        digest = hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()
        return frozenset({f"n:{digest[:24]}"})

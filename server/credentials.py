"""The node's two secrets: what makes one real, where they are read from, how new ones are made.

`SHARECIRCLE_SECRET` signs session and invite tokens; `SHARECIRCLE_ADMIN_TOKEN` opens the admin
API. With `change-me`, a facilitator invite could be forged offline, so both are checked
(`problem`), and refused with a message that names the setting:

- not a known placeholder: equal to one of `PLACEHOLDERS`, or holding one of
  `PLACEHOLDER_WORDS`, compared in lower case with everything but letters and digits removed;
- at least `MIN_KEY_BYTES` (32) bytes of key material, measured on what the value encodes:
  hex (two characters a byte, as `openssl rand -hex 32`), else base64 in either alphabet (four
  characters for three bytes, as `openssl rand -base64 32` or `secrets.token_urlsafe(32)`),
  else any other text at face value (its UTF-8 bytes);
- at least `MIN_DISTINCT_BYTES` (16) distinct byte values in that key material (32 random bytes
  have about 30; `aaaa…` or a repeated short pattern has a handful).

This is a floor against placeholders, short values and patterns, not a proof of randomness:
make secrets with `sharecircle secrets` (`new_secret`), which draws 32 bytes from `secrets`.

Secrets come from the environment or from a file (`SHARECIRCLE_SECRET_FILE`,
`SHARECIRCLE_ADMIN_TOKEN_FILE`, as Docker and systemd credentials provide them), never from a
command-line argument, which `ps` shows to every user of the machine. An admin token that is
not given is made at start and written to a file of mode 0600 (`write_private`), never
printed: journald and container logs keep whatever a node prints.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from pathlib import Path
from typing import Final

__all__ = [
    "MIN_DISTINCT_BYTES",
    "MIN_KEY_BYTES",
    "PLACEHOLDERS",
    "PLACEHOLDER_WORDS",
    "default_admin_token_path",
    "key_material",
    "new_secret",
    "problem",
    "read_secret_file",
    "write_private",
]

MIN_KEY_BYTES: Final = 32
MIN_DISTINCT_BYTES: Final = 16

PLACEHOLDERS: Final = frozenset(
    {"changeme", "changemetoo", "secret", "password", "admin", "token", "test", "none", "null"}
)
"""Whole values (normalised) that example files and tutorials ship."""
PLACEHOLDER_WORDS: Final = (
    "changeme",
    "replaceme",
    "yoursecret",
    "yourtoken",
    "placeholder",
    "example",
    "generateme",
    "insertsecret",
)
"""Words that mark a value as an example wherever they appear (seven letters or more, so that
random base64 practically never holds one by chance; `new_secret` draws again if it does)."""

_HEX: Final = re.compile(r"[0-9a-fA-F]+")
_BASE64: Final = re.compile(r"[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+={0,2}")


def key_material(value: str) -> bytes:
    """The bytes `value` encodes: hex, else base64 (either alphabet), else its UTF-8 bytes."""
    text = value.strip()
    if _HEX.fullmatch(text) and len(text) % 2 == 0:
        return bytes.fromhex(text)
    if _BASE64.fullmatch(text):
        padded = text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4)
        try:
            return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            pass
    return text.encode()


def problem(value: str) -> str | None:
    """Why `value` is not a real secret (a sentence to follow the setting's name), or None."""
    normal = re.sub(r"[^a-z0-9]", "", value.lower())
    if normal in PLACEHOLDERS or any(word in normal for word in PLACEHOLDER_WORDS):
        return "is a known placeholder; make a real one with `sharecircle secrets`"
    material = key_material(value)
    if len(material) < MIN_KEY_BYTES:
        return (
            f"holds {len(material)} bytes of key material, at least {MIN_KEY_BYTES} are needed; "
            "make one with `sharecircle secrets` (or `openssl rand -hex 32`)"
        )
    if len(set(material)) < MIN_DISTINCT_BYTES:
        return "is too regular to be random; make one with `sharecircle secrets`"
    return None


def new_secret() -> str:
    """32 random bytes, URL-safe base64 (43 characters), that `problem` accepts."""
    while True:
        value = secrets.token_urlsafe(MIN_KEY_BYTES)
        if problem(value) is None:
            return value


def default_admin_token_path() -> Path:
    """Where a generated admin token goes when `admin_token_file` is unset.

    systemd's `$STATE_DIRECTORY` when the unit has one, else `$XDG_STATE_HOME/sharecircle`, else
    `~/.local/state/sharecircle` (the XDG base directory default).
    """
    state = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
    if state:
        return Path(state) / "admin-token"
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg) / "sharecircle" / "admin-token"


def read_secret_file(path: Path) -> str:
    """The secret in `path` (surrounding whitespace dropped). Raises OSError or ValueError."""
    value = path.read_text(encoding="utf-8").strip()
    if not value:
        raise ValueError(f"{path} is empty")
    return value


def write_private(path: Path, text: str) -> None:
    """Create `path` (and its directory, mode 0700) holding `text`, mode 0600; never overwrite.

    Raises:
        OSError: it exists already, or cannot be made.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, text.encode())
    finally:
        os.close(fd)

"""Where the admin token comes from, for `serve` and for the CLI commands that use it.

One rule for both: `SHARECIRCLE_ADMIN_TOKEN`, else the file `admin_token_file` (default
`server.credentials.default_admin_token_path()`). `serve` with neither makes a token and writes
it to that file (mode 0600), and says where, never what: journald and container logs keep
whatever a node prints. `rooms` and `invite` on the same machine then find it there.
"""

from __future__ import annotations

import os
from pathlib import Path

from server.credentials import (
    default_admin_token_path,
    new_secret,
    problem,
    read_secret_file,
    write_private,
)
from server.settings import Settings, SettingsError

__all__ = ["ensure_admin_token", "token_for_cli"]


def ensure_admin_token(settings: Settings) -> tuple[Settings, Path | None]:
    """`settings` with an admin token, and the file it was read from or written to (if any).

    Raises:
        SettingsError: the file holds no usable token, or a new one cannot be written there.
    """
    if settings.admin_token is not None:
        return settings, None  # given, or read from an explicit `admin_token_file` already
    path = Path(settings.admin_token_file) if settings.admin_token_file else None
    path = path or default_admin_token_path()
    if path.exists():
        token = _read_checked(path)
    else:
        token = new_secret()
        try:
            write_private(path, token)
        except OSError as exc:
            raise SettingsError(
                f"admin_token: none is set, and a new one cannot be written to {path} "
                f"({exc.strerror}); set SHARECIRCLE_ADMIN_TOKEN_FILE to a writable path, or "
                "give one with SHARECIRCLE_ADMIN_TOKEN (see `sharecircle secrets`)"
            ) from None
    return settings.model_copy(update={"admin_token": token}), path


def token_for_cli(file_arg: str | None) -> str:
    """The token `rooms` and `invite` send: the environment, `--admin-token-file`,
    `SHARECIRCLE_ADMIN_TOKEN_FILE`, or the file `serve` writes by default.

    Raises:
        SettingsError: none of those holds a token.
    """
    given = os.environ.get("SHARECIRCLE_ADMIN_TOKEN")
    if given:
        return given
    named = file_arg or os.environ.get("SHARECIRCLE_ADMIN_TOKEN_FILE")
    path = Path(named) if named else default_admin_token_path()
    if named or path.exists():
        return _read_checked(path)
    raise SettingsError(
        "no admin token: set SHARECIRCLE_ADMIN_TOKEN or SHARECIRCLE_ADMIN_TOKEN_FILE, or pass "
        f"--admin-token-file (`serve` writes a token it makes to {path})"
    )


def _read_checked(path: Path) -> str:
    try:
        token = read_secret_file(path)
    except (OSError, ValueError) as exc:
        raise SettingsError(f"admin_token_file: cannot read {path}: {exc}") from None
    why = problem(token)
    if why is not None:
        raise SettingsError(f"admin_token_file: the token in {path} {why}")
    return token

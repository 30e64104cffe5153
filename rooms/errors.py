"""Errors of the rooms layer.

RoomsError
├── BackendError              the backend misbehaved (a bug or an unexpected reply)
│   └── BackendUnavailable    the backend cannot be reached right now; retry later
└── RoomNotFound              no room with that slug
"""

from __future__ import annotations

__all__ = ["BackendError", "BackendUnavailable", "RoomNotFound", "RoomsError"]


class RoomsError(Exception):
    """Base of every error raised by the rooms layer."""


class BackendError(RoomsError):
    """The backend gave an answer we cannot use."""


class BackendUnavailable(BackendError):
    """The backend did not answer (connection refused, timed out, or being failed over)."""


class RoomNotFound(RoomsError):
    """No room with that slug exists."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"no room {slug!r}")
        self.slug = slug

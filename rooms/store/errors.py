"""Errors of the durable store (a branch of the rooms layer's tree, rooms/errors.py).

RoomsError
├── BackendError ── BackendUnavailable ─┐
└── StoreError                          │ the store misbehaved, or was asked something it cannot do
    ├── StoreUnavailable ───────────────┘ the database cannot be reached right now; retry later
    ├── SchemaBehind            the database's schema is older than this code: run `sharecircle migrate`
    ├── SchemaAhead             the database was migrated by a newer version than this code
    └── StoreConflict           a unique thing (a staff name) already exists
"""

from __future__ import annotations

from rooms.errors import BackendUnavailable, RoomsError

__all__ = ["SchemaAhead", "SchemaBehind", "StoreConflict", "StoreError", "StoreUnavailable"]


class StoreError(RoomsError):
    """Base of every error the store raises."""


class StoreUnavailable(StoreError, BackendUnavailable):
    """The database did not answer (refused, timed out, restarting).

    Also a `BackendUnavailable`, so every place that already answers "unavailable, try again"
    when the shared state cannot be reached (an error frame, a 503) does so for the store too.
    """


class StoreConflict(StoreError):
    """The record would clash with one that exists (the message says which field)."""


class SchemaBehind(StoreError):
    """The database was made by an older version; this code will not run against it.

    Attributes:
        current: the database's revision (None for an empty database).
        head: the revision this code needs.
    """

    def __init__(self, current: str | None, head: str) -> None:
        shown = current or "empty"
        super().__init__(
            f"the database schema is at revision {shown}, this version needs {head}: "
            "run `sharecircle migrate` (with the same --database-url / --data-dir) and start again"
        )
        self.current = current
        self.head = head


class SchemaAhead(StoreError):
    """The database's revision is unknown to this code: a newer version migrated it.

    Attributes:
        current: the database's revision.
    """

    def __init__(self, current: str) -> None:
        super().__init__(
            f"the database schema is at revision {current}, which this version does not know: "
            "it was migrated by a newer sharecircle; run that version"
        )
        self.current = current

"""Crisis numbers as this node shows them: the server default from settings, the regional table
when the operator turned it on, and each room's own entries (rooms/crisis.py resolves them).

Always non-empty (with nothing set, the international directory), and every number a link:
`tel:` to call, `sms:` to text. `GET /api/config` carries the server's resources, the join ack's
`room.crisis` the room's, and the `crisis.request` ack the member's (their locale, their room).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from rooms import crisis
from rooms.crisis import Channel, CrisisResource
from rooms.model import RoomConfig
from server.settings import Settings

__all__ = ["CrisisLines", "today"]


def today(now: float) -> date:
    """The calendar day (UTC) of a clock reading, for checking `verified_on`."""
    return datetime.fromtimestamp(now, UTC).date()


@dataclass(frozen=True, slots=True)
class CrisisLines:
    """The node's crisis entries: the server default and, if turned on, the regional table."""

    server_default: tuple[CrisisResource, ...]
    table: Mapping[str, Sequence[CrisisResource]] | None

    @classmethod
    def from_settings(cls, settings: Settings) -> CrisisLines:
        entries: tuple[CrisisResource, ...] = ()
        if settings.crisis_line_number:
            entries = (
                CrisisResource(
                    settings.crisis_line_label or "Crisis line",
                    Channel.CALL,
                    settings.crisis_line_number,
                    hours=settings.crisis_line_hours,
                ),
            )
        return cls(entries, crisis.EXAMPLES if settings.crisis_regions else None)

    def resolve(
        self, locale: str | None, room: RoomConfig | None, day: date
    ) -> list[dict[str, str]]:
        """What a member with `locale` in `room` (None: no room) is shown, emergency first."""
        override = room.crisis if room is not None else ()
        found = crisis.resources_for(locale, override, self.server_default, day, table=self.table)
        return crisis.views(found)

    def warnings(self, rooms: Iterable[RoomConfig], day: date) -> tuple[str, ...]:
        """What `sharecircle serve` warns about at start-up (rooms/crisis.py `warnings`);
        a server default that is the operator's own setting counts as checked by them."""
        own = {room.slug: room.crisis for room in rooms if room.crisis}
        found = crisis.warnings(self.server_default, day, table=self.table, rooms=own)
        return tuple(w for w in found if "(server default) has never been verified" not in w)

"""The meeting state as plain data, for storing it (msgpack in the rooms layer) and back.

`to_dict` gives only str, int, float, bool, None, lists and str-keyed dicts; `from_dict` rebuilds
the identical state (`from_dict(to_dict(s)) == s`). Frozensets become sorted lists and enums
their values. `format` is bumped if the layout ever changes incompatibly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from facilitation.formats import Format
from facilitation.state import (
    BanEntry,
    Floor,
    MeetingState,
    Milestone,
    Mode,
    Order,
    Participant,
    QuietMode,
    Role,
    RoomSettings,
    Round,
    Turns,
    Waiting,
)

__all__ = ["FORMAT", "PlainCache", "from_dict", "to_dict"]

FORMAT = 1

Plain = dict[str, Any]


def to_dict(state: MeetingState, cache: PlainCache | None = None) -> Plain:
    """The state as msgpack- and JSON-friendly plain data.

    Args:
        state: the state to write.
        cache: the room's `PlainCache`, to reuse what an earlier state of the room already
            wrote (the rooms layer keeps one per room); None writes everything afresh.
    """
    s = state.settings
    participants = (
        [_participant_plain(p) for p in state.participants]
        if cache is None
        else cache.participants(state.participants)
    )
    return {
        "format": FORMAT,
        "settings": {
            "self_led": s.self_led,
            "default_share_seconds": s.default_share_seconds,
            "grace_seconds": s.grace_seconds,
            "seat_hold_seconds": s.seat_hold_seconds,
            "warning_seconds": s.warning_seconds,
            "raid_joins": s.raid_joins,
            "raid_window_seconds": s.raid_window_seconds,
            "lobby_ticket_seconds": s.lobby_ticket_seconds,
            "removal_hold_seconds": s.removal_hold_seconds,
            "raid_listen_only_seconds": s.raid_listen_only_seconds,
        },
        "base_mode": str(state.base_mode),
        "locked": state.locked,
        "slow_seconds": state.slow_seconds,
        "lobby": state.lobby,
        "paused_room": state.paused_room,
        "pause_listen_only": sorted(state.pause_listen_only),
        "pause_lobby": state.pause_lobby,
        "participants": participants,
        "queue": list(state.queue),
        "round": None if state.round is None else _round(state.round),
        "bans": [
            {"marks": sorted(b.marks), "until": b.until, "reason": b.reason, "removal": b.removal}
            for b in state.bans
        ],
        "waiting": [_waiting(w) for w in state.waiting],
        "recent_joins": list(state.recent_joins),
        "quiet": None if state.quiet is None else _quiet(state.quiet),
        "next_join_index": state.next_join_index,
        "meeting_format": None if state.format is None else _format(state.format),
        "part": state.part,
        "part_started_at": state.part_started_at,
        "milestones": [[m.member, m.days, m.celebrated] for m in state.milestones],
        "turns": [[t.member, t.shares, t.seconds, t.passes] for t in state.turns],
    }


_FORMAT_SEEN: dict[int, tuple[Format, Plain]] = {}
"""Plain forms of formats already written, by identity: a room's format (texts included) is the
same object in every state, so it is turned into plain data once, not on every command."""


def _format(fmt: Format) -> Plain:
    hit = _FORMAT_SEEN.get(id(fmt))
    if hit is not None and hit[0] is fmt:
        return hit[1]
    if len(_FORMAT_SEEN) > 1000:
        _FORMAT_SEEN.clear()
    plain = fmt.to_mapping()
    _FORMAT_SEEN[id(fmt)] = (fmt, plain)
    return plain


class PlainCache:
    """Plain forms of one room's participants, as its last written state held them.

    States share unchanged participants from one transition to the next, so a room of a thousand
    people re-encodes one participant per join, not a thousand. The cache holds exactly the
    participants of the last state it wrote (by member, checked by identity), so someone who
    left is gone from it at the next write, and the whole cache goes with its room: nothing is
    kept for people who left (issue 10 §7; a module-wide cache here used to keep up to 100,000).
    """

    __slots__ = ("_by_member",)

    def __init__(self) -> None:
        self._by_member: dict[str, tuple[Participant, Plain]] = {}

    def participants(self, participants: tuple[Participant, ...]) -> list[Plain]:
        current: dict[str, tuple[Participant, Plain]] = {}
        out: list[Plain] = []
        for p in participants:
            hit = self._by_member.get(p.member)
            plain = hit[1] if hit is not None and hit[0] is p else _participant_plain(p)
            current[p.member] = (p, plain)
            out.append(plain)
        self._by_member = current
        return out


def _participant_plain(p: Participant) -> Plain:
    return {
        "member": p.member,
        "name": p.name,
        "name_key": p.name_key,
        "role": str(p.role),
        "joined_seq": p.joined_seq,
        "listen_only": p.listen_only,
        "muted_until": p.muted_until,
        "away_since": p.away_since,
        "marks": sorted(p.marks),
        "listen_only_until": p.listen_only_until,
    }


def _quiet(q: QuietMode) -> Plain:
    return {"started_at": q.started_at, "last_join": q.last_join, "slow_before": q.slow_before}


def _round(r: Round) -> Plain:
    floor = r.floor
    return {
        "topic": r.topic,
        "order": str(r.order),
        "share_seconds": r.share_seconds,
        "self_led": r.self_led,
        "paused": r.paused,
        "paused_remaining": r.paused_remaining,
        "floor": None
        if floor is None
        else {
            "member": floor.member,
            "started_at": floor.started_at,
            "ends_at": floor.ends_at,
            "warned": floor.warned,
            "away_deadline": floor.away_deadline,
        },
    }


def _waiting(w: Waiting) -> Plain:
    return {
        "ticket": w.ticket,
        "member": w.member,
        "name": w.name,
        "name_key": w.name_key,
        "marks": sorted(w.marks),
        "role": str(w.role),
        "since": w.since,
        "alternates": [list(pair) for pair in w.alternates],
    }


def from_dict(data: Mapping[str, Any]) -> MeetingState:
    """Rebuild a state written by `to_dict`.

    Raises:
        ValueError: unknown format or enum value, or an invalid meeting format (`FormatError`);
        KeyError: a field is missing.
    """
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown meeting state format {data.get('format')!r}")
    rnd = data["round"]
    return MeetingState(
        settings=RoomSettings(**data["settings"]),
        base_mode=Mode(data["base_mode"]),
        locked=data["locked"],
        slow_seconds=data["slow_seconds"],
        lobby=data["lobby"],
        paused_room=data["paused_room"],
        pause_listen_only=frozenset(data["pause_listen_only"]),
        pause_lobby=data["pause_lobby"],
        participants=tuple(_read_participant(p) for p in data["participants"]),
        queue=tuple(data["queue"]),
        round=None if rnd is None else _read_round(rnd),
        bans=tuple(
            BanEntry(frozenset(b["marks"]), b["until"], b["reason"], b["removal"])
            for b in data["bans"]
        ),
        waiting=tuple(_read_waiting(w) for w in data["waiting"]),
        recent_joins=tuple(data["recent_joins"]),
        # States stored before quiet mode have none of it.
        quiet=None if data.get("quiet") is None else QuietMode(**data["quiet"]),
        next_join_index=data["next_join_index"],
        # States stored before meeting formats existed have none of these three fields.
        format=None
        if data.get("meeting_format") is None
        else Format.from_mapping(data["meeting_format"]),
        part=data.get("part"),
        part_started_at=data.get("part_started_at"),
        # States stored before milestones and the turns tally have neither.
        milestones=tuple(Milestone(m, d, c) for m, d, c in data.get("milestones", ())),
        turns=tuple(Turns(m, n, s, p) for m, n, s, p in data.get("turns", ())),
    )


def _read_participant(d: Mapping[str, Any]) -> Participant:
    return Participant(
        member=d["member"],
        name=d["name"],
        name_key=d["name_key"],
        role=Role(d["role"]),
        joined_seq=d["joined_seq"],
        listen_only=d["listen_only"],
        muted_until=d["muted_until"],
        away_since=d["away_since"],
        marks=frozenset(d["marks"]),
        listen_only_until=d.get("listen_only_until"),
    )


def _read_round(d: Mapping[str, Any]) -> Round:
    f = d["floor"]
    floor = None
    if f is not None:
        floor = Floor(f["member"], f["started_at"], f["ends_at"], f["warned"], f["away_deadline"])
    return Round(
        topic=d["topic"],
        order=Order(d["order"]),
        share_seconds=d["share_seconds"],
        self_led=d["self_led"],
        paused=d["paused"],
        paused_remaining=d["paused_remaining"],
        floor=floor,
    )


def _read_waiting(d: Mapping[str, Any]) -> Waiting:
    return Waiting(
        ticket=d["ticket"],
        member=d["member"],
        name=d["name"],
        name_key=d["name_key"],
        marks=frozenset(d["marks"]),
        role=Role(d["role"]),
        since=d["since"],
        # States written before alternates existed have none.
        alternates=tuple((name, key) for name, key in d.get("alternates", ())),
    )

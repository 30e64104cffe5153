"""Presence changes as one event: `members.changed`, live in a busy room and in a resume's replay.

Rules of this module (docs/protocol.md §4.1):

- Presence events are `member.joined`, `member.away`, `member.back`, `member.left` for a person
  who left or timed out, and `members.changed` itself. A removal or a ban stays its own
  `member.left` event: every node acts on it (rooms/service.py) and clients say it.
- A run of two or more presence events in a row folds into one `members.changed` frame with the
  run's net change per person: `joined` (member objects, with `away` as it ended), `left`
  (`{"member", "reason"}`), `away` and `back` (member ids). Applying the fold gives the same member
  list as applying the events one by one, for any list the run started from.
- Live: a commit of a room of `batch_from` or more people writes a run of its presence events as
  one stream event (the group commit gathers what arrives while a commit is in flight, so a join
  storm or a drain becomes a few events, and a single join stays `member.joined`).
- Replay: when a resume's backlog is over its caps, each run of presence events is sent as one
  frame whose `seq` is the run's last and `seq_from` its first: it stands for every seq in between,
  so the client's stream stays gapless. Chat and meeting events are never folded: they are
  replayed exactly once each, or the resume is an explicit resync.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import facilitation as fx
from rooms.events import MEMBER_LEFT, MEMBERS_CHANGED
from rooms.outbound import OutboundEvent

__all__ = ["MEMBERS_CHANGED", "fold", "fold_runs", "is_presence", "runs"]

_JOINED: Final = fx.MemberJoined.NAME
_AWAY: Final = fx.MemberAway.NAME
_BACK: Final = fx.MemberBack.NAME
_ONE_BY_ONE: Final = frozenset({_JOINED, _AWAY, _BACK})
_QUIET_LEAVES: Final = frozenset({str(fx.LeaveReason.LEFT), str(fx.LeaveReason.TIMEOUT)})


def is_presence(body: Mapping[str, Any]) -> bool:
    """True for an event a `members.changed` may stand for."""
    name = body.get("event")
    if name in _ONE_BY_ONE or name == MEMBERS_CHANGED:
        return True
    return name == MEMBER_LEFT and body.get("reason") in _QUIET_LEAVES


def runs(bodies: Sequence[Mapping[str, Any]]) -> list[tuple[int, int]]:
    """The `[start, end)` index ranges of the input in order: each a run of presence events, or
    a single other event."""
    out: list[tuple[int, int]] = []
    start = 0
    while start < len(bodies):
        end = start + 1
        if is_presence(bodies[start]):
            while end < len(bodies) and is_presence(bodies[end]):
                end += 1
        out.append((start, end))
        start = end
    return out


def fold(bodies: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One `members.changed` body with the net change of a run of presence events."""
    outcome: dict[str, tuple[str, Any]] = {}  # member id -> (kind, member object or reason)
    for body in bodies:
        for kind, value in _changes(body):
            if kind == "joined":
                who = value["id"]
            elif kind == "left":
                who, value = value["member"], value["reason"]
            else:
                who = value
            before = outcome.get(who)
            if kind in ("away", "back") and before is not None and before[0] == "joined":
                outcome[who] = ("joined", {**before[1], "away": kind == "away"})
            else:
                outcome[who] = (kind, value)
    joined = [v for k, v in outcome.values() if k == "joined"]
    left = [{"member": m, "reason": v} for m, (k, v) in outcome.items() if k == "left"]
    return {
        "event": MEMBERS_CHANGED,
        "joined": joined,
        "left": left,
        "away": [m for m, (k, _) in outcome.items() if k == "away"],
        "back": [m for m, (k, _) in outcome.items() if k == "back"],
    }


def _changes(body: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """One presence event as (kind, value) changes, in order."""
    name = body.get("event")
    if name == _JOINED:
        return [("joined", body["member"])]
    if name == _AWAY:
        return [("away", body["member"])]
    if name == _BACK:
        return [("back", body["member"])]
    if name == MEMBER_LEFT:
        return [("left", {"member": body["member"], "reason": body["reason"]})]
    return [
        *(("joined", m) for m in body.get("joined", ())),
        *(("left", m) for m in body.get("left", ())),
        *(("away", m) for m in body.get("away", ())),
        *(("back", m) for m in body.get("back", ())),
    ]


def fold_runs(events: Sequence[OutboundEvent]) -> list[OutboundEvent]:
    """A replay with each run of two or more presence events sent as one frame (`seq_from`..`seq`)."""
    out: list[OutboundEvent] = []
    for start, end in runs([e.frame for e in events]):
        if end - start < 2:
            out.append(events[start])
            continue
        first, last = events[start].frame, events[end - 1].frame
        frame = {
            "type": "event",
            **fold([e.frame for e in events[start:end]]),
            "seq": last["seq"],
            "seq_from": first.get("seq_from", first["seq"]),
            "epoch": last["epoch"],
            "ts": last["ts"],
        }
        out.append(OutboundEvent(last["seq"], frame))
    return out

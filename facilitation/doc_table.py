"""Render the rule tables of the *_rules.py modules (and the state's fields) as Markdown.

docs/facilitation.md holds the output between `<!-- generated:start -->` and
`<!-- generated:end -->`; a test fails when it is stale. Regenerate with::

    python -m facilitation.doc_table --write

The state's field descriptions are the attribute docstrings in state.py, read with `ast`, so
the code stays the single source.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from facilitation import (
    deadlines,
    events,
    formats,
    join_rules,
    part_rules,
    raid_rules,
    rules,
    speaking_rules,
    state,
    tally_rules,
    voice_rules,
)
from facilitation.commands import Command

__all__ = ["DOC_PATH", "END", "START", "main", "render", "splice"]

START = "<!-- generated:start -->"
END = "<!-- generated:end -->"
DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "facilitation.md"

_STATE_CLASSES = (
    state.MeetingState,
    state.RoomSettings,
    state.Participant,
    state.Round,
    state.Floor,
    state.BanEntry,
    state.Waiting,
    state.QuietMode,
    state.Milestone,
    state.Turns,
)


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return [*lines, ""]


def _code(text: object) -> str:
    return f"`{text}`"


def _wire(kind: type[Command]) -> str:
    return _code(kind.WIRE) if kind.WIRE else "(server)"


def _commands() -> list[str]:
    modes = list(rules.ALLOWED_IN_MODE)

    def who(kind: type[Command]) -> str:
        if kind in rules.SYSTEM_COMMANDS:
            return "server (`actor=None`)"
        return ", ".join(str(role) for role in state.Role if role in rules.REQUIRED_ROLE[kind])

    def cell(kind: type[Command], mode: state.Mode) -> str:
        return "yes" if kind in rules.ALLOWED_IN_MODE[mode] else _code(rules.MODE_REFUSAL[kind])

    rows = [
        [kind.__name__, _wire(kind), who(kind), *(cell(kind, m) for m in modes)]
        for kind in rules.ALL_COMMANDS
    ]
    head = ["command", "wire", "who may send it", *(f"in `{m}`" for m in modes)]
    return ["### Commands: who, and in which mode", "", *_table(head, rows)]


def _limits() -> list[str]:
    rows: list[list[str]] = []
    for kind, bounds in rules.NUMBER_BOUNDS.items():
        rows += [[kind.__name__, _code(f), f"{lo}–{hi}"] for f, (lo, hi) in bounds.items()]
    for kind, limits in rules.TEXT_LIMITS.items():
        rows += [
            [kind.__name__, _code(f), f"{lo}–{hi} characters"] for f, (lo, hi) in limits.items()
        ]
    for kind, choices in rules.CHOICES.items():
        rows += [
            [kind.__name__, _code(f), " | ".join(_code(o) for o in sorted(opts))]
            for f, opts in choices.items()
        ]
    out = ["### Field limits (otherwise `bad_request`)", ""]
    return out + _table(["command", "field", "allowed"], rows)


def _targets() -> list[str]:
    rows = [
        [kind.__name__, "; ".join(str(t) for t in checks)]
        for kind, checks in rules.TARGET_CHECKS.items()
    ]
    refusals = [[str(t), _code(code)] for t, (code, _) in rules.TARGET_REFUSAL.items()]
    return [
        "### The member a facilitator command acts on",
        "",
        *_table(["command", "the member must be (checked in order)"], rows),
        *_table(["when the member is not", "refusal"], refusals),
    ]


def _person_rules(title: str, person_rules: Sequence[speaking_rules.PersonRule]) -> list[str]:
    rows = [[str(i), r.when, _code(r.refusal)] for i, r in enumerate(person_rules, 1)]
    return [title, "", *_table(["#", "when", "refusal"], rows)]


def _joins() -> list[str]:
    rows = [[str(i), r.when, _code(r.refusal)] for i, r in enumerate(join_rules.JOIN_RULES, 1)]
    return [
        "### Who may join (after the ban check; first matching row refuses)",
        "",
        *_table(["#", "when", "refusal"], rows),
        f"`LOBBY_MAX_WAITING` = {join_rules.LOBBY_MAX_WAITING}. With the lobby on, names are checked",
        "at admission: a newcomer whose name someone seated has by then is seated under the",
        "first free alternate the server offered (`name_taken` to the facilitator if none is).",
        "",
    ]


def _raids() -> list[str]:
    def yes(on: bool) -> str:
        return "yes" if on else "no"

    rows = [
        [str(watch), yes(r.lobby), yes(r.quiet_mode), f"at least {r.slow_seconds} s"]
        for watch, r in raid_rules.RAID_RESPONSE.items()
    ]
    ends = [[what, when, how] for what, (when, how) in raid_rules.QUIET_MODE_ENDS.items()]
    head = ["when a raid is detected", "lobby on", "quiet mode (`self_led`)", "slow mode"]
    return [
        "### What a raid does (joins from new sources, `raid_joins` in `raid_window_seconds`)",
        "",
        *_table(head, rows),
        "### How quiet mode undoes itself",
        "",
        *_table(["what", "when", "how"], ends),
    ]


def _shares() -> list[str]:
    rows = [[kind.__name__, _code(how)] for kind, how in rules.SHARE_END_HOW.items()]
    ends = [
        [_code(order), "yes" if e else "no"] for order, e in rules.ENDS_WHEN_QUEUE_EMPTY.items()
    ]
    return [
        "### How a share ends when a command takes the speaker off the floor",
        "",
        *_table(["command", "`share.ended` `how`"], rows),
        "### Does a round end by itself when the floor is free and the queue empty?",
        "",
        *_table(["order", "ends by itself"], [*ends, ["self-led (any order)", "yes"]]),
    ]


def _deadlines() -> list[str]:
    rows = [[str(k), when, what] for k, (when, what) in deadlines.DEADLINES.items()]
    out = ["### Deadlines (fired in time order; ties in this order)", ""]
    return out + _table(["deadline", "when", "what happens"], rows)


def _events() -> list[str]:
    rows = []
    for name in events.__all__:
        kind = getattr(events, name)
        if not (isinstance(kind, type) and issubclass(kind, events.Event)) or kind is events.Event:
            continue
        fields = []
        for f in dataclasses.fields(kind):
            wire = f.metadata.get("wire") or f.name
            fields.append(_code(wire) + (" (ms)" if f.metadata.get("ms") else ""))
        rows.append([_code(kind.NAME), kind.__name__, kind.AUDIENCE, ", ".join(fields) or "—"])
    out = ["### Events", ""]
    return out + _table(["event", "class", "audience", "fields"], sorted(rows))


def _moderation() -> list[str]:
    names = sorted(_code(kind.WIRE) for kind in rules.MODERATION_ACTIONS)
    return [
        "### Actions logged to facilitators (`moderation`)",
        "",
        ", ".join(names) + "; raid protection logs `lobby.set` (not in quiet mode) and `slow.set`"
        " with `by` null, and quiet mode logs `slow.set` again when it gives slow mode back.",
        "",
    ]


def _parts() -> list[str]:
    def options(values: Sequence[object]) -> str:
        return ", ".join(_code(v) for v in values) + (" (default first)" if len(values) > 1 else "")

    def crosstalk(values: Sequence[bool]) -> str:
        fixed: dict[tuple[bool, ...], str] = {(False,): "never", (True,): "always"}
        return fixed.get(tuple(values)) or (
            "on or off, " + ("on" if values[0] else "off") + " by default"
        )

    kinds = [
        [_code(kind), options(r.postings), crosstalk(r.crosstalk)]
        for kind, r in part_rules.POSTING_BY_PART.items()
    ]
    voices = [
        [
            _code(posting),
            voice.who,
            crosstalk(part_rules.CROSSTALK_BY_POSTING[posting]),
            options(part_rules.ORDER_BY_POSTING.get(posting, ())) or "no round",
        ]
        for posting, voice in part_rules.POSTING_VOICES.items()
    ]
    limits = [[_code(f), f"at most {n} characters"] for f, n in formats.FORMAT_TEXT_LIMITS.items()]
    limits += [[_code(f), f"{lo}–{hi}"] for f, (lo, hi) in formats.FORMAT_NUMBER_LIMITS.items()]
    return [
        "### Meeting formats: what each kind of part allows",
        "",
        *_table(["kind", "who has the word (`posting`)", "crosstalk"], kinds),
        "### Who has the word, and whether a share round runs",
        "",
        *_table(["posting", "who may post (crosstalk off)", "crosstalk", "round order"], voices),
        "### Format limits (otherwise `FormatError`)",
        "",
        *_table(["field", "allowed"], limits),
        "`Part` and `Format` fields:",
        "",
        *_table(["field", "type", "meaning"], _attribute_docs(formats.Part)),
        *_table(["field", "type", "meaning"], _attribute_docs(formats.Format)),
    ]


def _tending() -> list[str]:
    counts = [[_code(how), tally] for how, tally in tally_rules.TURN_COUNTS_AS.items()]
    parts = ", ".join(_code(kind) for kind in sorted(tally_rules.CELEBRATING_PARTS))
    return [
        "### Milestones and fairness (kept in the meeting state only)",
        "",
        *_table(["a share that ends `how`", "counts in the fairness tally as"], counts),
        "Dropped from the meeting state when:",
        "",
        *[f"- {when}" for when in tally_rules.TURNS_FORGOTTEN],
        "",
        f"Parts whose start celebrates every milestone not yet celebrated: {parts}.",
        "",
    ]


def _attribute_docs(cls: type) -> list[list[str]]:
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
    rows = []
    for node, following in zip(body, [*body[1:], None], strict=True):
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            continue
        doc = ""
        if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
            doc = " ".join(str(following.value.value).split())
        rows.append([_code(node.target.id), _code(ast.unparse(node.annotation)), doc])
    return rows


def _state() -> list[str]:
    out = ["### The meeting state", ""]
    for cls in _STATE_CLASSES:
        out += [f"`{cls.__name__}`", ""]
        out += _table(["field", "type", "meaning"], _attribute_docs(cls))
    return out


def render() -> str:
    """The generated section, without its markers."""
    lines = [
        "<!-- Do not edit this section: run `python -m facilitation.doc_table --write`. -->",
        "",
        *_commands(),
        *_limits(),
        *_targets(),
        *_person_rules(
            "### Who may raise a hand (first matching row refuses)", speaking_rules.FLOOR_RULES
        ),
        *_person_rules(
            "### Who may post (first matching row refuses)",
            (
                *speaking_rules.POSTING_RULES,
                *part_rules.PART_POSTING_RULES,
                part_rules.CONTENT_NOTE_RULE,
            ),
        ),
        "Facilitators are exempt from slow mode.",
        "",
        *_person_rules(
            "### Who may be heard by voice (first matching row refuses; checked on every audio frame)",
            voice_rules.VOICE_RULES,
        ),
        *_joins(),
        *_raids(),
        *_shares(),
        *_deadlines(),
        *_events(),
        *_moderation(),
        *_parts(),
        *_tending(),
        *_state(),
    ]
    return "\n".join(lines).rstrip() + "\n"


def splice(document: str, generated: str) -> str:
    """`document` with the text between the markers replaced by `generated`.

    Raises:
        ValueError: the markers are missing or out of order.
    """
    start, end = document.find(START), document.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{START} ... {END} markers not found")
    return document[: start + len(START)] + "\n" + generated + document[end:]


def run(argv: Sequence[str] | None, *, prog: str, path: Path, render: Callable[[], str]) -> int:
    """The command line of a generated section: print it, or with `--write` update `path` in
    place, or with `--check` exit 1 if it is stale. Shared by every doc generated from tables."""
    parser = argparse.ArgumentParser(prog=prog)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help=f"update {path.name} in place")
    group.add_argument("--check", action="store_true", help=f"exit 1 if {path.name} is stale")
    args = parser.parse_args(argv)
    if not (args.write or args.check):
        sys.stdout.write(render())
        return 0
    current = path.read_text(encoding="utf-8")
    updated = splice(current, render())
    if args.check:
        return 0 if updated == current else 1
    if updated != current:
        path.write_text(updated, encoding="utf-8")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m facilitation.doc_table [--write | --check]` for docs/facilitation.md."""
    return run(argv, prog="python -m facilitation.doc_table", path=DOC_PATH, render=render)


if __name__ == "__main__":
    raise SystemExit(main())

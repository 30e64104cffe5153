"""Render the on-call tables of rules.py (and rooms.crisis's examples) as Markdown into
docs/safety-net.md.

The document holds the output between `<!-- generated:start -->` and `<!-- generated:end -->`;
a test fails when it is stale. Regenerate with::

    python -m rooms.oncall.doc_table --write
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from facilitation.doc_table import run
from rooms import crisis
from rooms.oncall import rules
from rooms.oncall.errors import MEANING
from rooms.oncall.model import AlertKind, AlertStatus, PageLevel

__all__ = ["DOC_PATH", "main", "render", "schedule"]

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "safety-net.md"

_LEVEL_WORDS = {
    PageLevel.CONSOLE: "console chime",
    PageLevel.ON_CALL: "page on-call",
    PageLevel.ALL_STAFF: "page all staff",
}


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return [*lines, ""]


def _duration(seconds: float) -> str:
    if seconds == 0:
        return "0 s"
    if seconds % 60:
        return f"{seconds:g} s"
    return f"{seconds / 60:g} min"


def schedule(kind: AlertKind) -> list[rules.Step]:
    """Every escalation step of `kind`, repeats included, until the schedule ends."""
    steps: list[rules.Step] = []
    while (step := rules.step_for(kind, len(steps))) is not None:
        steps.append(step)
    return steps


def _escalation() -> list[str]:
    rows = []
    for kind in AlertKind:
        table = rules.ESCALATION[kind]
        steps = "; ".join(f"{_duration(s.after)}: {_LEVEL_WORDS[s.level]}" for s in schedule(kind))
        repeat = "—" if table.repeat_every is None else f"every {_duration(table.repeat_every)}"
        rows.append(
            [
                f"`{kind}`",
                steps,
                repeat,
                str(table.max_pages),
                _duration(rules.SILENCE_SECONDS[kind]),
            ]
        )
    head = ["kind", "steps after it opens", "repeat", "pages at most", "taker silent for"]
    return ["### Escalation (open alerts) and silence (taken alerts)", "", *_table(head, rows)]


def _per_kind() -> list[str]:
    rows = [
        [
            f"`{kind}`",
            "kind + room + subject" if rules.DEDUP_BY_SUBJECT[kind] else "kind + room",
            f"`{rules.SEVERITY[kind]}`",
            f"`{rules.QUEUE_ACTION[kind]}`",
            ", ".join(f"`{o}`" for o in sorted(rules.OUTCOMES[kind])),
        ]
        for kind in AlertKind
    ]
    head = ["kind", "dedup key", "severity", "queue action", "outcomes"]
    return ["### Per kind", "", *_table(head, rows)]


def _transitions() -> list[str]:
    def cell(moves: dict[AlertStatus, AlertStatus], status: AlertStatus) -> str:
        if status in moves:
            return f"→ `{moves[status]}`"
        return f"`{rules.REFUSAL_IN[status]}`"

    rows = [
        [f"`{command.__name__}`", *(cell(dict(moves), status) for status in AlertStatus)]
        for command, moves in rules.TRANSITIONS.items()
    ]
    head = ["command", *(f"on `{status}`" for status in AlertStatus)]
    return [
        "### Transitions (a code is the refusal)",
        "",
        *_table(head, rows),
        "Not in the table: `Raise` merges into the live alert with the same key (the count "
        "goes up, nobody is paged) or opens a new one, and is refused only with `no_subject` "
        "or `id_in_use`; `StaffDropped` and the silence deadline move "
        "the staff member's `taken` alerts back to `open`; `StaffSeen` keeps them. "
        "A closed alert is forgotten "
        f"{_duration(rules.KEEP_CLOSED_SECONDS)} after it closed and never reopens.",
        "",
    ]


def _refusals() -> list[str]:
    rows = [[f"`{code}`", meaning] for code, meaning in MEANING.items()]
    return ["### Refusal codes", "", *_table(["code", "meaning"], rows)]


def _crisis_examples() -> list[str]:
    rows = [
        [
            region,
            entry.label,
            entry.channel,
            entry.number + (f" (send {entry.keyword})" if entry.keyword else ""),
            f"`{entry.href}`",
            ", ".join(entry.languages) or "—",
        ]
        for region, entries in crisis.EXAMPLES.items()
        for entry in entries
    ]
    head = ["region", "service", "channel", "number", "link", "languages"]
    return [
        "### Crisis resource examples (off by default, unverified)",
        "",
        *_table(head, rows),
        f"With no match: {crisis.INTERNATIONAL_DIRECTORY.label} ({crisis.INTERNATIONAL_DIRECTORY.url}).",
        "",
    ]


def render() -> str:
    """The generated section of docs/safety-net.md."""
    lines = [
        "<!-- Do not edit this section: run `python -m rooms.oncall.doc_table --write`. -->",
        "",
        *_escalation(),
        *_per_kind(),
        *_transitions(),
        *_refusals(),
        *_crisis_examples(),
    ]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m rooms.oncall.doc_table [--write | --check]` for docs/safety-net.md."""
    return run(argv, prog="python -m rooms.oncall.doc_table", path=DOC_PATH, render=render)


if __name__ == "__main__":
    raise SystemExit(main())

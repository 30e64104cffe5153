"""docs/safety-net.md carries the current on-call tables."""

from __future__ import annotations

import rooms.oncall as oc
from rooms.oncall import doc_table


def test_the_generated_section_is_up_to_date() -> None:
    current = doc_table.DOC_PATH.read_text(encoding="utf-8")
    assert doc_table.main(["--check"]) == 0, (
        "docs/safety-net.md is stale: run `uv run python -m rooms.oncall.doc_table --write`"
    )
    assert doc_table.render() in current


def test_the_generated_section_names_every_kind_action_and_refusal() -> None:
    text = doc_table.render()
    for needle in (
        "`crisis`",
        "`lobby`",
        "1 min: page on-call",
        "`take_conversation`",
        "`in_conversation`",
    ):
        assert needle in text


def test_the_crisis_schedule_reads_as_the_safety_net_says() -> None:
    minutes = [(s.after / 60, int(s.level)) for s in doc_table.schedule(oc.AlertKind.CRISIS)]
    assert minutes[:4] == [(0, 0), (1, 1), (3, 2), (8, 2)]

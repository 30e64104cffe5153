"""docs/facilitation.md carries the current rule tables."""

from __future__ import annotations

from facilitation import doc_table


def test_the_generated_section_is_up_to_date() -> None:
    current = doc_table.DOC_PATH.read_text(encoding="utf-8")
    assert doc_table.splice(current, doc_table.render()) == current, (
        "docs/facilitation.md is stale: run `uv run python -m facilitation.doc_table --write`"
    )


def test_the_generated_section_names_every_command_and_event() -> None:
    text = doc_table.render()
    for needle in ("RaiseHand", "`hand.raise`", "`not_your_turn`", "`meeting.state`", "`queue`"):
        assert needle in text

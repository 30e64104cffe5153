"""Documentation that must not drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

from server.codes import CloseCode, ErrorCode
from server.commands import SPECS
from server.settings import render_table

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _section(text: str, name: str) -> str:
    match = re.search(rf"<!-- {name}:start -->(.*)<!-- {name}:end -->", text, re.S)
    assert match, f"markers for {name} missing"
    return match.group(1)


def test_every_error_code_is_documented_and_nothing_else() -> None:
    table = _section((DOCS / "protocol.md").read_text(), "error-codes")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", table, re.M))
    assert documented == {c.value for c in ErrorCode}


def test_every_close_code_is_documented_with_its_name() -> None:
    table = _section((DOCS / "protocol.md").read_text(), "close-codes")
    documented = dict(re.findall(r"^\| (\d{4}) \| `([a-z_]+)` \|", table, re.M))
    assert documented == {str(c.value): c.name.lower() for c in CloseCode}


def test_every_command_is_documented() -> None:
    text = (DOCS / "protocol.md").read_text()
    for name in SPECS:
        assert f"`{name}`" in text, name


def test_configuration_table_is_current() -> None:
    """docs/configuration.md embeds `python -m server.settings`; regenerate it when this fails."""
    text = (DOCS / "configuration.md").read_text()
    assert _section(text, "settings").strip() == render_table().strip()


def test_every_engine_refusal_is_a_protocol_error_code() -> None:
    """The engine's refusal codes go onto the wire as they are (facilitation cannot import
    server, so the two enums are kept in step by this test)."""
    from facilitation import Refusal

    assert {r.value for r in Refusal} <= {c.value for c in ErrorCode}


def test_the_replay_cap_the_docs_quote_is_the_default() -> None:
    """reliability.md §3 and operations.md once said 500 while the code said 2,000."""
    from server.settings import Settings

    cap = f"{Settings().replay_max_events:,}"
    assert f"`replay_max_events` ({cap})" in (DOCS / "operations.md").read_text()
    assert f"5 min and {cap} events per room" in (DOCS / "reliability.md").read_text()


def test_the_docs_describe_the_rate_limits_the_code_has() -> None:
    """Rates are aiolimiter leaky buckets (server/rates.py); flooding closes with 4029."""
    for page in DOCS.glob("*.md"):
        assert "moving window" not in page.read_text(), page.name
    closes = _section((DOCS / "protocol.md").read_text(), "close-codes")
    row_1008 = next(line for line in closes.splitlines() if line.startswith("| 1008 "))
    assert "flooding is 4029" in row_1008

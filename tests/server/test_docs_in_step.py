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

"""The client's words as the tests expect them: read from web_client/catalog/en.js, so a test
names a catalog key and never spells out English itself (a reworded sentence breaks nothing)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["text"]

CATALOGS = Path(__file__).resolve().parents[2] / "web_client" / "catalog"


@cache
def _entries(lang: str) -> dict[str, Any]:
    body = (CATALOGS / f"{lang}.js").read_text().split("\nexport default ", 1)[1]
    entries: dict[str, Any] = json.loads(body[: body.rindex("}") + 1])
    return entries


def text(key: str, lang: str = "en", **params: Any) -> str:
    """The catalog's text for `key` with its {placeholders} filled, as i18n.js `t` gives it
    (plurals: "=N" first, then "one" for 1, else "other"; English and Spanish agree on that for
    the small counts the tests use)."""
    entry = _entries(lang)[key]
    if isinstance(entry, dict):
        count = params.get("count", 0)
        entry = entry.get(f"={count}") or entry["one" if count == 1 else "other"]
    return re.sub(r"\{(\w+)\}", lambda m: str(params.get(m.group(1), m.group(0))), str(entry))

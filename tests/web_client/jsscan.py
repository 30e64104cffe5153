"""A small scanner for the client's JavaScript: string literals (with their line) and imports,
with comments skipped. Enough for the layering and literal tests; not a JavaScript parser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CLIENT", "Literal", "imports", "literals", "sources", "strip_comments"]

CLIENT = Path(__file__).resolve().parents[2] / "web_client"


@dataclass(frozen=True)
class Literal:
    path: Path
    line: int
    text: str
    """The literal's static text (a template literal's `${...}` parts are left out)."""
    before: str
    """The code on the same line before the literal, to judge its context."""


def sources(under: Path = CLIENT) -> list[Path]:
    return sorted(p for p in under.rglob("*.js"))


def _scan(source: str) -> tuple[str, list[tuple[int, str, int]]]:
    """Return (code without comments and literal bodies, [(offset, text, line)])."""
    out: list[str] = []
    found: list[tuple[int, str, int]] = []
    i, n, line = 0, len(source), 1
    while i < n:
        c = source[i]
        if source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            line += source.count("\n", i, end)
            i = n if end < 0 else end + 2
        elif c in "\"'`":
            text, j = _literal(source, i)
            found.append((len("".join(out)), text, line))
            line += source.count("\n", i, j)
            out.append(c + c)
            i = j
        else:
            if c == "\n":
                line += 1
            out.append(c)
            i += 1
    return "".join(out), found


def _literal(source: str, start: int) -> tuple[str, int]:
    quote = source[start]
    i, parts = start + 1, []
    while i < len(source):
        c = source[i]
        if c == "\\":
            parts.append(source[i : i + 2])
            i += 2
        elif c == quote:
            return "".join(parts), i + 1
        elif quote == "`" and source.startswith("${", i):
            depth, i = 1, i + 2
            while i < len(source) and depth:
                if source[i] in "\"'`":
                    _, i = _literal(source, i)
                    continue
                depth += {"{": 1, "}": -1}.get(source[i], 0)
                i += 1
            parts.append("_")  # a placeholder that reads as neither a word nor a space
        else:
            parts.append(c)
            i += 1
    raise ValueError("unterminated string literal")


def strip_comments(source: str) -> str:
    """The code with comments removed and literal bodies emptied."""
    return _scan(source)[0]


def literals(path: Path) -> list[Literal]:
    source = path.read_text()
    code, found = _scan(source)
    result = []
    for offset, text, line in found:
        start = code.rfind("\n", 0, offset) + 1
        result.append(Literal(path, line, text, code[start:offset]))
    return result


_IMPORT = re.compile(
    r"""(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']"""
)


def imports(path: Path) -> list[Path]:
    """The modules `path` imports (resolved against its folder)."""
    source = path.read_text()
    found = [m.group(1) or m.group(2) for m in _IMPORT.finditer(source)]
    return [(path.parent / spec).resolve() for spec in found]

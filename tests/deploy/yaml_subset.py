"""A strict reader for the small YAML subset deploy/compose.yaml is written in (stdlib only).

Block mappings, block sequences of scalars, JSON-style flow sequences, quoted and plain scalars,
and comments. Anything else (anchors, tags, block scalars, flow mappings, sequences of mappings)
raises `ValueError`, so the compose file stays in a form this check can vouch for. Where PyYAML
happens to be installed, the tests also compare the two readings.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["load"]

_KEY = re.compile(r"^([A-Za-z0-9_.-]+):(?: (.*))?$")
_INT = re.compile(r"^-?[0-9]+$")


def load(text: str) -> Any:
    lines = [
        (len(raw) - len(raw.lstrip(" ")), raw.strip())
        for raw in text.splitlines()
        if raw.strip() and not raw.strip().startswith("#")
    ]
    if any("\t" in raw for raw in text.splitlines()):
        raise ValueError("tabs are not allowed in YAML indentation")
    value, end = _block(lines, 0, 0)
    if end != len(lines):
        raise ValueError(f"unexpected indentation at: {lines[end][1]!r}")
    return value


def _block(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[Any, int]:
    if lines[i][1].startswith("- "):
        return _sequence(lines, i, indent)
    return _mapping(lines, i, indent)


def _sequence(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
        item = lines[i][1][2:]
        if _KEY.match(item):
            raise ValueError(f"sequences of mappings are outside the subset: {item!r}")
        items.append(_scalar(item))
        i += 1
    return items, i


def _mapping(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[dict[str, Any], int]:
    mapping: dict[str, Any] = {}
    while i < len(lines) and lines[i][0] == indent:
        match = _KEY.match(lines[i][1])
        if match is None:
            raise ValueError(f"not a `key: value` line: {lines[i][1]!r}")
        key, rest = match.group(1), _strip_comment(match.group(2) or "")
        if key in mapping:
            raise ValueError(f"duplicate key: {key}")
        i += 1
        if rest:
            mapping[key] = _scalar(rest)
        elif i < len(lines) and lines[i][0] > indent:
            mapping[key], i = _block(lines, i, lines[i][0])
        else:
            mapping[key] = None
    return mapping, i


def _strip_comment(text: str) -> str:
    if text.startswith(('"', "'", "[")):
        return text
    return text.split(" #", 1)[0].rstrip()


def _scalar(text: str) -> Any:
    text = text.strip()
    if text.startswith(("&", "*", "!", "|", ">", "{")):
        raise ValueError(f"outside the subset: {text!r}")
    if text.startswith(("[", '"')):
        return json.loads(_strip_trailing_comment(text))
    if text.startswith("'"):
        body = _strip_trailing_comment(text)
        if not body.endswith("'"):
            raise ValueError(f"unterminated string: {text!r}")
        return body[1:-1].replace("''", "'")
    text = _strip_comment(text)
    if _INT.match(text):
        return int(text)
    return {"true": True, "false": False, "null": None, "~": None}.get(text, text)


def _strip_trailing_comment(text: str) -> str:
    closing = {"[": "]", '"': '"', "'": "'"}[text[0]]
    end = text.rfind(closing)
    if end <= 0:
        raise ValueError(f"unterminated: {text!r}")
    rest = text[end + 1 :].strip()
    if rest and not rest.startswith("#"):
        raise ValueError(f"text after a closing {closing}: {text!r}")
    return text[: end + 1]

"""No user-facing English outside the catalog: every word the page says comes from
web_client/catalog/ (i18n.js `t`) or index.html's data-i18n keys.

A JavaScript string literal counts as user-facing when it reads like words for people: a
capitalised word, sentence punctuation, or several words that are not CSS classes or protocol
names. Protocol names, CSS classes, ids and keys are lowercase identifiers, which pass; the few
others are allowlisted below with the reason.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from tests.web_client.jsscan import CLIENT, Literal, literals, sources

CATALOG = CLIENT / "catalog"

ALLOWED = {
    "sharecircle",  # the product's name
    "Enter",  # KeyboardEvent.key names
    "Escape",
    "CustomEvent",
}
"""Literals that look like words but are names the platform or protocol defines."""

ALLOWED_WORDS = {"not", "disabled", "button", "data-key", "open", "redacted"}
"""Words allowed inside multi-word literals: CSS selectors (`button:not([disabled])`) and the
classes the client sets without style.css styling them (`floor open`, `msg system redacted`)."""

TEXT_ATTRIBUTES = ("aria-label", "placeholder", "title", "alt")
IDENTIFIER = re.compile(r"^[a-z0-9_.:/#\-\[\]=()*+\"^$ ,>]*$")
WORD = re.compile(r"[A-Za-z]{2,}")
CAPITALISED = re.compile(r"\b[A-Z][a-z]{2,}")
PROSE = re.compile(r"[A-Za-z]'[a-z]|[A-Za-z][.?!…:;] [A-Za-z]|…|[a-z][?!]$")


def _css_classes() -> set[str]:
    css = (CLIENT / "style.css").read_text()
    return set(re.findall(r"\.([a-z][a-z0-9-]*)", css))


CSS = _css_classes()


def _words_ok(text: str) -> bool:
    return all(
        word in CSS or word in ALLOWED_WORDS for word in re.findall(r"[a-z][a-z0-9-]*", text)
    )


def user_facing(lit: Literal) -> bool:
    text = lit.text.strip()
    if not WORD.search(text) or text in ALLOWED:
        return False
    if re.search(r"""["']?(aria-label|placeholder|title|alt)["']?\s*:\s*$""", lit.before):
        return True  # a text attribute must come from the catalog, whatever it looks like
    if re.search(r"(setText\([^,]*,|\.textContent\s*=)\s*$", lit.before):
        return True
    if CAPITALISED.search(text) or PROSE.search(text):
        return True
    if " " in text and IDENTIFIER.match(text):
        return not _words_ok(text)
    return not IDENTIFIER.match(text)


def _client_literals() -> list[Literal]:
    return [lit for path in sources() if CATALOG not in path.parents for lit in literals(path)]


def test_no_english_literal_outside_the_catalog() -> None:
    """Every string literal in web_client/*.js that reads as words for people is a finding."""
    found = [
        f"{lit.path.relative_to(CLIENT)}:{lit.line}: {lit.text!r}"
        for lit in _client_literals()
        if user_facing(lit)
    ]
    assert found == []


def test_the_lint_catches_what_it_should() -> None:
    """Guard the guard: sentences, labels and text attributes are caught; names pass."""
    path = Path("x.js")
    caught = [
        Literal(path, 1, "Raise hand", "h(x, {}, "),
        Literal(path, 1, "You're not connected", ""),
        Literal(path, 1, "hand raised", ""),
        Literal(path, 1, "more", '"aria-label": '),
        Literal(path, 1, "offline", "setText(el, "),
        Literal(path, 1, "Connecting…", ""),
    ]
    passed = [
        Literal(path, 1, "chat.message", ""),
        Literal(path, 1, "secondary small danger", "class: "),
        Literal(path, 1, "button:not([disabled])", ""),
        Literal(path, 1, "sharecircle.v1.json", ""),
        Literal(path, 1, "Escape", "e.key === "),
    ]
    assert [user_facing(lit) for lit in caught] == [True] * len(caught)
    assert [user_facing(lit) for lit in passed] == [False] * len(passed)
    assert len(_client_literals()) > 300


class _PageText(HTMLParser):
    """Collects index.html's visible text that is not filled from a data-i18n key."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[dict[str, str | None]] = []
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        fields = dict(attrs)
        translated = str(fields.get("data-i18n-attr") or "")
        for name in TEXT_ATTRIBUTES:
            if fields.get(name) and f"{name}:" not in translated:
                self.found.append(f"<{tag} {name}={fields[name]!r}>")
        if tag not in ("meta", "link", "input", "br", "img"):
            self.stack.append(fields)

    def handle_endtag(self, tag: str) -> None:
        if self.stack and tag not in ("meta", "link", "input", "br", "img"):
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        text = data.strip()
        if not WORD.search(text) or text in ALLOWED:
            return
        if not any("data-i18n" in fields for fields in self.stack[-1:]):
            self.found.append(text)


def test_index_html_takes_every_text_from_the_catalog() -> None:
    """Texts and text attributes in index.html come from data-i18n / data-i18n-attr keys."""
    parser = _PageText()
    parser.feed((CLIENT / "index.html").read_text())
    assert parser.found == []

"""The public API: every module declares `__all__`, and the package re-exports it."""

from __future__ import annotations

import importlib
import pkgutil

import facilitation

PUBLIC = [
    "decide", "next_deadline", "Accepted", "Refused", "Refusal", "FacilitationBug",
    "MeetingState", "Actor", "Command", "Event", "to_wire", "to_dict", "from_dict",
    "public_view", "member_view", "members_view", "may_post", "may_react", "admission",
    "PostAllowed", "check_invariants",
]  # fmt: skip


def test_every_module_declares_all_and_its_names_exist() -> None:
    for info in pkgutil.iter_modules(facilitation.__path__):
        module = importlib.import_module(f"facilitation.{info.name}")
        assert hasattr(module, "__all__"), info.name
        for name in module.__all__:
            assert hasattr(module, name), f"facilitation.{info.name}.{name}"


def test_the_package_exports_its_public_api() -> None:
    assert sorted(facilitation.__all__) == facilitation.__all__
    for name in facilitation.__all__:
        assert hasattr(facilitation, name), name
    assert set(PUBLIC) <= set(facilitation.__all__)

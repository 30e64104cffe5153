"""Each package's public API is what its __init__ says: every name in __all__ exists, once."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    "package", ["facilitation", "rooms", "rooms.backends", "rooms.store", "server"]
)
def test_public_names_exist(package: str) -> None:
    module = importlib.import_module(package)
    names = module.__all__
    assert len(names) == len(set(names))
    missing = [name for name in names if not hasattr(module, name)]
    assert missing == []

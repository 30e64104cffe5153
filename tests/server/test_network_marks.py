"""Network marks are keyed hashes whose key is never a public constant (issue 13 item 7)."""

from __future__ import annotations

from server.network_marks import NetworkMarks
from server.settings import Settings

SECRET = "marks-test-secret-Jq4Tz8Wm2Rk6Hc1Vb5Nf9Xy3Pd7Gs0Le"


def _marks(settings: Settings, address: str = "192.0.2.7") -> frozenset[str]:
    return NetworkMarks(settings).of(address)


def test_a_mark_never_holds_the_address_and_is_keyed_by_the_secret() -> None:
    (mark,) = _marks(Settings(secret=SECRET))
    assert mark.startswith("n:")
    assert "192.0.2.7" not in mark
    assert _marks(Settings(secret=SECRET)) == {mark}  # every node with the secret agrees
    assert _marks(Settings(secret=SECRET.replace("marks", "other"))) != {mark}


def test_without_a_secret_the_key_is_random_per_process_never_a_constant() -> None:
    assert _marks(Settings()) != _marks(Settings())


def test_marks_can_be_turned_off() -> None:
    assert _marks(Settings(secret=SECRET, ban_network_marks=False)) == frozenset()

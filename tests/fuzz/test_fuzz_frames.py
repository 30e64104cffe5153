"""Frame decoding and command parsing under fuzzing: only the documented exceptions escape.

Two short runs of `fuzz_frames.check_one` over the seed corpus: seeded random mutations in this
process (always, deterministic), and a real coverage-guided atheris run in a subprocess when
atheris is installed (a dev dependency). The long run is documented in fuzz_frames.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from server.commands import SPECS
from tests.fuzz import fuzz_frames
from tests.fuzz.fuzz_frames import CORPUS, MODES, check_one, mutations, run_all

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def test_the_corpus_has_every_command_in_both_encodings() -> None:
    names = {p.name for p in CORPUS.iterdir()}
    for command in SPECS:
        assert f"json-{command}" in names, command
        assert f"msgpack-{command}" in names, command
    for mode in MODES:
        assert any(n.startswith(f"{mode}-") for n in names), mode


def test_every_seed_ends_as_expected() -> None:
    """Valid seeds parse into commands; the nasty ones end in a documented refusal."""
    for path in sorted(CORPUS.iterdir()):
        outcome = check_one(path.read_bytes())
        if path.name.startswith(("json-", "msgpack-")) and path.name.split("-", 1)[1] in SPECS:
            assert outcome == "command", path.name
        else:
            assert outcome in ("bad_frame", "bad_request", "close", "command"), path.name


def test_a_lone_surrogate_is_a_bad_frame_not_a_crash() -> None:
    """The bug this target found: an id of "\\ud800" decoded, then could not be echoed."""
    assert check_one(b"\x00" + b'{"type":"ping","id":"\\ud800"}') == "bad_frame"


def test_seeded_random_mutations_raise_only_documented_errors() -> None:
    outcomes = run_all(mutations(5000, seed=20261122))
    assert sum(outcomes.values()) == 5000
    assert outcomes.get("command", 0) > 0
    assert outcomes.get("bad_frame", 0) > 0


@pytest.mark.skipif(fuzz_frames.atheris is None, reason="atheris is not installed")
def test_a_short_atheris_run_finds_nothing(tmp_path: Path) -> None:
    """A few thousand coverage-guided iterations (seconds), new inputs kept out of the repo."""
    result = subprocess.run(
        [
            sys.executable,
            str(HERE / "fuzz_frames.py"),
            str(tmp_path),
            str(CORPUS),
            "-runs=100000",
            "-max_total_time=15",
            "-max_len=16384",
            "-seed=1",
            f"-artifact_prefix={tmp_path}/",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Done" in result.stderr
    assert "cov:" in result.stderr

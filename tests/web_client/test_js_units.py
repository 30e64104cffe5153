"""Runs the client's JavaScript unit tests (tests/js, `node --test`, no npm packages) inside the
pytest suite, so the README's one test command runs them too."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JS_TESTS = ROOT / "tests" / "js"
NODE = shutil.which("node")


@pytest.mark.skipif(
    NODE is None, reason="the JS unit tests need Node.js (apt-get install nodejs; .ci/run does)"
)
def test_the_client_logic_passes_its_node_tests() -> None:
    """Reducer, selectors, effects, catalog and the fake-socket session: all green."""
    assert NODE is not None
    files = sorted(JS_TESTS.glob("*.test.mjs"))
    assert len(files) >= 6, "the JS unit tests are missing"
    result = subprocess.run(  # all.mjs runs every file in one process (one start-up, not six)
        [NODE, "--test-reporter=tap", str(JS_TESTS / "all.mjs")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    summary = [line for line in result.stdout.splitlines() if line.startswith(("# pass", "# fail"))]
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "# fail 0" in summary, summary
    passed = int(next(line for line in summary if line.startswith("# pass")).split()[-1])
    assert passed >= 40, f"only {passed} JS tests ran: {summary}"

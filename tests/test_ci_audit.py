"""The dependency audit's verdict (.ci/audit_report.py): findings with a fix fail, an audit that
could not run or skipped packages is never a pass, and CI still ends with the test command."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _report_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_report", ROOT / ".ci" / "audit_report.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


report = _report_module()


def _dep(name: str, *vulns: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "version": "1.0", "vulns": list(vulns)}


def test_a_vulnerability_with_a_fix_fails() -> None:
    fixed = {"id": "PYSEC-2099-1", "fix_versions": ["1.1"]}
    unfixed = {"id": "GHSA-xxxx", "fix_versions": []}
    status, lines = report.verdict(
        {"dependencies": [_dep("a", fixed), _dep("b", unfixed), _dep("c")]}, "", "pypi"
    )
    assert status == 1
    assert "a 1.0: PYSEC-2099-1 (fixed in 1.1)" in "\n".join(lines)
    assert "no fixed version yet" in "\n".join(lines)


def test_a_vulnerability_without_a_fix_is_listed_and_passes() -> None:
    unfixed = {"id": "GHSA-xxxx", "fix_versions": []}
    status, lines = report.verdict({"dependencies": [_dep("b", unfixed)]}, "", "pypi")
    assert status == 0
    assert "GHSA-xxxx" in "\n".join(lines)


def test_skipped_packages_are_never_a_clean_audit() -> None:
    """What this machine's PyPI answers: every package 'not found', and pip-audit itself then
    says "No known vulnerabilities found" with status 0."""
    skipped = {"name": "aiolimiter", "skip_reason": "Dependency not found on PyPI"}
    status, lines = report.verdict({"dependencies": [skipped, _dep("c")]}, "", "pypi")
    assert status == 3
    assert "COULD NOT AUDIT 1 of 2 packages" in lines[0]
    assert "NOT a clean audit" in lines[0]


def test_no_report_means_the_audit_could_not_run(tmp_path: Path) -> None:
    stderr = tmp_path / "stderr"
    stderr.write_text("Traceback...\nConnectionError: api.osv.dev unreachable\n")
    done = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "audit_report.py"), str(tmp_path / "none.json"),
         str(stderr), "osv"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 3
    assert "COULD NOT RUN" in done.stderr
    assert "api.osv.dev unreachable" in done.stderr


def test_a_clean_audit_passes() -> None:
    status, lines = report.verdict({"dependencies": [_dep("a"), _dep("b")]}, "", "pypi")
    assert status == 0
    assert lines == ["audit: 2 packages audited (pypi): no known vulnerability with a fix"]


def test_ci_runs_the_audit_first_and_ends_with_the_readme_test_command() -> None:
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip()]
    assert lines[-1] == "uv run pytest"
    assert ".ci/audit || audit=$?" in lines
    assert "uv run pytest" in (ROOT / "README.md").read_text()

"""The layers stay apart: server -> rooms -> facilitation, and facilitation does no I/O.

Two checks: import-linter with the contracts in pyproject.toml, and a stricter AST scan of
`facilitation/` that allows only the standard library minus anything that touches time,
randomness, threads, sockets or processes.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FACILITATION = ROOT / "facilitation"

FORBIDDEN_IN_FACILITATION = frozenset({
    "asyncio", "time", "socket", "threading", "msgpack", "redis", "random", "selectors",
    "subprocess", "multiprocessing", "concurrent", "signal", "ssl", "urllib", "http",
    "secrets", "uuid", "datetime", "sched", "queue",
})  # fmt: skip


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, top-level module) for every absolute import in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def test_facilitation_imports_only_the_pure_standard_library() -> None:
    bad = []
    for path in sorted(FACILITATION.rglob("*.py")):
        for line, top in _imports(path):
            allowed = top == "facilitation" or (
                top in sys.stdlib_module_names and top not in FORBIDDEN_IN_FACILITATION
            )
            if not allowed:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {top}")
    assert not bad, "facilitation/ must stay pure:\n" + "\n".join(bad)


def test_the_scan_would_catch_an_io_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import time\nfrom asyncio import sleep\nfrom . import sibling\n")
    assert _imports(sample) == [(1, "time"), (2, "asyncio")]


def _contract_modules() -> set[str]:
    """Our own modules named by the import-linter contracts (not the forbidden externals)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    linter = config["tool"]["importlinter"]
    names = set(linter["root_packages"])
    for contract in linter["contracts"]:
        names.update(contract.get("layers", []))
        names.update(contract.get("source_modules", []))
    return names


def _exists(module: str) -> bool:
    base = ROOT.joinpath(*module.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def test_import_linter_contracts_hold() -> None:
    missing = sorted(m for m in _contract_modules() if not _exists(m))
    if missing:
        pytest.skip(f"modules named by the import-linter contracts do not exist yet: {missing}")
    linter = Path(sys.executable).with_name("lint-imports")
    command = (
        [str(linter)]
        if linter.exists()
        else [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()"]
    )
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr

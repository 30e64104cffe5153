"""Read pip-audit's JSON report and decide what the audit says (called by .ci/audit).

    python3 .ci/audit_report.py REPORT.json STDERR.txt SERVICE

Exit 0: every package audited, no known vulnerability with a fix (those without a fix are
listed, and do not fail). Exit 1: at least one known vulnerability has a fixed version.
Exit 3: the audit could not run (no report), or some packages could not be audited (a service
that answers "not found" for packages that exist): printed as such, never as "audited".
Standard library only, so it runs before anything is installed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

PASSED, FOUND, COULD_NOT_AUDIT = 0, 1, 3


def verdict(report: dict[str, Any] | None, stderr: str, service: str) -> tuple[int, list[str]]:
    """The exit status and the lines to print, from a parsed report (None: there was none)."""
    if report is None:
        tail = [line for line in stderr.strip().splitlines() if line.strip()][-3:]
        return COULD_NOT_AUDIT, [
            f"audit: COULD NOT RUN: pip-audit made no report (service {service!r} unreachable?)",
            *(f"  {line}" for line in tail),
        ]
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    fixable, unfixed = [], []
    for dep in dependencies:
        for vuln in dep.get("vulns", []):
            line = f"{dep['name']} {dep.get('version', '?')}: {vuln.get('id', '?')}"
            if vuln.get("fix_versions"):
                fixable.append(f"{line} (fixed in {', '.join(vuln['fix_versions'])})")
            else:
                unfixed.append(f"{line} (no fixed version yet)")
    notes = [f"  known, no fix: {line}" for line in unfixed]
    if fixable:
        return FOUND, [
            f"audit: FAILED: {len(fixable)} known vulnerabilities with a fix:",
            *(f"  {line}" for line in fixable),
            *notes,
        ]
    if skipped:
        return COULD_NOT_AUDIT, [
            f"audit: COULD NOT AUDIT {len(skipped)} of {len(dependencies)} packages "
            f"(service {service!r}); this is NOT a clean audit. First reason:",
            f"  {skipped[0]['skip_reason']}",
            *notes,
        ]
    return PASSED, [
        f"audit: {len(dependencies)} packages audited ({service}): no known vulnerability "
        "with a fix",
        *notes,
    ]


def _load(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def main(argv: list[str]) -> int:
    report_path, stderr_path, service = argv
    try:
        stderr = Path(stderr_path).read_text(errors="replace")
    except OSError:
        stderr = ""
    status, lines = verdict(_load(Path(report_path)), stderr, service)
    print("\n".join(lines), file=sys.stderr if status else sys.stdout)
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

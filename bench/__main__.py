"""Command line of the benchmark harness.

    uv run --extra bench python -m bench run [--quick] [--peers LIST] [--workloads LIST]
    uv run --extra bench python -m bench report bench/results/<file>.json [--plots-dir DIR]
    uv run --extra bench python -m bench install-node

See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench import loadgen, procs, report
from bench.peers import PEERS, Peer, PeerUnavailable, install_node_peer, resolve
from bench.workloads import SCALES, WORKLOADS, Scale, WorkloadFailed

RESULTS_DIR = procs.BENCH_DIR / "results"
DOCS_PLOTS_DIR = procs.REPO_DIR / "docs" / "bench"


def _log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


async def run_peer(peer: Peer, scale: Scale, workloads: list[str]) -> dict[str, Any]:
    """Every workload on one peer. A peer that cannot be installed, or whose server does not
    come up for its first workload, is skipped with the reason (and the server's last output)."""
    entry: dict[str, Any] = {"name": peer.name, "label": peer.label, "workloads": {}}
    _log(f"{peer.name}: starting")
    try:
        await asyncio.to_thread(peer.prepare)
    except PeerUnavailable as exc:
        return _skip(entry, exc)
    entry["versions"] = peer.versions()
    entry["status"] = "ok"
    for n, name in enumerate(workloads):
        t0 = time.monotonic()
        _log(f"{peer.name}: {name} ...")
        try:
            result = await WORKLOADS[name](peer, scale)
        except PeerUnavailable as exc:
            if n == 0:
                return _skip(entry, exc)
            result = {"error": str(exc)[:2000]}
        except WorkloadFailed as exc:
            result = {"error": str(exc)[:2000]}
        except Exception as exc:
            result = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
        result["elapsed_s"] = round(time.monotonic() - t0, 2)
        entry["workloads"][name] = result
        if "error" in result:
            _log(f"{peer.name}: {name} FAILED: {result['error'][:300]}")
        else:
            _log(f"{peer.name}: {name} done in {result['elapsed_s']:.1f} s")
    if entry["workloads"] and all("error" in w for w in entry["workloads"].values()):
        entry["status"] = "error"
    return entry


def _skip(entry: dict[str, Any], exc: Exception) -> dict[str, Any]:
    text = str(exc)
    _log(f"{entry['name']}: SKIPPED, it does not start:\n    " + text.replace("\n", "\n    "))
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    reason = lines[0] if len(lines) < 2 else f"{lines[0]} ... {lines[-1]}"
    entry.update(status="skipped", reason=reason[:400], detail=text, workloads={})
    return entry


async def run(args: argparse.Namespace) -> dict[str, Any]:
    scale = SCALES["smoke" if args.smoke else "quick" if args.quick else "full"]
    workloads = _resolve_workloads(args.workloads)
    peers = resolve(args.peers)
    results: dict[str, Any] = {
        "schema": 1,
        "started_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "scale": scale.name,
        "params": scale.as_dict(),
        "workloads": workloads,
        "host": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "fd_limit": list(procs.raise_fd_limit()),
            "redis": procs.redis_binary(),
        },
        "placement": {
            "server_cpu": procs.SERVER_CPU,
            "loadgen_cpu": procs.LOADGEN_CPU,
            "pinned": args.pinned,
        },
        "validity": {
            "gen_cpu_limit_pct": loadgen.GEN_CPU_LIMIT_PCT,
            "gen_lag_p99_limit_ms": loadgen.GEN_LAG_LIMIT_MS,
        },
        "logs": str(procs.LOG_DIR),
        "peers": [],
    }
    for peer in peers:
        results["peers"].append(await run_peer(peer, scale, workloads))
    results["finished_at"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return results


def _resolve_workloads(spec: str) -> list[str]:
    if spec == "all":
        return list(WORKLOADS)
    names = [w.strip() for w in spec.split(",") if w.strip()]
    for n in names:
        if n not in WORKLOADS:
            raise SystemExit(f"unknown workload {n!r}; known: {', '.join(WORKLOADS)}")
    return names


def _event_loop_runner() -> asyncio.Runner:
    try:
        import uvloop

        return asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:
        return asyncio.Runner()


def cmd_run(args: argparse.Namespace) -> int:
    procs.install_exit_handlers()
    args.pinned = False if args.no_pin else procs.pin_self(procs.LOADGEN_CPU)
    if not args.pinned:
        _log("CPU pinning off (fewer than 2 CPUs or --no-pin): numbers are not comparable")
    try:
        with _event_loop_runner() as runner:
            results = runner.run(run(args))
    finally:
        procs.kill_all()
    stamp = results["started_at"].replace(":", "").replace("-", "")
    out = Path(args.json) if args.json else RESULTS_DIR / f"{stamp}-{results['scale']}.json"
    report.write_json(results, out)
    print()
    print(report.render(results))
    print()
    _log(f"results: {out}")
    _log(f"server logs: {procs.LOG_DIR}")
    if not args.no_plots:
        plots_dir = Path(args.plots_dir) if args.plots_dir else _default_plots_dir(results)
        for path in report.plot(results, plots_dir):
            _log(f"plot: {path}")
    return 0


def _default_plots_dir(results: dict[str, Any]) -> Path:
    # Only a full run may overwrite the plots that docs/benchmarks.md shows.
    if results["scale"] == "full":
        return DOCS_PLOTS_DIR
    return RESULTS_DIR / f"plots-{results['scale']}"


def cmd_report(args: argparse.Namespace) -> int:
    results = json.loads(Path(args.results).read_text())
    print(report.render(results))
    if args.plots_dir:
        for path in report.plot(results, Path(args.plots_dir)):
            _log(f"plot: {path}")
    return 0


def cmd_install_node(_args: argparse.Namespace) -> int:
    try:
        install_node_peer(quiet=False)
    except PeerUnavailable as exc:
        print(f"node peer unavailable: {exc}", file=sys.stderr)
        return 1
    print("node peer installed in", procs.SCRATCH_DIR / "node-peer")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)

    p_run = sub.add_parser("run", help="start the peers, run the workloads, print and save")
    size = p_run.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="scaled-down parameters (minutes)")
    size.add_argument("--smoke", action="store_true", help="tiny parameters (the smoke test)")
    p_run.add_argument(
        "--peers",
        default="all",
        help=f"comma list of {', '.join(PEERS)}; 'all' (default) is all but sharecircle-json",
    )
    p_run.add_argument(
        "--workloads", default="all", help=f"comma list or 'all' (default): {', '.join(WORKLOADS)}"
    )
    p_run.add_argument("--json", help="write the results here instead of bench/results/")
    p_run.add_argument(
        "--plots-dir", help="PNG folder (default: docs/bench/ for a full run, else bench/results/)"
    )
    p_run.add_argument("--no-plots", action="store_true")
    p_run.add_argument("--no-pin", action="store_true", help="do not pin processes to CPUs")
    p_run.set_defaults(func=cmd_run)

    p_rep = sub.add_parser("report", help="print the tables of a results file (and plot it)")
    p_rep.add_argument("results")
    p_rep.add_argument("--plots-dir")
    p_rep.set_defaults(func=cmd_report)

    p_node = sub.add_parser("install-node", help="npm-install the Node peer into bench/.scratch")
    p_node.set_defaults(func=cmd_install_node)

    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        procs.kill_all()
        print("\ninterrupted; every server was stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""Printing tables, writing the JSON results and drawing the PNG plots."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    out = []
    for n, row in enumerate(cells):
        out.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _status(item: dict[str, Any]) -> str:
    if not item.get("valid", True):
        return "INVALID (" + str(item.get("invalid_reason")) + ")"
    noisy = " (noisy)" if item.get("noisy") else ""
    if "pass" in item:
        return ("pass" if item["pass"] else "FAIL") + noisy
    return "ok" + noisy


def _workload(peer: dict[str, Any], name: str) -> dict[str, Any] | None:
    w = peer.get("workloads", {}).get(name)
    if not isinstance(w, dict) or "error" in w or "skipped" in w:
        return None
    return w


def render(results: dict[str, Any]) -> str:
    """The whole human-readable report of one run."""
    peers = results["peers"]
    parts: list[str] = []
    scale = results["scale"]

    status_rows = []
    for p in peers:
        problems = [
            f"{k}: {v.get('error') or v.get('skipped')}"
            for k, v in p.get("workloads", {}).items()
            if isinstance(v, dict) and ("error" in v or "skipped" in v)
        ]
        detail = p.get("reason") or "; ".join(problems) or ""
        status_rows.append([p["name"], p["status"], detail[:110]])
    parts.append("Peers\n" + table(["peer", "status", "detail"], status_rows))

    rows = []
    for p in peers:
        w = _workload(p, "fanout")
        if not w:
            continue
        for s in w["steps"]:
            rows.append(
                [
                    p["name"],
                    w["members"],
                    s["rate"],
                    s["sent"],
                    _fmt(s["delivered_per_s"], 0),
                    _fmt(s["delivery_ratio"], 4),
                    _fmt(s["p50_ms"], 2),
                    _fmt(s["p99_ms"], 2),
                    _fmt(s["server_cpu_pct"], 0),
                    _fmt(s.get("server_core_busy_pct"), 0),
                    _fmt(s["gen_cpu_pct"], 0),
                    _fmt(s.get("gen_core_busy_pct"), 0),
                    _fmt(s["gen_lag_p99_ms"], 1),
                    _status(s),
                ]
            )
    if rows:
        fans = [w for p in peers if (w := _workload(p, "fanout"))]
        fan = fans[0]
        s_ = results["params"]
        parts.append(
            f"(a) fan-out: 1 room, {s_['fanout_members']} members (joined: column 2),"
            f" {fan['publishers']} publishers,"
            f" {fan['msg_bytes']}-byte messages, open-loop ramp\n"
            + table(
                [
                    "peer",
                    "members",
                    "msgs/s",
                    "sent",
                    "deliv/s",
                    "ratio",
                    "p50 ms",
                    "p99 ms",
                    "srv CPU%",
                    "core0%",
                    "gen CPU%",
                    "core1%",
                    "lag p99",
                    "status",
                ],
                rows,
            )
        )

    summary = []
    for p in peers:
        if p["status"] != "ok":
            summary.append([p["name"], p["status"], "", "", "", "", ""])
            continue
        fw = _workload(p, "fanout")
        idle = _workload(p, "idle")
        storm = _workload(p, "storm")
        rooms = _workload(p, "rooms")
        two = _workload(p, "two-nodes")

        def mark(w: dict[str, Any] | None, text: str) -> str:
            if w is None:
                return "-"
            return text + ("" if w.get("valid", True) else " INVALID")

        summary.append(
            [
                p["name"],
                mark(fw, _fmt(fw["max_sustainable_rate"])) if fw else "-",
                mark(idle, _fmt(idle["kb_per_conn"], 1)) if idle else "-",
                mark(storm, f"{_fmt(storm['joins_per_s'], 0)} ({storm['failed']} failed)")
                if storm
                else "-",
                mark(
                    rooms,
                    f"{_fmt(rooms['cpu_s_per_1k_members_per_min'], 2)}"
                    f" (ratio {_fmt(rooms['delivery_ratio'], 3)})",
                )
                if rooms
                else "-",
                mark(two, f"{_fmt(two['extra_p50_ms'], 2)} / {_fmt(two['extra_p99_ms'], 2)}")
                if two
                else "-",
                mark(
                    two,
                    f"{_fmt(two['same_node']['p50_ms'], 2)} / {_fmt(two['cross_node']['p50_ms'], 2)}",
                )
                if two
                else "-",
            ]
        )
    s = results["params"]
    parts.append(
        "Summary\n"
        + table(
            [
                "peer",
                "(a) max msgs/s",
                f"(b) KB/conn @{s['idle_members']}",
                f"(c) joins/s @{s['storm_members']}",
                f"(d) CPU-s/1k/min @{s['rooms_count']}x{s['rooms_size']}",
                "(e) extra p50/p99 ms",
                "(e) p50 same/cross",
            ],
            summary,
        )
    )
    drain_rows = [
        [
            p["name"],
            f"{lay['rooms']} x {lay['room_size']}",
            lay["members"],
            lay["recovered"],
            ", ".join(f"{k}: {v}" for k, v in lay["not_recovered"].items()) or "-",
            f"{lay['drain_post_once']} / {lay['drain_post_twice']} / {lay['drain_post_missing']}",
            lay["missed_max"],
            _fmt(lay["seconds_to_last_resume"], 2),
        ]
        for p in peers
        if (w := _workload(p, "drain"))
        for lay in w["layouts"]
        if "error" not in lay
    ]
    if drain_rows:
        parts.append(
            "(f) drain: SIGTERM to node 0, everyone resumes on node 1 after the server's 1-5 s\n"
            + table(
                [
                    "peer",
                    "rooms",
                    "members",
                    "recovered",
                    "not recovered",
                    "post once/twice/missing",
                    "missed max",
                    "s to last resume",
                ],
                drain_rows,
            )
        )
    parts.append(
        f"scale={scale}; server on CPU {results['placement']['server_cpu']},"
        f" load generator + Redis on CPU {results['placement']['loadgen_cpu']}"
        f" (pinned: {results['placement']['pinned']}); max sustainable = highest valid step with"
        " ratio >= 0.99 and p99 <= 50 ms; INVALID = load generator CPU > 90%, its core > 95%"
        " busy, or loop lag p99 > 20 ms. srv/gen CPU% = process CPU; core0%/core1% = whole-core"
        " load from /proc/stat (incl. softirq and Redis); (noisy) = other processes on the machine"
        " used > 10% of a core during the step."
    )
    return "\n\n".join(parts)


def write_json(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")


def plot(results: dict[str, Any], out_dir: Path) -> list[Path]:
    """One PNG per workload in `out_dir`; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    peers = [p for p in results["peers"] if p["status"] == "ok"]
    subtitle = f"scale={results['scale']}, {results.get('started_at', '')}"

    fan = [(p["name"], w) for p in peers if (w := _workload(p, "fanout")) and w["steps"]]
    if fan:
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
        for name, w in fan:
            steps = w["steps"]
            rates = [s["rate"] for s in steps]
            ax1.plot(rates, [s["p99_ms"] or float("nan") for s in steps], marker="o", label=name)
            ax2.plot(rates, [s["delivered_per_s"] for s in steps], marker="o", label=name)
            bad = [s for s in steps if not s["valid"]]
            if bad:
                ax1.scatter(
                    [s["rate"] for s in bad],
                    [s["p99_ms"] or 0 for s in bad],
                    marker="x",
                    s=80,
                    color="black",
                    zorder=5,
                )
        members = int(results["params"]["fanout_members"])
        ax1.axhline(50, linestyle="--", color="grey", linewidth=1)
        ax1.set(
            xscale="log",
            yscale="log",
            xlabel="publish rate (msgs/s, total)",
            ylabel="p99 latency (ms)",
            title=f"fan-out p99 latency ({members} members)",
        )
        offered = sorted({s["rate"] for _n, w in fan for s in w["steps"]})
        ax2.plot(
            offered,
            [r * members for r in offered],
            linestyle=":",
            color="grey",
            label=f"offered ({members} members)",
        )
        ax2.set(
            xscale="log",
            yscale="log",
            xlabel="publish rate (msgs/s, total)",
            ylabel="deliveries/s",
            title="fan-out deliveries/s (x = INVALID step)",
        )
        for ax in (ax1, ax2):
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
        fig.suptitle(subtitle, fontsize=8)
        fig.tight_layout()
        path = out_dir / "fanout.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)

    def bars(name: str, key: str, ylabel: str, title: str, fname: str) -> None:
        data = []
        for p in peers:
            w = _workload(p, name)
            if w and w.get(key) is not None:
                data.append((p["name"], float(w[key]), w.get("valid", True)))
        if not data:
            return
        fig, ax = plt.subplots(figsize=(7, 4))
        colors = ["tab:blue" if ok else "tab:grey" for _n, _v, ok in data]
        ax.bar([d[0] for d in data], [d[1] for d in data], color=colors)
        for i, (_n, v, ok) in enumerate(data):
            ax.annotate(
                f"{v:,.1f}" + ("" if ok else " INVALID"),
                (i, v),
                ha="center",
                va="bottom",
                fontsize=8,
            )
        ax.set(ylabel=ylabel, title=title)
        ax.tick_params(axis="x", labelsize=8)
        fig.suptitle(subtitle, fontsize=8)
        fig.tight_layout()
        path = out_dir / fname
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)

    s = results["params"]
    bars(
        "idle",
        "kb_per_conn",
        "KB per connection (server RSS delta / N)",
        f"idle memory, {s['idle_members']} joined members",
        "idle_memory.png",
    )
    bars(
        "storm",
        "joins_per_s",
        "joins/s",
        f"join storm, {s['storm_members']} members at once",
        "join_storm.png",
    )
    bars(
        "rooms",
        "cpu_s_per_1k_members_per_min",
        "server CPU-seconds per 1,000 members per minute",
        f"many rooms, {s['rooms_count']} rooms x {s['rooms_size']} members",
        "many_rooms.png",
    )
    bars(
        "two-nodes",
        "extra_p99_ms",
        "cross-node minus same-node p99 (ms)",
        f"two nodes on one Redis, {s['two_members']} members, {s['two_rate']} msgs/s",
        "two_nodes.png",
    )
    return written

"""Benchmark harness for sharecircle and its peers.

Run it with ``uv run --extra bench python -m bench run [--quick]``; see docs/benchmarks.md.

Modules:

- ``procs``: child processes (servers, Redis) pinned to CPUs, free ports, kill-on-exit.
- ``protocols``: one small adapter per wire protocol (socket.io, plain websockets, sharecircle).
- ``loadgen``: the one shared picows load generator and its own saturation monitor.
- ``peers``: how each server under test is started.
- ``workloads``: fan-out ramp, idle memory, join storm, many rooms, two nodes.
- ``report``: the printed tables, the JSON results and the PNG plots.
"""

"""The privacy tests reuse the fault tests' fixtures: own Redis, node processes, shared clock."""

from tests.faults.conftest import live, redis, shared_clock, start_nodes

__all__ = ["live", "redis", "shared_clock", "start_nodes"]

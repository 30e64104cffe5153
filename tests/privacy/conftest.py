"""The privacy tests reuse the fault tests' fixtures: node processes and a live server (their
own Redis and shared clock come from tests/conftest.py)."""

from tests.faults.conftest import live, start_nodes

__all__ = ["live", "start_nodes"]

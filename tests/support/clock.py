"""A clock several real node processes share: an offset file every node reads."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["SharedClock"]


class SharedClock:
    """The test's handle on real nodes' clocks: an offset file every node reads
    (`test_clock_file`), so shares expire without anyone sleeping."""

    def __init__(self) -> None:
        handle, name = tempfile.mkstemp(prefix="sc-clock-")
        os.close(handle)
        self.path = Path(name)
        self.offset = 0.0
        self.path.write_text("0")

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        self.path.write_text(str(self.offset))

    def close(self) -> None:
        self.path.unlink(missing_ok=True)

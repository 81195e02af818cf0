"""A logging filter that caps how many records a logger emits per time window.

A hostile or broken indexer can send thousands of bad frames a second; each is counted,
but logging every one would flood the log file and slow the feed down. The first
`burst` records of each window pass; the rest are counted and the next record that
passes says how many were left out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class BurstLimit(logging.Filter):
    def __init__(
        self, burst: int = 20, window: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.burst = burst
        self.window = window
        self.clock = clock
        self._window_start = float("-inf")
        self._passed = 0
        self.suppressed = 0  # in total, for tests and the status screen
        self._pending = 0  # left out since the last record that passed

    def filter(self, record: logging.LogRecord) -> bool:
        now = self.clock()
        if now - self._window_start >= self.window:
            self._window_start, self._passed = now, 0
        if self._passed >= self.burst:
            self.suppressed += 1
            self._pending += 1
            return False
        self._passed += 1
        if self._pending:
            # Appended to the format string: escape nothing, it holds no '%'.
            record.msg = f"{record.msg} [{self._pending} similar messages left out before]"
            self._pending = 0
        return True


def limited_logger(name: str, burst: int = 20, window: float = 10.0) -> logging.Logger:
    """`logging.getLogger(name)` with one BurstLimit attached (once per process)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, BurstLimit) for f in logger.filters):
        logger.addFilter(BurstLimit(burst, window))
    return logger

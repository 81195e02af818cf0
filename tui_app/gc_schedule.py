"""Full garbage collections at quiet moments, not in the middle of a burst.

CPython starts a full collection whenever enough objects have outlived the younger
generations. With hundreds of orders on screen one walks everything they made and holds
the UI for 30-50 ms, and it tends to happen during a cancel-all or a burst of order
updates: exactly when the trader is watching. So, once the app has started
(tui_app.launch.resume_gc), automatic full collections are made rare, and the app runs one
itself when its orders and keys have been quiet for a second, with nothing under way, no
row awaiting a confirmation ("cancel sent") and no dialog open: at most every 10 s, and at
least every 5 minutes even if they never are. Young collections stay automatic (a few ms at most).
(What a full collection has to free shrank too: tui_app/widgets/strip_cycles.py.)
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

QUIET_SECONDS = 1.0  # no order changes or keys for this long: a pause goes unnoticed
MIN_INTERVAL = 10.0
MAX_INTERVAL = 300.0
# gc's third threshold: full collections after this many young (generation 1) ones instead
# of 10, i.e. after millions of allocations: a backstop behind the schedule.
RARE_FULL_COLLECTIONS = 1000


def make_full_collections_rare() -> None:
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, RARE_FULL_COLLECTIONS)


class FullCollections:
    """`busy()` on activity the trader watches; `tick()` every second or so."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        collect: Callable[[], object] = gc.collect,
    ) -> None:
        self._clock = clock
        self._collect = collect
        self._last_busy = self._last_full = clock()
        self.collections = 0

    def busy(self) -> None:
        self._last_busy = self._clock()

    def tick(self) -> bool:
        """Collect now if it is time; whether it did."""
        now = self._clock()
        since_full = now - self._last_full
        quiet = now - self._last_busy >= QUIET_SECONDS
        if since_full < MAX_INTERVAL and not (quiet and since_full >= MIN_INTERVAL):
            return False
        started = time.perf_counter()
        self._collect()
        self._last_full = self._clock()
        self.collections += 1
        log.debug("full collection in %.1f ms", (time.perf_counter() - started) * 1000)
        return True

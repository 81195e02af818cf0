"""The main screen: Textual's Screen, painting on a finer grid.

Textual paints a screen at most once per 1/60 s, on a fixed grid, and a paint that ran
late pushes the next one to the grid point after next (textual/timer.py skips missed
ticks): a flush of new rows that lands just after a grid point waits up to one period,
up to two after a late paint, before anyone sees it. The app already paces its flushes
at 60 a second (app.py, `flush_interval`), so a finer grid does not paint more often
under a burst; it lets each paint follow its flush (1,000 order updates/s: the wait
from the rows' update to the paint, p99 ~27 -> ~8 ms). Modal screens keep Textual's.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.timer import Timer

PAINT_GRID_SECONDS = 1 / 240


class MainScreen(Screen[None]):
    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._paint_timer: Timer | None = None

    @property
    def _update_timer(self) -> Timer:
        # Screen's own (textual/screen.py, 8.2.8), with our period.
        if self._paint_timer is None:
            self._paint_timer = self.set_interval(
                PAINT_GRID_SECONDS, self._on_timer_update, name="screen_update", pause=True
            )
        return self._paint_timer

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

import contextlib
from collections.abc import Iterator
from typing import Any, Self

from textual.geometry import Region
from textual.screen import Screen
from textual.timer import Timer

PAINT_GRID_SECONDS = 1 / 240


class MainScreen(Screen[None]):
    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._paint_timer: Timer | None = None
        self.paints = 0  # screens/dimmed.py: has it changed since a modal drew it?
        self._quiet_push = False

    @property
    def _update_timer(self) -> Timer:
        # Screen's own (textual/screen.py, 8.2.8), with our period.
        if self._paint_timer is None:
            self._paint_timer = self.set_interval(
                PAINT_GRID_SECONDS, self._on_timer_update, name="screen_update", pause=True
            )
        return self._paint_timer

    def _compositor_refresh(self) -> None:
        self.paints += 1
        super()._compositor_refresh()

    @contextlib.contextmanager
    def quiet_push(self) -> Iterator[None]:
        """While a dimmed modal is pushed over this screen (screens/dimmed.py, push_over):
        Textual's push_screen repaints the screen it covers, all of it, and the modal,
        which draws it dimmed anyway, would take that for a change and draw it again."""
        self._quiet_push = True
        try:
            yield
        finally:
            self._quiet_push = False

    def refresh(self, *regions: Region, **kwargs: Any) -> Self:
        if self._quiet_push and not regions and not any(kwargs.values()):
            return self
        return super().refresh(*regions, **kwargs)

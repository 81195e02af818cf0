"""Message rate over a sliding window, cheap enough to call once per message."""

from __future__ import annotations

from collections import deque


class RateMeter:
    """Counts events in one-second buckets over the last `window` seconds."""

    def __init__(self, window: float = 10.0) -> None:
        self.window = window
        self._buckets: deque[list[float]] = deque()  # [second, count], oldest first

    def add(self, now: float, count: int = 1) -> None:
        second = float(int(now))
        buckets = self._buckets
        if buckets and buckets[-1][0] == second:
            buckets[-1][1] += count
        else:
            buckets.append([second, count])
            self._trim(now)

    def per_second(self, now: float) -> float:
        self._trim(now)
        if not self._buckets:
            return 0.0
        # Over the window, or over the time since the first event if that is shorter, so
        # that the first seconds after a connect do not read as a trickle.
        span = min(self.window, max(1.0, now - self._buckets[0][0]))
        return sum(count for _, count in self._buckets) / span

    def _trim(self, now: float) -> None:
        buckets = self._buckets
        while buckets and buckets[0][0] <= now - self.window:
            buckets.popleft()

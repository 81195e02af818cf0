"""The app's clock, injected so that ages, countdowns and staleness are testable.

Two readings: wall time (order ages, good-til times, block age) and monotonic seconds (the
feed's `ConnectionStatus.last_message_at` is monotonic). Tests and screenshots use
`FixedClock`, so the same state always renders the same screen.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware wall time."""

    def monotonic(self) -> float:
        """Seconds on the same scale as ConnectionStatus.last_message_at."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class FixedClock:
    """A clock that moves only when told to (`advance`)."""

    def __init__(self, now: datetime, monotonic: float = 1000.0) -> None:
        if now.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = now
        self._monotonic = monotonic

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._monotonic += seconds

"""Exponential backoff with full jitter, for reconnects and retries.

`websockets`' own reconnect loop retries at once after an established connection drops; a
restarting indexer closes every client (code 1012) and would be hammered by all of them
at the same moment. Every retry here waits at least `initial` seconds, randomised.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    # Random part of each delay, as a fraction of it (FeedSettings.reconnect_jitter).
    jitter: float = 0.5
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next_delay(self) -> float:
        """Seconds to wait before the next attempt (and count the attempt)."""
        ceiling = min(self.maximum, self.initial * self.factor**self.attempt)
        self.attempt += 1
        # Part fixed, part random: never zero (unless jitter is 1), never all clients in step.
        random_part = ceiling * self.jitter
        return ceiling - random_part + self.rng.uniform(0, random_part)

    def reset(self) -> None:
        self.attempt = 0

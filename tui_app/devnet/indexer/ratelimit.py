"""comlink's per-IP rate limit: fixed windows, separate buckets for the heavy routes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

# Routes comlink limits in their own bucket (same size as the general one by default,
# except candles: 1000 per window).
_OWN_BUCKET_PREFIXES = (
    "/v4/orders",
    "/v4/fills",
    "/v4/historical-pnl",
    "/v4/pnl",
    "/v4/candles",
)
CANDLES_BUCKET = "/v4/candles"


@dataclass(frozen=True)
class RateLimit:
    """`points` requests per `window_seconds` and per client address (dYdX: 100 per 10 s)."""

    points: int = 100
    window_seconds: float = 10.0
    # comlink's RATE_LIMIT_CANDLES_POINTS (same window).
    candles_points: int = 1000

    def points_of(self, bucket: str) -> int:
        return self.candles_points if bucket == CANDLES_BUCKET else self.points


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_ms: int  # epoch milliseconds at which the window ends

    def headers(self, now_ms: int) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_ms),
        }
        if not self.allowed:
            # dYdX sends Retry-After in milliseconds, not the HTTP standard's seconds.
            headers["Retry-After"] = str(max(self.reset_ms - now_ms, 0))
        return headers


def bucket_of(path: str) -> str:
    for prefix in _OWN_BUCKET_PREFIXES:
        if path.startswith(prefix):
            return prefix
    return "general"


class RateLimiter:
    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.clock = clock
        # (client, bucket) -> (window start, hits)
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}

    def hit(self, client: str, path: str) -> Decision:
        now = self.clock()
        bucket = bucket_of(path)
        points = self.limit.points_of(bucket)
        key = (client, bucket)
        start, hits = self._windows.get(key, (now, 0))
        if now - start >= self.limit.window_seconds:
            start, hits = now, 0
        hits += 1
        self._windows[key] = (start, hits)
        reset_ms = int((start + self.limit.window_seconds) * 1000)
        return Decision(
            allowed=hits <= points,
            limit=points,
            remaining=max(points - hits, 0),
            reset_ms=reset_ms,
        )

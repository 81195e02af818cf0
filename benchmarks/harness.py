"""What every benchmark shares: rows of results, their statistics, the table, RESULTS.md,
and a loop-lag probe.

A benchmark is a function `async def bench(ctx: Context) -> list[Row]`. A Row carries the
raw samples of our figure and, where there is one, of the baseline measured in the same
run; the table derives median, p99, min/max and the ratio from them.
"""

from __future__ import annotations

import asyncio
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime


def percentile(samples: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100), nearest rank: an observed value, never interpolated."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Stats:
    median: float
    p99: float
    low: float
    high: float
    count: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Stats:
        if not samples:
            return cls(math.nan, math.nan, math.nan, math.nan, 0)
        return cls(statistics.median(samples), percentile(samples, 99), min(samples),
                   max(samples), len(samples))  # fmt: skip


@dataclass
class Row:
    """One line of the table.

    `samples` are in `unit` (ms for times, /s for rates, MB for memory). `met` decides the
    target from the row itself (None: no target). `ratio` is our median divided by the
    baseline's median, in the row's unit: below 1 means less time (or, for a rate, less
    throughput) than the baseline.
    """

    group: str  # the --only name: cancel-all, place, feed, latency, stall, scale, store, ...
    what: str
    latency: str  # devnet latency: "0 ms", "50 ms", or "—" when no devnet is involved
    unit: str
    samples: list[float]
    baseline: list[float] | None = None
    baseline_name: str = ""
    target: str = ""
    met: Callable[[Row], bool] | None = None
    note: str = ""

    @property
    def stats(self) -> Stats:
        return Stats.of(self.samples)

    @property
    def baseline_stats(self) -> Stats | None:
        return Stats.of(self.baseline) if self.baseline else None

    @property
    def ratio(self) -> float | None:
        base = self.baseline_stats
        if base is None or not base.median or math.isnan(base.median):
            return None
        return self.stats.median / base.median

    def verdict(self) -> str:
        if self.met is None:
            return ""
        if not self.samples:
            return "no data"
        return "yes" if self.met(self) else "NO"


# ----- formatting ------------------------------------------------------------------------


def fmt(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    magnitude = abs(value)
    if magnitude >= 10_000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def fmt_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    if ratio < 1:
        return f"{ratio:.3g} (1/{1 / ratio:.3g})"
    return f"{ratio:.3g}"


HEADERS = ("what", "devnet latency", "unit", "n", "median", "p99", "min / max", "baseline",
           "baseline median", "ratio", "target", "met?")  # fmt: skip


def table_rows(rows: Sequence[Row]) -> list[tuple[str, ...]]:
    out = []
    for r in rows:
        s, b = r.stats, r.baseline_stats
        out.append((
            r.what, r.latency, r.unit, str(s.count), fmt(s.median), fmt(s.p99),
            f"{fmt(s.low)} / {fmt(s.high)}", r.baseline_name or "—",
            fmt(b.median) if b else "—", fmt_ratio(r.ratio), r.target or "—", r.verdict() or "—",
        ))  # fmt: skip
    return out


def markdown_table(rows: Sequence[Row]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for cells in table_rows(rows):
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def text_table(rows: Sequence[Row]) -> str:
    body = table_rows(rows)
    widths = [max(len(h), *(len(c[i]) for c in body)) if body else len(h)
              for i, h in enumerate(HEADERS)]  # fmt: skip
    line = "  ".join(h.ljust(w) for h, w in zip(HEADERS, widths, strict=True))
    out = [line, "-" * len(line)]
    for cells in body:
        out.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))
    return "\n".join(out)


def cpu_speed() -> float:
    """json.loads of one feed message, per second of CPU: how fast this machine is right
    now. On a shared host the same core runs at different speeds from hour to hour; the
    absolute figures (feed, store, start) follow it, the ratios to baselines much less."""
    import json

    from benchmarks.parse_apply import order_update

    message = order_update(1, 1, 1)
    count, start = 0, time.process_time()
    while time.process_time() - start < 0.3:
        for _ in range(1000):
            json.loads(message)
        count += 1000
    return count / (time.process_time() - start)


def machine_info() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                                text=True, timeout=10, cwd=os.path.dirname(__file__)).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit or "unknown",
        "load average (1, 5, 15 min)": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu count": str(os.cpu_count()),
    }


# ----- measuring the event loop ---------------------------------------------------------------


class LoopLagProbe:
    """A task that sleeps 5 ms again and again and records by how much each wake-up was
    late: the longest overshoot is the longest time the loop could not run anything."""

    INTERVAL = 0.005

    def __init__(self) -> None:
        self.lags: list[float] = []  # seconds late, per wake-up
        self._task: asyncio.Task[None] | None = None
        self.recording = False

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="loop-lag-probe")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    def reset(self) -> None:
        self.lags = []

    @property
    def worst_ms(self) -> float:
        return max(self.lags, default=0.0) * 1000

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.INTERVAL)
            if self.recording:
                self.lags.append(max(0.0, time.perf_counter() - before - self.INTERVAL))


@dataclass
class Timer:
    """`with Timer() as t: ...; t.ms`"""

    start: float = 0.0
    ms: float = 0.0
    laps: list[float] = field(default_factory=list)

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.ms = (time.perf_counter() - self.start) * 1000

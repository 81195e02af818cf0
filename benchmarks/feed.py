"""feed: indexer order updates parsed (parse_message) and applied (AccountState.apply) per
second on one core, against json.loads of the same messages alone.

CPU time of this process (time.process_time), so a busy machine does not count against
the parser. The messages are those of benchmarks/parse_apply.py: compact JSON shaped like
the real captures, 1,000 live orders, fills growing until FILLED.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from benchmarks.harness import Row
from benchmarks.parse_apply import ADDRESS, ORDERS, order_update
from tui_app.models import parse_message
from tui_app.state import AccountState

if TYPE_CHECKING:
    from benchmarks.__main__ import Context


def parse_and_apply_rate(frames: list[bytes]) -> float:
    state = AccountState(ADDRESS, 0)
    state.subscribe(lambda change: None)  # the app listens: changes are built and sent
    start = time.process_time()
    for raw in frames:
        state.apply(parse_message(raw))
    elapsed = time.process_time() - start
    if state.apply_errors:
        raise RuntimeError(f"{state.apply_errors} messages failed to apply")
    return len(frames) / elapsed


def json_loads_rate(frames: list[bytes]) -> float:
    loads = json.loads
    start = time.process_time()
    for raw in frames:
        loads(raw)
    return len(frames) / (time.process_time() - start)


def make_frames(count: int) -> list[bytes]:
    return [order_update(i + 1, i % ORDERS, i // ORDERS) for i in range(count)]


async def bench_feed(ctx: Context) -> list[Row]:
    count = 10_000 if ctx.quick else 100_000
    frames = make_frames(count)
    ours, base = [], []
    for _ in range(ctx.iterations(5)):
        ours.append(parse_and_apply_rate(frames))
        base.append(json_loads_rate(frames))
    return [Row(
        "feed", f"feed: order updates parsed + applied ({count:,} msgs, {len(frames[0])} B)",
        "—", "msgs/s", ours, base, "json.loads alone", "≥ 50,000/s",
        lambda r: r.stats.median >= 50_000,
    )]  # fmt: skip

"""feed: indexer order updates parsed (parse_message) and applied (AccountState.apply) per
second on one core, against json.loads of the same messages alone.

CPU time of this process (time.process_time), so a busy machine does not count against
the parser. The messages are those of benchmarks/parse_apply.py: compact JSON shaped like
the real captures, 1,000 live orders, fills growing until FILLED.

The row's note splits the cost: parse_message alone, pydantic's validation alone (the
floor of a typed parse: Rust JSON parsing plus Decimal/int/datetime fields and models),
and AccountState.apply alone.

The garbage collector is handled as in `dydx-tui`: what existed before the feed started
is frozen (tui_app.launch.resume_gc), so collections walk only what the feed made, not
the heap the earlier benchmark groups left in this process.
"""

from __future__ import annotations

import contextlib
import gc
import json
import time
from collections.abc import Callable, Iterator
from statistics import median
from typing import TYPE_CHECKING, Any

from benchmarks.harness import Row
from benchmarks.parse_apply import ADDRESS, ORDERS, order_update
from tui_app.models import parse_message
from tui_app.models.envelopes import MESSAGE_ADAPTER
from tui_app.state import AccountState

if TYPE_CHECKING:
    from benchmarks.__main__ import Context


@contextlib.contextmanager
def heap_as_in_the_app() -> Iterator[None]:
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


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


def rate_of(call: Callable[[Any], Any], items: list[Any]) -> float:
    start = time.process_time()
    for item in items:
        call(item)
    return len(items) / (time.process_time() - start)


def split_rates(frames: list[bytes]) -> dict[str, float]:
    """Messages per second of each part alone: where the time of parse + apply goes."""
    messages = [parse_message(raw) for raw in frames]
    state = AccountState(ADDRESS, 0)
    state.subscribe(lambda change: None)
    return {
        "parse_message": rate_of(parse_message, frames),
        "pydantic validate_json": rate_of(MESSAGE_ADAPTER.validator.validate_json, frames),
        "apply": rate_of(state.apply, messages),
    }


def make_frames(count: int) -> list[bytes]:
    return [order_update(i + 1, i % ORDERS, i // ORDERS) for i in range(count)]


async def bench_feed(ctx: Context) -> list[Row]:
    count = 10_000 if ctx.quick else 100_000
    frames = make_frames(count)
    ours, base, parts = [], [], []
    for _ in range(ctx.iterations(5)):
        with heap_as_in_the_app():
            ours.append(parse_and_apply_rate(frames))
            base.append(json_loads_rate(frames))
            parts.append(split_rates(frames))
    split = ", ".join(
        f"{name} alone {median([p[name] for p in parts]):,.0f}/s" for name in parts[0]
    )
    return [Row(
        "feed", f"feed: order updates parsed + applied ({count:,} msgs, {len(frames[0])} B)",
        "—", "msgs/s", ours, base, "json.loads alone", "≥ 50,000/s",
        lambda r: r.stats.median >= 50_000, note=split,
    )]  # fmt: skip

"""`python -m benchmarks [--quick] [--only NAME ...]`: run the suite, print the table, write
benchmarks/RESULTS.md.

Every benchmark group is an `async def bench(ctx) -> list[Row]`; end-to-end groups run once
per devnet latency (0 and 50 ms). Devnets are started on 127.0.0.1 with free ports when a
group first asks for one, and all are stopped at the end.

Each group runs in a fresh Python process of its own (as the app runs in its own): what
one group leaves behind (a heap grown by 100,000 feed messages or store rows, memory
fragmentation, threads, sockets) must not tax the next. The parent gathers the rows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from benchmarks.devnet_process import DevnetProcess
from benchmarks.harness import Row, cpu_speed, machine_info, markdown_table, text_table

# dydx_v4_client warns about its own LOCAL constant's URL when first imported.
logging.getLogger("dydx_v4_client.network").setLevel(logging.ERROR)

LATENCIES = (0, 50)
RESULTS = Path(__file__).with_name("RESULTS.md")

Bench = Callable[["Context"], Awaitable[list[Row]]]
GROUPS = ("cancel-all", "place", "feed", "store", "latency", "stall", "scale", "start", "memory")
NO_DEVNET = frozenset({"feed", "store", "memory"})  # groups that need no devnet


def groups() -> dict[str, Bench]:
    """The benchmark groups, in the order they run (imports are lazy: --only stays fast)."""
    from benchmarks import feed, memory, start, store, trading, ui

    table = {
        "cancel-all": trading.bench_cancel_all,
        "place": trading.bench_place,
        "feed": feed.bench_feed,
        "store": store.bench_store,
        "latency": ui.bench_update_latency,
        "stall": ui.bench_stall,
        "scale": ui.bench_scale,
        "start": start.bench_start,
        "memory": memory.bench_memory,
    }
    assert tuple(table) == GROUPS
    return table


class Context:
    """What a benchmark group gets: the size of the run, a scratch directory, devnets."""

    def __init__(self, workdir: Path, quick: bool, verbose: bool = True) -> None:
        self.workdir = workdir
        self.quick = quick
        self.verbose = verbose
        self.latencies = LATENCIES
        self._devnets: dict[tuple[int, str], DevnetProcess] = {}

    def iterations(self, full: int) -> int:
        """How many repetitions: `full`, or 1 with --quick."""
        return 1 if self.quick else full

    def devnet(self, latency_ms: int, block_time: str = "1.0") -> DevnetProcess:
        """One devnet at a time: an idle devnet still makes blocks and feeds its indexer,
        and on 2 cores that work halved the CPU-bound figures measured beside it."""
        key = (latency_ms, block_time)
        if key not in self._devnets:
            self.stop_devnets()
            self._devnets[key] = DevnetProcess(latency_ms, block_time=block_time)
        return self._devnets[key]

    def stop_devnets(self) -> None:
        for devnet in self._devnets.values():
            devnet.stop_sync()
        self._devnets.clear()

    def log(self, text: str) -> None:
        if self.verbose:
            print(f"  {text}", file=sys.stderr, flush=True)


async def run(names: list[str], ctx: Context) -> list[Row]:
    table = groups()
    rows: list[Row] = []
    try:
        for name in names:
            started = time.perf_counter()
            print(f"[{name}] running...", file=sys.stderr, flush=True)
            if name in NO_DEVNET:
                ctx.stop_devnets()  # nothing of theirs running beside a CPU-bound measurement
            got = await table[name](ctx)
            rows.extend(got)
            print(f"[{name}] done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            print(text_table(got), file=sys.stderr, flush=True)
    finally:
        ctx.stop_devnets()
    return rows


def run_isolated(names: list[str], quick: bool, workdir: Path) -> list[Row]:
    """Each group in a child process (`--rows-to`); their rows, in order."""
    rows: list[Row] = []
    for name in names:
        out = workdir / f"rows-{name}.json"
        command = [sys.executable, "-m", "benchmarks", "--only", name, "--rows-to", str(out)]
        if quick:
            command.append("--quick")
        # The child prints its progress and table to stderr, as an in-process run does.
        done = subprocess.run(command, stdout=subprocess.DEVNULL, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"benchmark group {name!r} failed (exit {done.returncode})")
        rows += [_row_from_json(r) for r in json.loads(out.read_text())]
    return rows


def _row_to_json(row: Row) -> dict:
    met = None if row.met is None or not row.samples else row.met(row)
    return {"group": row.group, "what": row.what, "latency": row.latency, "unit": row.unit,
            "samples": row.samples, "baseline": row.baseline,
            "baseline_name": row.baseline_name, "target": row.target, "met": met,
            "note": row.note}  # fmt: skip


def _row_from_json(data: dict) -> Row:
    met = data.pop("met")
    # The child judged the target with the row's own rule; the verdict travels as is.
    return Row(**data, met=None if met is None else (lambda _row, verdict=met: verdict))


def write_results(rows: list[Row], quick: bool, seconds: float, path: Path = RESULTS,
                  speeds: tuple[float, float] | None = None) -> None:  # fmt: skip
    from benchmarks.findings import FINDINGS

    info = machine_info()
    if speeds is not None:
        info["cpu speed, start / end of the run"] = (
            f"{speeds[0]:,.0f} / {speeds[1]:,.0f} json.loads of a 727-byte feed message per "
            "CPU second (from run to run on this host: ~50,000 to ~105,000)"
        )
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `.venv/bin/python -m benchmarks{' --quick' if quick else ''}` "
        f"in {seconds:.0f} s.",
        "",
        *(f"- {k}: {v}" for k, v in info.items()),
        "",
        "Times in ms, rates in messages per second, memory in MB. `ratio` is our median "
        "divided by the baseline's median, in the row's unit (below 1: less time, or for a "
        "rate less throughput, than the baseline). p99 is the nearest-rank 99th percentile. "
        "`devnet latency` is the delay the devnet adds to every gRPC call, REST request and "
        "WebSocket message.",
        "",
        markdown_table(rows),
        "",
    ]
    notes = [f"- {r.what} ({r.latency}): {r.note}" for r in rows if r.note]
    if notes:
        lines += ["Notes from the run:", "", *notes, ""]
    lines += [FINDINGS.strip(), ""]
    path.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true",
                        help="few iterations: a smoke run of every benchmark")  # fmt: skip
    parser.add_argument("--only", action="append", metavar="NAME",
                        help=f"run only this group (repeatable): {', '.join(GROUPS)}")  # fmt: skip
    parser.add_argument("--output", type=Path, default=RESULTS,
                        help="the Markdown table (default: benchmarks/RESULTS.md)")  # fmt: skip
    parser.add_argument("--rows-to", type=Path, help=argparse.SUPPRESS)  # a child's output
    parser.add_argument("--in-process", action="store_true",
                        help="run every group in this one process (quicker to start; "
                        "a group may then tax the next)")  # fmt: skip
    args = parser.parse_args(argv)
    names = list(GROUPS)
    if args.only:
        unknown = [n for n in args.only if n not in names]
        if unknown:
            parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(names)}")
        names = [n for n in names if n in args.only]
    # The devnet and the app log at INFO; the table is the output here.
    logging.basicConfig(level=logging.ERROR)
    child = args.rows_to is not None
    speed_before = 0.0 if child else cpu_speed()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dydx-bench-") as tmp:
        # Nothing of the run lands in the user's own config, data or log directories.
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
            os.environ[name] = str(Path(tmp) / name.lower())
        if child or args.in_process or len(names) == 1:
            rows = asyncio.run(run(names, Context(Path(tmp), quick=args.quick)))
        else:
            rows = run_isolated(names, args.quick, Path(tmp))
    if child:  # of run_isolated: the parent writes the table
        args.rows_to.write_text(json.dumps([_row_to_json(r) for r in rows]))
        return 0
    seconds = time.perf_counter() - started
    print()
    print(text_table(rows))
    speeds = (speed_before, cpu_speed())
    write_results(rows, args.quick, seconds, args.output, speeds)
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

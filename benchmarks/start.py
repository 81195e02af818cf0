"""start: process start -> live data on screen. `dydx-tui` (the installed command, as the
README runs it) is spawned under a pseudo-terminal with DYDX_* pointing at the benchmark
devnet; the clock stops at the first output that shows one of alice's resting orders (its
price, which only the indexer can have told the app). Baseline: `python -c "import textual"`.

Start-up is CPU-bound (imports, the first render; the network round trips overlap them),
so on a shared machine the wall time mostly measures the other load: the row's note adds
the process's own CPU time (all threads) at that moment, read from /proc.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.devnet_process import DevnetProcess
from benchmarks.devnet_tools import resting_orders
from benchmarks.harness import Row

if TYPE_CHECKING:
    from benchmarks.__main__ import Context

PRICE_USD = 12_345
MARKER = b"12,345"  # the price as the orders table shows it (BTC-USD tick: $1)
TIMEOUT = 60.0
ANSI = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


def command() -> list[str]:
    script = Path(sys.executable).with_name("dydx-tui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui_app"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process, all threads (0 where /proc is missing)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_to_live_frame(devnet: DevnetProcess, home: Path) -> tuple[float, float]:
    """Seconds from spawning `dydx-tui` to the marker on its terminal, and the CPU seconds
    the process had used by then."""
    e = devnet.endpoints
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="160", LINES="50",
               DYDX_GRPC_ADDR=e.grpc, DYDX_REST_URL=e.rest_url, DYDX_WS_URL=e.ws_url,
               XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
               XDG_STATE_HOME=str(home / "state"))  # fmt: skip
    for name in ("DYDX_MNEMONIC", "DYDX_MNEMONIC_FILE", "DYDX_TUI_CONFIG", "TEXTUAL"):
        env.pop(name, None)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen(command(), stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True, close_fds=True)  # fmt: skip
    os.close(slave)
    seen = b""
    try:
        while True:
            left = TIMEOUT - (time.perf_counter() - start)
            if left <= 0:
                raise TimeoutError(f"no live frame in {TIMEOUT:.0f} s; screen: {seen[-400:]!r}")
            ready, _, _ = select.select([master], [], [], min(left, 0.5))
            if not ready:
                if proc.poll() is not None:
                    raise RuntimeError(f"dydx-tui exited {proc.returncode}: {seen[-400:]!r}")
                continue
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:  # the child closed the terminal
                raise RuntimeError(f"dydx-tui exited: {seen[-400:]!r}") from None
            # Keep a tail across reads: the marker may straddle two chunks.
            seen = (seen + ANSI.sub(b"", chunk))[-4096:]
            if MARKER in seen:
                return time.perf_counter() - start, cpu_seconds(proc.pid)
    finally:
        _stop(proc)
        os.close(master)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def import_textual() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import textual"], check=True)
    return time.perf_counter() - start


async def bench_start(ctx: Context) -> list[Row]:
    rows = []
    for latency in ctx.latencies:
        devnet = ctx.devnet(latency)
        ours, base, cpu = [], [], []
        async with resting_orders(devnet, 1, price_usd=PRICE_USD):
            for i in range(ctx.iterations(5)):
                home = ctx.workdir / f"start-{latency}-{i}"
                wall, used = await asyncio.to_thread(time_to_live_frame, devnet, home)
                ours.append(wall * 1000)
                cpu.append(used * 1000)
                base.append(await asyncio.to_thread(import_textual) * 1000)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        note = (f"CPU used by dydx-tui until then: median {statistics.median(cpu):.0f} ms "
                f"(min {min(cpu):.0f}); load average {load:.1f}")  # fmt: skip
        rows.append(Row("start", "start: process start → live data on screen", f"{latency} ms",
                        "ms", ours, base, 'python -c "import textual"', "< 1.5 s",
                        lambda r: r.stats.median < 1500, note=note))  # fmt: skip
    return rows

"""A benchmark devnet in a child process of its own, as a remote node and indexer are.

With `dydx-tui`'s embedded devnet the simulator runs on a thread of the app's process, so
its CheckTx, matching, JSON encoding and WebSocket sends take the GIL from the app. A real
node and indexer do not: the benchmarks measure the app against a devnet in another
process (`python -m benchmarks.devnet_process`, a fresh interpreter: nothing is forked,
nothing of the caller's main module is re-imported).

The parent drives it over a pipe with named operations (`Operations`); each runs in the
child, on the devnet's loop where it touches chain or indexer state. Only plain values
cross the pipe (bytes, ints, strings, tuples).
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
import traceback
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NamedTuple

from tui_app.devnet.node import DevnetConfig, DevnetEndpoints

PROJECT_ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_SECONDS = 60.0
REQUEST_TIMEOUT_SECONDS = 180.0


class OpenOrder(NamedTuple):
    """An order of alice's that the devnet chain holds open."""

    client_id: int
    order_flags: int
    clob_pair_id: int
    good_til_block: int


class DevnetProcess:
    """Starts the devnet in a child process; `stop_sync` ends it. Thread-safe: one request
    at a time goes over the pipe."""

    def __init__(self, latency_ms: int, *, block_time: str = "1.0") -> None:
        ours, theirs = socket.socketpair()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.devnet_process", str(theirs.fileno()),
             str(latency_ms), block_time],
            cwd=PROJECT_ROOT, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
        )  # fmt: skip
        theirs.close()
        self._conn = Connection(ours.detach())
        self._lock = threading.Lock()
        self.config = DevnetConfig(latency_ms=latency_ms, block_time=Decimal(block_time))
        self.faults = RemoteFaults(self)
        try:
            self.endpoints: DevnetEndpoints = self._answer("start", START_TIMEOUT_SECONDS)
        except BaseException:
            self._kill()
            raise

    def request(self, operation: str, *args: Any,
                timeout: float = REQUEST_TIMEOUT_SECONDS) -> Any:  # fmt: skip
        """Run `Operations.<operation>(*args)` in the devnet process; its return value."""
        with self._lock:
            self._conn.send((operation, args))
            return self._answer(operation, timeout)

    async def arequest(self, operation: str, *args: Any,
                       limit: float = REQUEST_TIMEOUT_SECONDS) -> Any:  # fmt: skip
        """`request` without blocking the caller's event loop (`limit`: its timeout)."""
        return await asyncio.to_thread(self.request, operation, *args, timeout=limit)

    def stop_sync(self) -> None:
        if self._process.poll() is not None:
            return
        try:
            self.request("stop", timeout=30)
            self._process.wait(30)
        except Exception:  # noqa: BLE001 - stopping anyway
            pass
        self._kill()

    # Lock held by the caller (or no one else has the object yet).
    def _answer(self, operation: str, timeout: float) -> Any:
        if not self._conn.poll(timeout):
            raise TimeoutError(f"the devnet process did not answer {operation!r} "
                               f"in {timeout:.0f} s")  # fmt: skip
        ok, value = self._conn.recv()
        if not ok:
            raise RuntimeError(f"the devnet process failed {operation!r}:\n{value}")
        return value

    def _kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait(10)
        self._conn.close()


class RemoteFaults:
    """`devnet.faults.latency_ms = 0`, `devnet.faults.freeze_blocks = True`, forwarded to
    the devnet process (the two faults the benchmarks use)."""

    FIELDS = ("latency_ms", "freeze_blocks")

    def __init__(self, devnet: DevnetProcess) -> None:
        object.__setattr__(self, "_devnet", devnet)

    def __getattr__(self, name: str) -> Any:
        if name not in self.FIELDS:
            raise AttributeError(name)
        return self._devnet.request("get_fault", name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self.FIELDS:
            raise AttributeError(f"the benchmark devnet has no fault {name!r}")
        self._devnet.request("set_fault", name, value)


# ----- in the child process --------------------------------------------------------------------


def serve(conn: Connection, latency_ms: int, block_time: str) -> None:
    """The child's main: start the devnet, answer requests until "stop" or a closed pipe."""
    from benchmarks.devnet_tools import start_devnet

    try:
        devnet = start_devnet(latency_ms, block_time=block_time)
    except BaseException:
        conn.send((False, traceback.format_exc()))
        return
    conn.send((True, devnet.endpoints))
    operations = Operations(devnet)
    try:
        while True:
            try:
                operation, args = conn.recv()
            except EOFError:  # the parent is gone
                return
            if operation == "stop":
                devnet.stop_sync()
                conn.send((True, None))
                return
            try:
                conn.send((True, getattr(operations, operation)(*args)))
            except Exception:  # noqa: BLE001 - reported to the parent, which raises it
                conn.send((False, traceback.format_exc()))
    finally:
        devnet.stop_sync()


class Operations:
    """What the parent may ask of the devnet, run in the child."""

    def __init__(self, devnet: Any) -> None:
        self.devnet = devnet

    def get_fault(self, name: str) -> Any:
        return getattr(self.devnet.faults, name)

    def set_fault(self, name: str, value: Any) -> None:
        setattr(self.devnet.faults, name, value)

    def account(self, address: str) -> tuple[int, int]:
        """(account number, sequence) of an account on the chain."""
        account = self.devnet.call(lambda: self.devnet.chain.accounts.get(address))
        return account.account_number, account.sequence

    def height(self) -> int:
        return self.devnet.call(lambda: self.devnet.chain.height)

    def check_txs(self, txs: list[bytes]) -> list[tuple[int, str]]:
        """CheckTx every tx on the devnet loop, in one call: (code, log) of each."""
        chain = self.devnet.chain
        results = self.devnet.call(lambda: [chain.check_tx(tx) for tx in txs], timeout=120)
        return [(r.code, r.raw_log) for r in results]

    def open_orders_of(self, address: str) -> list[OpenOrder]:
        def collect() -> list[OpenOrder]:
            return [OpenOrder(o.order_id.client_id, o.order_id.order_flags,
                              o.order_id.clob_pair_id, o.good_til_block)
                    for o in self.devnet.chain.open_orders()
                    if o.order_id.subaccount.owner == address]  # fmt: skip

        return self.devnet.call(collect)

    def open_on_indexer(self, address: str) -> int:
        """How many orders of `address`'s subaccount 0 the indexer shows as open."""
        from tui_app.devnet.types import SubaccountId

        store = self.devnet._indexer.store
        subaccount = SubaccountId(address, 0)

        def count() -> int:
            return sum(1 for r in store.order_records(subaccount)
                       if r.status in ("OPEN", "BEST_EFFORT_OPENED", "UNTRIGGERED"))  # fmt: skip

        return self.devnet.call(count)

    def pump(self, order_ids: list[str], first_seq: int, rate: float,
             seconds: float) -> dict[int, float]:  # fmt: skip
        """Emit order updates at `rate` for `seconds` (see devnet_tools.UpdatePump); the
        perf_counter() of each emission by seq (CLOCK_MONOTONIC: the parent's clock too)."""
        emitted: dict[int, float] = {}
        future = asyncio.run_coroutine_threadsafe(
            emit_updates(self.devnet, order_ids, first_seq, rate, seconds, emitted),
            self.devnet._loop,
        )
        future.result(seconds + 120)
        return emitted


async def emit_updates(devnet: Any, order_ids: list[str], first_seq: int, rate: float,
                       seconds: float, emitted: dict[int, float]) -> None:  # fmt: skip
    """On the devnet loop: publish `rate * seconds` order updates through the indexer's own
    path, on schedule (catching up after a late wake-up keeps the average rate)."""
    from tui_app.devnet.indexer.store import SUBACCOUNTS, Change, subaccount_channel_id

    store = devnet._indexer.store
    records = [store.orders[oid] for oid in order_ids]
    channel = subaccount_channel_id(records[0].order.order_id.subaccount)
    loop = asyncio.get_running_loop()
    total = int(rate * seconds)
    start = loop.time()
    sent = 0
    while sent < total:
        delay = start + sent / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        due_count = max(sent + 1, min(total, int((loop.time() - start) * rate) + 1))
        while sent < due_count:
            seq = first_seq + sent
            record = records[seq % len(records)]
            body = record.fill_message()
            body["totalFilled"] = str(Decimal(seq % 999 + 1) / 10_000)
            body["clientMetadata"] = str(seq)
            emitted[seq] = time.perf_counter()
            contents = {"orders": [body], "blockHeight": str(store.height)}
            store._publish(Change(SUBACCOUNTS, channel, contents))
            sent += 1


if __name__ == "__main__":  # python -m benchmarks.devnet_process FD LATENCY_MS BLOCK_TIME
    # Through the module's real name: what crosses the pipe (OpenOrder) must unpickle as
    # benchmarks.devnet_process.OpenOrder in the parent, not as __main__.OpenOrder.
    from benchmarks import devnet_process

    devnet_process.serve(Connection(int(sys.argv[1])), int(sys.argv[2]), sys.argv[3])

"""Devnets for the benchmarks, signed transactions straight into the devnet chain, and a
pump that makes the devnet's indexer emit order updates at a fixed rate.

Everything binds 127.0.0.1 on port 0. The devnet runs in a process of its own
(benchmarks/devnet_process.py); `start_devnet` builds it there.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal

from dydx_v4_client.key_pair import KeyPair
from dydx_v4_client.node.builder import Builder
from dydx_v4_client.node.message import batch_cancel, cancel_order, place_order
from dydx_v4_client.wallet import Wallet
from v4_proto.dydxprotocol.clob.order_pb2 import Order, OrderId
from v4_proto.dydxprotocol.clob.tx_pb2 import OrderBatch
from v4_proto.dydxprotocol.subaccounts.subaccount_pb2 import SubaccountId

from benchmarks.devnet_process import DevnetProcess, OpenOrder
from tui_app.devnet.accounts import ALICE, TestAccount
from tui_app.devnet.indexer.ratelimit import RateLimit
from tui_app.devnet.node import Devnet, DevnetConfig  # in the devnet's process
from tui_app.devnet.params import CHAIN_ID, NATIVE_DENOM
from tui_app.ids import order_uuid

BTC_CLOB = 0
QUANTUMS_PER_BTC = 10_000_000_000  # BTC-USD atomic resolution -10
SUBTICKS_PER_USD = 100_000  # BTC-USD: subticks per USD of price
BUY = 1
FLAG_SHORT_TERM, FLAG_LONG_TERM = 0, 64
LONG_TERM_SECONDS = 30 * 24 * 3600


def start_devnet(latency_ms: int, *, block_time: str = "1.0") -> Devnet:
    """A quiet devnet (no synthetic traders) with `latency_ms` on every call and message,
    built in the devnet's process (devnet_process.serve).

    The indexer's per-IP REST limit is lifted: the benchmarks make far more requests than
    one trader does, and a 429 would measure the limiter, not the app."""
    devnet = Devnet(DevnetConfig(
        host="127.0.0.1", grpc_port=0, rest_port=0, ws_port=0, admin_port=None,
        block_time=Decimal(block_time), latency_ms=latency_ms, synthetic_traders=False,
    ))  # fmt: skip
    devnet.start_sync()
    devnet.call(lambda: setattr(devnet._indexer.rest.limiter, "limit", RateLimit(points=10**7)))
    return devnet


class Signer:
    """Signs clob transactions of one test account with dydx-v4-client's own Builder."""

    def __init__(self, devnet: DevnetProcess, account: TestAccount = ALICE) -> None:
        self.devnet = devnet
        account_number, sequence = devnet.request("account", account.address)
        self.account = account
        self.wallet = Wallet(KeyPair.from_mnemonic(account.mnemonic), account_number, sequence)
        self.builder = Builder(CHAIN_ID, NATIVE_DENOM)
        self.subaccount = SubaccountId(owner=account.address, number=0)

    def order_id(self, client_id: int, flags: int) -> OrderId:
        return OrderId(subaccount_id=self.subaccount, client_id=client_id, order_flags=flags,
                       clob_pair_id=BTC_CLOB)  # fmt: skip

    def place_buy(self, client_id: int, price_usd: int, size_btc: Decimal, *, flags: int,
                  gtb: int = 0, gtbt: int = 0) -> bytes:  # fmt: skip
        order = Order(order_id=self.order_id(client_id, flags), side=BUY,
                      quantums=int(size_btc * QUANTUMS_PER_BTC),
                      subticks=price_usd * SUBTICKS_PER_USD)  # fmt: skip
        if flags == FLAG_SHORT_TERM:
            order.good_til_block = gtb
        else:
            order.good_til_block_time = gtbt
        tx = self.builder.build(self.wallet, place_order(order))
        if flags != FLAG_SHORT_TERM:
            self.wallet.sequence += 1
        return tx.SerializeToString()

    def cancel_long_term(self, client_id: int, gtbt: int) -> bytes:
        msg = cancel_order(self.order_id(client_id, FLAG_LONG_TERM), good_til_block_time=gtbt)
        tx = self.builder.build(self.wallet, msg)
        self.wallet.sequence += 1
        return tx.SerializeToString()

    def batch_cancel(self, client_ids: list[int], gtb: int) -> bytes:
        msg = batch_cancel(self.subaccount, [OrderBatch(clob_pair_id=BTC_CLOB,
                                                        client_ids=client_ids)], gtb)  # fmt: skip
        return self.builder.build(self.wallet, msg).SerializeToString()


def check_all(devnet: DevnetProcess, txs: list[bytes]) -> None:
    """CheckTx every tx on the devnet loop (in one call); raises if any was refused."""
    results = devnet.request("check_txs", txs)
    refused = [(code, log) for code, log in results if code != 0]
    if refused:
        raise RuntimeError(f"{len(refused)} of {len(txs)} txs refused, e.g. {refused[0]}")


def place_long_term(devnet: DevnetProcess, client_ids: list[int], *, price_usd: int = 20_000,
                    size_btc: Decimal = Decimal("0.1"), per_call: int = 1000) -> None:
    """Resting long-term BTC-USD buys of alice, the first at `price_usd`, the next ones a
    dollar lower each (far below the oracle). They become OPEN with the next block."""
    signer = Signer(devnet)
    gtbt = int(time.time()) + LONG_TERM_SECONDS
    for start in range(0, len(client_ids), per_call):
        chunk = client_ids[start : start + per_call]
        check_all(devnet, [signer.place_buy(cid, price_usd - (start + i) % 5000, size_btc,
                                            flags=FLAG_LONG_TERM, gtbt=gtbt)
                           for i, cid in enumerate(chunk)])  # fmt: skip


def cancel_long_term(devnet: DevnetProcess, client_ids: list[int], per_call: int = 1000) -> None:
    """Stateful cancels of alice's long-term orders; they take effect with the next block."""
    signer = Signer(devnet)
    gtbt = int(time.time()) + LONG_TERM_SECONDS
    for start in range(0, len(client_ids), per_call):
        check_all(devnet, [signer.cancel_long_term(cid, gtbt)
                           for cid in client_ids[start : start + per_call]])  # fmt: skip


async def wait_for(predicate, what: str, limit: float = 60.0, interval: float = 0.05) -> None:
    """Poll `predicate` (plain or async) until true; TimeoutError after `limit` seconds."""
    deadline = time.monotonic() + limit
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        await asyncio.sleep(interval)


def alice_open_on_chain(devnet: DevnetProcess) -> list[OpenOrder]:
    return devnet.request("open_orders_of", ALICE.address)


def alice_open_on_indexer(devnet: DevnetProcess) -> int:
    return devnet.request("open_on_indexer", ALICE.address)


async def clear_alice(devnet: DevnetProcess, limit: float = 30.0) -> None:
    """Cancel whatever alice still has open on the chain (a failed run's leftovers), so the
    next measurement starts from an empty book; waits for the indexer to agree."""
    left = alice_open_on_chain(devnet)
    short = [o for o in left if o.order_flags == FLAG_SHORT_TERM]
    if short:
        height = devnet.request("height")
        gtb = max(max(o.good_til_block for o in short), height + 1)
        signer = Signer(devnet)
        ids = sorted({o.client_id for o in short if o.clob_pair_id == BTC_CLOB})
        for start in range(0, len(ids), 100):
            check_all(devnet, [signer.batch_cancel(ids[start : start + 100], gtb)])
    # Stateful cancels already accepted take effect with the next block.
    await wait_for(lambda: not any(o.order_flags != FLAG_SHORT_TERM
                                   for o in alice_open_on_chain(devnet)),
                   "alice's long-term orders to be cancelled (a benchmark leaked them?)",
                   limit)  # fmt: skip
    await wait_for(lambda: alice_open_on_indexer(devnet) == 0, "the indexer to show no open "
                   "orders of alice", limit)  # fmt: skip


# ----- a fixed-rate stream of indexer order updates ------------------------------------------


@dataclass
class UpdatePump:
    """Emits `v4_subaccounts` order updates for alice's resting orders through the devnet
    indexer's own publishing path (so they go out over the real WebSocket server, with its
    latency), at a fixed rate, from the devnet's loop (devnet_process.emit_updates).

    Update `seq` (1, 2, ...) goes to order `seq % len(order_ids)`; it carries
    `clientMetadata = seq` (so a receiver knows which emission it is looking at; the
    orders were placed with 0) and a `totalFilled` that differs from the order's previous
    update (so the row on screen changes). `emitted[seq]` is the perf_counter() at which it
    was handed to the WebSocket server (CLOCK_MONOTONIC: the same clock in both processes).
    """

    devnet: DevnetProcess
    order_ids: list[str]  # indexer order ids (uuid) of resting orders of alice
    emitted: dict[int, float] = field(default_factory=dict)

    def size(self) -> int:
        return len(self.order_ids)

    @property
    def next_seq(self) -> int:
        return len(self.emitted) + 1

    async def run(self, rate: float, seconds: float) -> int:
        """Emit `rate` updates a second for `seconds`; returns how many were emitted."""
        emitted = await self.devnet.arequest("pump", self.order_ids, self.next_seq, rate,
                                             seconds, limit=seconds + 180)  # fmt: skip
        self.emitted.update(emitted)
        return len(emitted)


def order_uuids(client_ids: list[int], flags: int = FLAG_LONG_TERM) -> list[str]:
    """The indexer's ids of alice's BTC-USD orders with these client ids."""
    return [order_uuid(ALICE.address, 0, cid, BTC_CLOB, flags) for cid in client_ids]


# Client ids of the resting orders: never reused in a run (the chain refuses to place a
# stateful order again once it was cancelled), far from the store's own allocations.
_resting_client_ids = itertools.count(1_000_000)


@contextlib.asynccontextmanager
async def resting_orders(devnet: DevnetProcess, count: int, *, size_btc: Decimal = Decimal("0.1"),
                         price_usd: int = 20_000) -> AsyncIterator[list[int]]:  # fmt: skip
    """`count` long-term orders of alice, OPEN on the indexer for the block's duration;
    cancelled (and gone from the indexer) afterwards. Yields their client ids."""
    before = alice_open_on_indexer(devnet)
    ids = [next(_resting_client_ids) for _ in range(count)]
    place_long_term(devnet, ids, size_btc=size_btc, price_usd=price_usd)
    try:
        await wait_for(lambda: alice_open_on_indexer(devnet) >= before + count,
                       f"{count} resting orders on the indexer")  # fmt: skip
        yield ids
    finally:
        cancel_long_term(devnet, ids)
        await wait_for(lambda: alice_open_on_indexer(devnet) <= before,
                       "the resting orders to be cancelled")  # fmt: skip

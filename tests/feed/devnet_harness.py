"""A devnet, a feed on it, and a steady stream of order updates, for the feed tests.

Everything binds 127.0.0.1 with port 0. Waiting is done with `wait_until` (a generous
deadline that only turns a hang into a failure; no test asserts on how long things take).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal

import httpx

from tests.devnet.txs import Signer
from tui_app.config import FeedSettings
from tui_app.devnet.accounts import ALICE
from tui_app.devnet.node import Devnet, DevnetConfig
from tui_app.feed.feed import IndexerFeed
from tui_app.feed.rest_poller import retry_after_seconds
from tui_app.state import AccountState, OrderChanged, StateReset

BTC = 10_000_000_000  # quantums per BTC (atomic resolution -10)
USD = 100_000  # subticks per USD on BTC-USD
BUY, SELL = 1, 2
LIVE_STATUSES = ("OPEN", "BEST_EFFORT_OPENED")
WAIT_SECONDS = 30.0


def quiet_devnet(**overrides) -> Devnet:
    values = dict(
        grpc_port=0, rest_port=0, ws_port=0, admin_port=0,
        block_time=Decimal("0.05"), synthetic_traders=False,
    )  # fmt: skip
    values.update(overrides)
    return Devnet(DevnetConfig(**values))


def fast_settings(**overrides) -> FeedSettings:
    """Short backoffs and polls so that fault scenarios take a fraction of a second."""
    values = dict(
        reconnect_min_seconds=0.02,
        reconnect_max_seconds=0.1,
        poll_interval_seconds=0.2,
        rest_timeout_seconds=2.0,
        rest_max_retries=1,
        silence_timeout_seconds=5.0,
    )
    values.update(overrides)
    return FeedSettings(**values)


def make_feed(devnet: Devnet, state: AccountState | None = None, **options) -> IndexerFeed:
    endpoints = devnet.endpoints
    options.setdefault("settings", fast_settings())
    options.setdefault("resync_interval", 0.5)
    return IndexerFeed(
        state or AccountState(ALICE.address, 0),
        ws_url=endpoints.ws_url,
        rest_url=endpoints.rest_url,
        chain_id=endpoints.chain_id,
        **options,
    )


async def wait_until(predicate: Callable[[], bool], what: str, limit: float = WAIT_SECONDS):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.01)


class ResetCounter:
    """Counts the state's StateReset changes (one per subaccount snapshot applied) and
    OrderChanged ones (order updates applied)."""

    def __init__(self, state: AccountState) -> None:
        self.count = 0
        self.order_changes = 0
        state.subscribe(self._on_change)

    def _on_change(self, change) -> None:
        if isinstance(change, StateReset):
            self.count += 1
        elif isinstance(change, OrderChanged):
            self.order_changes += 1


class OrderStream:
    """Places and cancels ALICE's short-term BTC-USD orders through the chain's CheckTx,
    far below the price so they rest; they expire after `lifetime` blocks."""

    def __init__(self, devnet: Devnet, seed: int = 1, lifetime: int = 15) -> None:
        self.devnet = devnet
        self.lifetime = lifetime
        self.rng = random.Random(seed)
        number = devnet.call(lambda: devnet.chain.accounts.get(ALICE.address).account_number)
        self.signer = Signer(ALICE, number)
        self.client_ids = itertools.count(1)
        self.live: list[tuple[int, int]] = []  # (client id, good-til-block)
        self.sent = 0
        self.refused = 0
        self._lock = asyncio.Lock()
        self._running = asyncio.Event()
        self._running.set()

    async def run(self) -> None:
        while True:
            await self._running.wait()
            async with self._lock:
                await self.devnet.acall(self._step)

    def _step(self) -> None:  # on the devnet loop
        chain = self.devnet.chain
        height = chain.height
        self.live = [(c, gtb) for c, gtb in self.live if gtb > height + 1]
        if self.live and self.rng.random() < 0.3:
            client_id, gtb = self.live.pop(self.rng.randrange(len(self.live)))
            tx = self.signer.cancel(client_id, gtb=gtb)
        else:
            client_id = next(self.client_ids)
            gtb = height + self.lifetime
            subticks = (30_000 - self.rng.randrange(1_000)) * USD
            tx = self.signer.place(client_id, BUY, BTC // 1000, subticks, gtb=gtb)
            self.live.append((client_id, gtb))
        result = chain.check_tx(tx)
        self.sent += 1
        if result.code != 0:
            self.refused += 1

    @asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """No order traffic and no blocks inside: the indexer's truth stands still."""
        self._running.clear()
        async with self._lock:  # the step in flight has finished
            self.devnet.faults.freeze_blocks = True
            try:
                yield
            finally:
                self.devnet.faults.freeze_blocks = False
                self._running.set()


async def rest_open_order_ids(
    rest_url: str, address: str = ALICE.address, client: httpx.AsyncClient | None = None
) -> set[str]:
    """The indexer's REST truth: the subaccount's OPEN and BEST_EFFORT_OPENED orders
    (`GET /v4/orders`, as IndexerClient.account.get_subaccount_orders asks it)."""
    params = {"address": address, "subaccountNumber": 0, "status": ",".join(LIVE_STATUSES)}
    async with contextlib.AsyncExitStack() as stack:
        if client is None:
            client = await stack.enter_async_context(httpx.AsyncClient())
        while True:
            response = await client.get(f"{rest_url}/v4/orders", params=params)
            if response.status_code == 429:
                await asyncio.sleep(retry_after_seconds(response))
                continue
            response.raise_for_status()
            return {order["id"] for order in response.json()}


def state_open_order_ids(state: AccountState) -> set[str]:
    return {o.id for o in state.orders.values() if o.indexer_status in LIVE_STATUSES}


async def assert_state_matches_rest(devnet: Devnet, state: AccountState, attempts: int = 50):
    """Blocks frozen: once the state has the chain's height and the indexer's last
    messages, its open orders must equal REST's. Retries only cover messages in flight."""
    height = devnet.call(lambda: devnet.chain.height)
    await wait_until(lambda: state.block_height == height, f"the state at height {height}")
    truth: set[str] = set()
    async with httpx.AsyncClient() as client:
        for _ in range(attempts):
            truth = await rest_open_order_ids(devnet.endpoints.rest_url, client=client)
            if state_open_order_ids(state) == truth and not state.needs_resync:
                return truth
            await asyncio.sleep(0.05)
    mine = state_open_order_ids(state)
    raise AssertionError(
        f"state != REST: {len(mine - truth)} extra, {len(truth - mine)} missing "
        f"(state {len(mine)}, REST {len(truth)}, needs_resync {state.needs_resync})"
    )

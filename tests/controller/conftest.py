"""A devnet per test module (quiet: no synthetic traders unless a test asks) and a
controller per test, trading as alice, with its store in the test's tmp_path."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest
from pydantic import SecretStr

from tui_app.chain.gateway import GatewayConfig, NodeGateway
from tui_app.controller.controller import OrderController
from tui_app.controller.indexer import RestIndexerReader
from tui_app.controller.markets import IndexerMarkets
from tui_app.controller.settings import ControllerSettings
from tui_app.devnet.accounts import ALICE
from tui_app.devnet.indexer.ratelimit import RateLimit
from tui_app.devnet.node import Devnet, DevnetConfig
from tui_app.feed.rest_poller import RestPoller
from tui_app.store import OrderStore


def start_devnet(**overrides) -> Devnet:
    fields = dict(
        grpc_port=0, rest_port=0, ws_port=0, block_time=Decimal("0.2"), synthetic_traders=False
    )
    fields.update(overrides)
    devnet = Devnet(DevnetConfig(**fields))
    devnet.start_sync()
    # Tests make many more REST requests than one trader: lift comlink's per-IP limit.
    devnet.call(lambda: setattr(devnet._indexer.rest.limiter, "limit", RateLimit(points=100_000)))
    return devnet


@pytest.fixture(scope="module")
def devnet():
    devnet = start_devnet()
    try:
        yield devnet
    finally:
        devnet.stop_sync()


@pytest.fixture(autouse=True)
def _clear_faults(devnet):
    yield
    devnet.faults.grpc.hang = False
    devnet.faults.grpc.unavailable = False
    devnet.faults.freeze_blocks = False
    devnet.faults.latency_ms = 0


class Harness:
    """The parts of one controller, for tests that look inside."""

    def __init__(self, devnet, store, gateway, reader, controller) -> None:
        self.devnet = devnet
        self.store = store
        self.gateway = gateway
        self.reader = reader
        self.controller = controller

    def chain_open_orders(self) -> list:
        """alice's orders open on the devnet chain (resting or untriggered)."""
        d = self.devnet
        return d.call(
            lambda: [
                o for o in d.chain.open_orders() if o.order_id.subaccount.owner == ALICE.address
            ]
        )

    async def indexer_open(self) -> list:
        return await self.reader.open_orders()


async def make_harness(devnet, path, *, before_send=None, live=None, **settings) -> Harness:
    store = await OrderStore.open(path)
    gateway = await NodeGateway.connect(
        GatewayConfig(devnet.endpoints.grpc, devnet.endpoints.chain_id, address=ALICE.address,
                      call_timeout=5.0),
        SecretStr(ALICE.mnemonic),
        prefetch_account=True,
    )  # fmt: skip
    reader = RestIndexerReader(RestPoller(devnet.endpoints.rest_url, ALICE.address, 0))
    # short_term_blocks 20: 4 s at 0.2 s a block, slack for a loaded machine.
    fields = dict(owner=ALICE.address, cancel_rate_per_second=1000.0, cancel_burst=1000,
                  node_timeout=5.0, confirm_grace_seconds=2.0, short_term_blocks=20)  # fmt: skip
    fields.update(settings)
    controller = OrderController(
        store=store,
        gateway=gateway,
        indexer=reader,
        markets=IndexerMarkets(reader),
        settings=ControllerSettings(**fields),
        before_send=before_send,
        live=live,
    )
    return Harness(devnet, store, gateway, reader, controller)


async def close_harness(h: Harness) -> None:
    await h.reader.aclose()
    await h.gateway.close()
    await h.store.close()


@pytest.fixture
async def h(devnet, tmp_path):
    harness = await make_harness(devnet, tmp_path / "orders.sqlite3")
    try:
        yield harness
    finally:
        await close_harness(harness)


async def wait_for(predicate, timeout: float = 10.0, interval: float = 0.1):  # noqa: ASYNC109
    """Poll an (async or plain) predicate until it is true; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(interval)


def node_unavailable_briefly_at_send(h: Harness, seconds: float, retries: int = 8) -> None:
    """The node answers UNAVAILABLE for `seconds` from the moment the controller sends
    (its before_send hook), and the gateway retries up to `retries` times meanwhile."""
    loop = asyncio.get_running_loop()
    faults = h.devnet.faults.grpc

    def fail_briefly(action, ids):
        faults.unavailable = True
        loop.call_later(seconds, setattr, faults, "unavailable", False)

    h.controller.before_send = fail_briefly
    h.gateway.config = type(h.gateway.config)(**{**h.gateway.config.__dict__,
                                                 "retry_attempts": retries})  # fmt: skip

"""Places in quick succession share one latest-block request; cancels always ask."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tui_app import launch
from tui_app.chain.gateway import BlockInfo
from tui_app.config import load_config
from tui_app.controller.errors import ChainRejected
from tui_app.controller.recent_block import (
    MAX_PUSHED_LAG,
    PUSHED_MAX_AGE,
    TRUST_SECONDS,
    PushedBlock,
    RecentBlock,
)
from tui_app.devnet.node import Devnet, DevnetConfig

from .conftest import close_harness, make_harness, wait_for
from .test_place_cancel import resting_buy

T0 = datetime(2026, 1, 1, tzinfo=UTC)

QUIET = DevnetConfig(grpc_port=0, rest_port=0, ws_port=0, block_time=Decimal("0.2"),
                     synthetic_traders=False)  # fmt: skip


class FakeNode:
    """Answers latest-block requests with a height the test sets; counts them."""

    def __init__(self) -> None:
        self.height = 100
        self.asked = 0
        self.gate: asyncio.Event | None = None
        self.fail: Exception | None = None

    async def ask(self) -> BlockInfo:
        self.asked += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return BlockInfo(self.height, T0)


@pytest.fixture
def node():
    return FakeNode()


@pytest.fixture
def clock():
    return [0.0]


def recent(node: FakeNode, clock: list[float], max_age: float = 0.25) -> RecentBlock:
    return RecentBlock(node.ask, max_age=max_age, monotonic=lambda: clock[0])


async def test_an_answer_is_reused_until_it_is_max_age_old(node, clock):
    blocks = recent(node, clock)
    assert (await blocks.get()).height == 100
    node.height = 101
    clock[0] = 0.2
    assert (await blocks.get()).height == 100
    assert node.asked == 1
    clock[0] = 0.25  # counted from when the request was sent
    assert (await blocks.get()).height == 101
    assert node.asked == 2


async def test_zero_max_age_always_asks(node, clock):
    blocks = recent(node, clock, max_age=0)
    for _ in range(3):
        await blocks.get()
    assert node.asked == 3


async def test_concurrent_gets_share_one_request(node, clock):
    blocks = recent(node, clock)
    node.gate = asyncio.Event()
    waiting = [asyncio.ensure_future(blocks.get()) for _ in range(5)]
    await asyncio.sleep(0)
    node.gate.set()
    assert [b.height for b in await asyncio.gather(*waiting)] == [100] * 5
    assert node.asked == 1


async def test_a_caller_giving_up_does_not_cancel_the_others(node, clock):
    blocks = recent(node, clock)
    node.gate = asyncio.Event()
    first, second = asyncio.ensure_future(blocks.get()), asyncio.ensure_future(blocks.get())
    await asyncio.sleep(0)
    first.cancel()
    node.gate.set()
    assert (await second).height == 100
    assert first.cancelled()


async def test_a_failed_request_reaches_every_caller_and_is_not_remembered(node, clock):
    blocks = recent(node, clock)
    node.fail = ConnectionError("node down")
    results = await asyncio.gather(blocks.get(), blocks.get(), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    node.fail = None
    assert (await blocks.get()).height == 100
    assert node.asked == 2


async def test_remember_keeps_the_highest_height(node, clock):
    blocks = recent(node, clock)
    blocks.remember(BlockInfo(105, T0), asked_at=0.0)
    blocks.remember(BlockInfo(103, T0), asked_at=0.1)  # a lagging node's answer
    assert (await blocks.get()).height == 105
    assert node.asked == 0


# ----- against the devnet ----------------------------------------------------------------


def count_height_requests(gateway) -> list[int]:
    calls = [0]
    ask = gateway.latest_block

    async def counting(**kw):
        calls[0] += 1
        return await ask(**kw)

    gateway.latest_block = counting
    return calls


async def test_a_ladder_of_places_asks_the_height_once_and_a_cancel_asks_again(h):
    calls = count_height_requests(h.gateway)
    outcomes = await asyncio.gather(*(h.controller.place(resting_buy()) for _ in range(4)))
    assert calls[0] == 1
    records = [await h.store.get(o.order_id) for o in outcomes]
    assert len({r.good_til_block for r in records}) == 1  # one height for the ladder
    await h.controller.cancel(outcomes[0].order_id)
    assert calls[0] == 2  # a cancel checks expiry against the node's own latest height


async def test_reuse_is_at_most_a_quarter_of_the_block_time_seen(node, clock):
    blocks = recent(node, clock, max_age=0.25)
    blocks.remember(BlockInfo(100, T0), asked_at=0.0)
    blocks.remember(BlockInfo(110, T0 + timedelta(seconds=2)), asked_at=0.0)  # 0.2 s blocks
    assert blocks.max_age == pytest.approx(0.05)
    clock[0] = 0.06
    await blocks.get()
    assert node.asked == 1


# ----- heights the live feed heard from the indexer ----------------------------------------


class Pushed:
    """What the live feed heard last: a height and when (on the test's clock)."""

    def __init__(self, clock: list[float]) -> None:
        self.clock = clock
        self.heard: PushedBlock | None = None

    def hear(self, height: int) -> None:
        self.heard = PushedBlock(BlockInfo(height, T0), self.clock[0])

    def __call__(self) -> PushedBlock | None:
        return self.heard


def with_pushed(node, clock, max_age: float = 0.25) -> tuple[RecentBlock, Pushed]:
    pushed = Pushed(clock)
    blocks = RecentBlock(node.ask, max_age=max_age, pushed=pushed, monotonic=lambda: clock[0])
    return blocks, pushed


async def test_a_pushed_height_is_used_once_the_node_vouched_for_the_indexer(node, clock):
    blocks, pushed = with_pushed(node, clock)
    pushed.hear(99)
    assert (await blocks.get()).height == 100  # not vouched for yet: the node is asked
    clock[0] = 1.0
    pushed.hear(101)  # the next block, heard from the indexer
    assert (await blocks.get()).height == 101
    clock[0] = 1.5
    assert (await blocks.get()).height == 101
    assert node.asked == 1 and blocks.pushed_used == 2


async def test_an_indexer_trailing_the_node_is_not_trusted(node, clock):
    blocks, pushed = with_pushed(node, clock)
    pushed.hear(100 - MAX_PUSHED_LAG - 1)
    await blocks.get()
    clock[0] = 1.0
    pushed.hear(100 - MAX_PUSHED_LAG)  # fresh, but the last comparison found it behind
    node.height = 103
    assert (await blocks.get()).height == 103
    assert node.asked == 2 and blocks.pushed_used == 0


async def test_a_pushed_height_heard_too_long_ago_is_not_used(node, clock):
    blocks, pushed = with_pushed(node, clock)
    pushed.hear(100)
    await blocks.get()
    clock[0] = PUSHED_MAX_AGE  # the feed heard no block since: stalled, or blocks stopped
    node.height = 104
    assert (await blocks.get()).height == 104
    assert node.asked == 2


async def test_the_trust_lasts_a_while_then_the_node_is_asked_again(node, clock):
    blocks, pushed = with_pushed(node, clock)
    pushed.hear(100)
    await blocks.get()
    clock[0] = TRUST_SECONDS - 0.5
    pushed.hear(130)
    assert (await blocks.get()).height == 130 and node.asked == 1
    clock[0] = TRUST_SECONDS + 0.1
    node.height = 131
    assert (await blocks.get()).height == 131 and node.asked == 2  # and vouched anew
    clock[0] = TRUST_SECONDS + 0.5
    pushed.hear(131)
    assert (await blocks.get()).height == 131 and node.asked == 2


async def test_distrust_sends_the_next_place_to_the_node(node, clock):
    blocks, pushed = with_pushed(node, clock)
    pushed.hear(100)
    await blocks.get()
    blocks.distrust()
    assert (await blocks.get()).height == 100
    assert node.asked == 2


async def test_zero_max_age_ignores_pushed_heights_too(node, clock):
    blocks, pushed = with_pushed(node, clock, max_age=0)
    pushed.hear(100)
    for _ in range(3):
        await blocks.get()
    assert node.asked == 3 and blocks.pushed_used == 0


class FakeLive:
    """The live account state as the controller reads it: a block height the test sets."""

    free_collateral = None
    positions: dict = {}
    block_time = None

    def __init__(self) -> None:
        self.block_height: int | None = None
        self.block_heard_at: float | None = None

    def hear(self, height: int) -> None:
        self.block_height, self.block_heard_at = height, time.monotonic()

    def order(self, order_id: str):
        return None


async def devnet_height(h) -> int:
    return h.devnet.call(lambda: h.devnet.chain.height)


async def test_a_place_refused_for_a_stale_pushed_height_asks_the_node_next(devnet, tmp_path):
    live = FakeLive()
    h = await make_harness(devnet, tmp_path / "orders.sqlite3", live=live, short_term_blocks=1)
    try:
        calls = count_height_requests(h.gateway)
        devnet.faults.freeze_blocks = True
        live.hear(await devnet_height(h))
        assert (await h.controller.place(resting_buy())).status == "active"  # asks; vouched
        stale = live.block_height
        devnet.faults.freeze_blocks = False
        deadline = time.monotonic() + 10
        while await devnet_height(h) < stale + 3:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        devnet.faults.freeze_blocks = True
        live.hear(stale)  # the indexer's pushes stalled behind, yet look fresh
        live.block_heard_at = time.monotonic()
        with pytest.raises(ChainRejected) as refused:
            await h.controller.place(resting_buy())
        assert (refused.value.codespace, refused.value.code) == ("clob", 10)
        assert calls[0] == 1
        assert (await h.controller.place(resting_buy())).status == "active"
        assert calls[0] == 2  # the refusal sent this place to the node
    finally:
        await close_harness(h)


async def test_places_one_at_a_time_take_the_height_the_feed_heard(tmp_path):
    """Wired as dydx-tui wires it: the live feed's heights, from the indexer's pushes."""
    async with Devnet(QUIET) as devnet:
        e = devnet.endpoints
        config = load_config(environ={"DYDX_REST_URL": e.rest_url, "DYDX_WS_URL": e.ws_url,
                                      "DYDX_GRPC_ADDR": e.grpc})  # fmt: skip
        async with launch.open_parts(config, tmp_path / "o.sqlite3", start_feed=True) as parts:
            state, controller = parts.state, parts.controller
            await wait_for(lambda: state.feed_live and state.block_height is not None)
            calls = count_height_requests(controller.gateway)
            for _ in range(3):
                await asyncio.sleep(0.3)  # longer than a node answer is reused
                heard = state.block_height
                outcome = await controller.place(resting_buy())
                assert outcome.status == "active"
                record = await controller.store.get(outcome.order_id)
                blocks = controller.settings.short_term_blocks
                assert record.good_til_block - blocks >= heard  # the feed's, or newer
            assert calls[0] == 1  # the first vouched for the indexer; the others spared it
            assert controller.recent_block.pushed_used == 2


async def test_pushed_heights_count_as_fresh_for_two_block_times_at_most(node, clock):
    blocks, pushed = with_pushed(node, clock)
    pushed.heard = PushedBlock(BlockInfo(100, T0), 0.0)
    await blocks.get()  # vouched
    pushed.heard = PushedBlock(BlockInfo(110, T0 + timedelta(seconds=2)), 0.0)  # 0.2 s blocks
    assert (await blocks.get()).height == 110
    assert blocks.pushed_max_age == pytest.approx(0.4)
    clock[0] = 0.41
    node.height = 112
    assert (await blocks.get()).height == 112

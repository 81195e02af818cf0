"""Places in quick succession share one latest-block request; cancels always ask."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tui_app.chain.gateway import BlockInfo
from tui_app.controller.recent_block import RecentBlock

from .test_place_cancel import resting_buy

T0 = datetime(2026, 1, 1, tzinfo=UTC)


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

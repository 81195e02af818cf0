"""DeferredGateway: calls wait for the background connection; a failed one is reported."""

from __future__ import annotations

import asyncio

import pytest

from tui_app.chain.deferred import DeferredGateway, GatewayUnavailable
from tui_app.chain.errors import ChainIdMismatch


class FakeGateway:
    closed = False

    async def latest_block_height(self, *, timeout=None):
        return 42

    async def close(self):
        FakeGateway.closed = True


async def test_calls_wait_for_the_connection_then_go_through():
    ready = asyncio.Event()

    async def connect():
        await ready.wait()
        return FakeGateway()

    deferred = DeferredGateway.start(connect)
    call = asyncio.create_task(deferred.latest_block_height(timeout=1))
    await asyncio.sleep(0.05)
    assert not call.done()
    ready.set()
    assert await call == 42
    await deferred.close()
    assert FakeGateway.closed


async def test_a_failed_connection_fails_every_call_with_the_reason():
    async def connect():
        raise ChainIdMismatch("localdydxprotocol", "dydx-testnet-4")

    deferred = DeferredGateway.start(connect)
    for _ in range(2):
        with pytest.raises(GatewayUnavailable, match="dydx-testnet-4"):
            await deferred.batch_cancel(0, {}, 1)
    await deferred.close()


async def test_close_before_connected_cancels():
    async def connect():
        await asyncio.sleep(10)

    deferred = DeferredGateway.start(connect)
    await deferred.close()
    with pytest.raises(GatewayUnavailable):
        await deferred.place_order()


async def test_the_connection_waits_for_its_start_signal():
    started = asyncio.Event()
    go = asyncio.get_running_loop().create_future()

    async def connect():
        started.set()
        return FakeGateway()

    deferred = DeferredGateway.start(connect, after=go)
    call = asyncio.create_task(deferred.latest_block_height())
    await asyncio.sleep(0.05)
    assert not started.is_set() and not call.done()  # calls wait; nothing imported yet
    go.set_result(None)
    assert await call == 42
    await deferred.close()


async def test_a_failed_start_signal_still_connects():
    async def connect():
        return FakeGateway()

    go = asyncio.get_running_loop().create_future()
    go.set_exception(RuntimeError("the app never drew"))
    deferred = DeferredGateway.start(connect, after=go)
    assert await deferred.latest_block_height() == 42
    await deferred.close()


async def test_close_while_waiting_for_the_signal_connects_nothing():
    started = False

    async def connect():
        nonlocal started
        started = True
        return FakeGateway()

    deferred = DeferredGateway.start(connect, after=asyncio.get_running_loop().create_future())
    await asyncio.sleep(0)
    await deferred.close()
    assert not started
    with pytest.raises(GatewayUnavailable):
        await deferred.place_order()

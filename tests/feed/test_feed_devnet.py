"""IndexerFeed against the devnet's indexer with fault injection (issue 4, "How it will be
checked"): forced disconnects during a stream of order updates, a message-id gap, a
refused WebSocket (REST polling and back), REST 429/500, focus changes."""

from __future__ import annotations

import asyncio
import statistics

import pytest

from tui_app.feed.node_probe import NodeProbe
from tui_app.feed.rest_poller import RestRateLimited
from tui_app.feed.status import ConnectionStatus, WsState
from tui_app.state import AccountState

from .devnet_harness import (
    OrderStream,
    ResetCounter,
    assert_state_matches_rest,
    make_feed,
    quiet_devnet,
    wait_until,
)

pytestmark = pytest.mark.timeout(120)


async def _disconnect_soak(drops: int) -> dict:
    async with quiet_devnet() as devnet:
        state = AccountState(devnet.endpoints.demo_address, 0)
        resets = ResetCounter(state)
        stream = OrderStream(devnet)
        feed = make_feed(devnet, state)
        reconnects: list[float] = []
        async with feed:
            streaming = asyncio.create_task(stream.run())
            try:
                await wait_until(lambda: resets.count >= 1, "the first snapshot")
                await wait_until(lambda: stream.sent >= 20, "order traffic")
                for drop in range(drops):
                    before = resets.count
                    dropped = await devnet.acall(devnet._indexer.drop_ws_connections)
                    assert dropped == 1
                    await wait_until(
                        lambda b=before: resets.count > b and feed.status.ws_state is WsState.LIVE,
                        f"recovery from drop {drop + 1}",
                    )
                    reconnects.append(feed.last_reconnect_seconds or 0.0)
                    # Live updates on the new connection before the state is checked.
                    changes = resets.order_changes
                    await wait_until(
                        lambda c=changes: resets.order_changes >= c + 5, "order updates"
                    )
                    async with stream.paused():
                        await assert_state_matches_rest(devnet, state)
            finally:
                streaming.cancel()
                await asyncio.gather(streaming, return_exceptions=True)
        assert feed.internal_errors == 0 and state.apply_errors == 0
        assert feed.rejects.total == 0
        return {
            "orders_sent": stream.sent,
            "messages": feed.messages,
            "reconnect_median_s": statistics.median(reconnects),
            "reconnect_max_s": max(reconnects),
            "connects": feed.connects,
            "polls": feed.polls,
        }


async def test_state_equals_rest_truth_after_each_of_50_forced_disconnects(record_property):
    numbers = await _disconnect_soak(50)
    assert numbers["connects"] == 51
    assert numbers["polls"] == 0  # a reconnect that delivers its snapshot is no failure
    assert numbers["orders_sent"] > 100
    for key, value in numbers.items():
        record_property(key, value)
    print("disconnect soak:", numbers)


@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_disconnect_soak_500(record_property):
    numbers = await _disconnect_soak(500)
    print("disconnect soak (500):", numbers)


async def test_a_skipped_message_id_causes_a_resync():
    async with quiet_devnet() as devnet:
        state = AccountState(devnet.endpoints.demo_address, 0)
        resets = ResetCounter(state)
        async with make_feed(devnet, state) as feed:
            await wait_until(lambda: resets.count >= 1 and state.block_height, "the snapshots")
            assert feed.resyncs == 0
            devnet.faults.indexer.ws_skip_message_ids = 1  # the next block's messages
            await wait_until(lambda: feed.resyncs == 1, "a resync")
            await wait_until(lambda: resets.count >= 2, "the resync's snapshot")
            assert not state.needs_resync
            assert "missing" in feed.last_resync_reason  # "message ids (N,) missing..."
            assert feed.status.resyncs == 1
            assert feed.status.ws_state is WsState.LIVE  # same connection, no reconnect
            assert feed.connects == 1


async def test_refused_websocket_falls_back_to_rest_polling_and_returns():
    async with quiet_devnet() as devnet:
        state = AccountState(devnet.endpoints.demo_address, 0)
        stream = OrderStream(devnet)
        feed = make_feed(devnet, state)
        states: list[ConnectionStatus] = []
        feed.on_status(states.append)
        async with feed:
            await wait_until(lambda: feed.status.ws_state is WsState.LIVE, "live")
            devnet.faults.indexer.refuse_ws_for(600)
            await devnet.acall(devnet._indexer.drop_ws_connections)
            await wait_until(lambda: feed.polling and feed.polls >= 2, "REST polling")
            assert feed.status.ws_state is WsState.POLLING
            assert feed.session.failures >= 5
            assert feed.status.reconnect_attempt >= 5
            # Polls keep the state current: new orders show up without the WebSocket.
            for _ in range(5):
                await devnet.acall(stream._step)
            async with stream.paused():
                polls = feed.polls
                await wait_until(lambda: feed.polls >= polls + 2, "two more polls")
                await assert_state_matches_rest(devnet, state)
            assert state_has_orders(state)
            # The WebSocket comes back: polling stops, the feed is live again.
            devnet.faults.indexer.ws_refuse_until = 0
            await wait_until(lambda: feed.status.ws_state is WsState.LIVE, "live again")
            assert not feed.polling
            polls = feed.polls
            await asyncio.sleep(3 * feed.settings.poll_interval_seconds)
            assert feed.polls == polls  # no polling while live
        seen = [s.ws_state for s in states]
        assert seen.index(WsState.POLLING) < len(seen) - 1 - seen[::-1].index(WsState.LIVE)
        assert any(s.state_label.startswith("reconnecting ") for s in states)


def state_has_orders(state: AccountState) -> bool:
    return any(o.indexer_status == "BEST_EFFORT_OPENED" for o in state.orders.values())


async def test_rest_429_is_reported_with_retry_after_and_5xx_after_retries():
    async with quiet_devnet() as devnet:
        feed = make_feed(devnet)
        devnet.faults.indexer.rest_status = 429
        with pytest.raises(RestRateLimited) as limited:
            await feed.poll_once()
        assert limited.value.retry_after > 0
        status = feed.status
        assert status.rest_rate_limited_until is not None
        assert "rate limit" in status.last_error
        devnet.faults.indexer.rest_status = 500
        await feed.poll_once()  # retried (rest_max_retries=1), then reported
        assert "failed 2 times: HTTP 500" in feed.status.last_error
        devnet.faults.indexer.rest_status = None
        await feed.poll_once()
        assert feed.polls == 1
        assert feed.status.rest_rate_limited_until is None
        assert feed.state.snapshot_received and feed.state.markets


async def test_focus_follows_the_market_and_status_fields_fill_in():
    async with quiet_devnet(synthetic_traders=True) as devnet:
        probe = NodeProbe(devnet.endpoints.grpc)
        try:
            state = AccountState(devnet.endpoints.demo_address, 0)
            feed = make_feed(
                devnet, state, focus="BTC-USD", node_height=probe.latest_height,
                probe_interval=0.2,
            )  # fmt: skip
            async with feed:
                await wait_until(lambda: state.order_book("BTC-USD") is not None, "BTC book")
                feed.set_focus("ETH-USD")
                await wait_until(lambda: state.order_book("ETH-USD") is not None, "ETH book")
                await wait_until(lambda: state.order_book("BTC-USD") is None, "BTC dropped")
                await wait_until(
                    lambda: (
                        feed.status.indexer_lag_blocks is not None
                        and feed.status.round_trip_ms is not None
                        and feed.status.messages_per_second > 0
                    ),
                    "lag, latency and rate",
                )
                status = feed.status
                assert status.network == "local" and status.chain_id == "localdydxprotocol"
                assert status.block_height and status.block_time is not None
                assert status.indexer_lag_blocks >= 0
                assert status.rejected_messages == 0
        finally:
            probe.close()

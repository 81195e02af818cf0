"""Feed faults against the devnet's indexer (issue 8, item 1), each ending with the
app's state equal to the indexer's REST truth and a status that said what happened.

Builds on tests/feed/test_feed_devnet.py (50 forced drops, one message-id gap, a refused
WebSocket switched back by hand, REST 429/500 on one poll) with what it lacks: drops with
the status checked at every one (100 in the slow soak), a refusal that ends by itself
(30 s in the slow soak) with REST polling handing back, duplicated message ids (through a
replaying proxy), overtaken (out-of-order) updates, a silent connection, REST 429 / 500 /
hangs while polling, and `dydx-tui status` (collect_status) saying what is wrong.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve

from tests.feed.devnet_harness import (
    OrderStream,
    ResetCounter,
    assert_state_matches_rest,
    fast_settings,
    make_feed,
    quiet_devnet,
    wait_until,
)
from tui_app.feed.status import ConnectionStatus, WsState
from tui_app.state import AccountState

pytestmark = pytest.mark.timeout(300)
ALL_CHANNELS = {"v4_subaccounts", "v4_markets", "v4_block_height", "v4_orderbook", "v4_trades"}


class Recorder:
    def __init__(self, feed) -> None:
        self.statuses: list[ConnectionStatus] = []
        feed.on_status(self.statuses.append)

    def since(self, index: int) -> list[ConnectionStatus]:
        return self.statuses[index:]


async def _live_with_traffic(devnet, feed, stream, resets):
    await wait_until(lambda: resets.count >= 1 and feed.status.ws_state is WsState.LIVE, "live")
    await wait_until(lambda: stream.sent >= 10, "order traffic")


async def _checked(devnet, state, stream):
    async with stream.paused():
        await assert_state_matches_rest(devnet, state)


@contextlib.asynccontextmanager
async def running(devnet, **feed_options):
    state = AccountState(devnet.endpoints.demo_address, 0)
    resets = ResetCounter(state)
    stream = OrderStream(devnet)
    feed = make_feed(devnet, state, **feed_options)
    recorder = Recorder(feed)
    async with feed:
        task = asyncio.create_task(stream.run())
        try:
            await _live_with_traffic(devnet, feed, stream, resets)
            yield state, resets, stream, feed, recorder
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert feed.internal_errors == 0 and state.apply_errors == 0


# ----- forced drops --------------------------------------------------------------------------


async def _drops(count: int, figures) -> None:
    async with quiet_devnet() as devnet, running(devnet) as (state, resets, stream, feed, rec):
        for drop in range(count):
            mark, before = len(rec.statuses), resets.count
            assert await devnet.acall(devnet._indexer.drop_ws_connections) == 1
            await wait_until(
                lambda b=before: resets.count > b and feed.status.ws_state is WsState.LIVE,
                f"recovery from drop {drop + 1}",
            )
            said = rec.since(mark)
            # The status said it: reconnecting with the reason, then live again.
            assert any(s.ws_state is WsState.RECONNECTING and "connection closed" in s.last_error
                       for s in said), [(s.ws_state, s.last_error) for s in said]  # fmt: skip
            assert said[-1].ws_state is WsState.LIVE or feed.status.ws_state is WsState.LIVE
            changes = resets.order_changes
            await wait_until(lambda c=changes: resets.order_changes >= c + 3, "updates")
            await _checked(devnet, state, stream)
            figures("ws_drops_survived", 1)
        assert feed.connects == count + 1 and feed.rejects.total == 0


async def test_forced_drops_with_the_status_checked_each_time(figures):
    await _drops(10, figures)


@pytest.mark.slow
@pytest.mark.timeout(1200)
async def test_100_forced_drops(figures):
    await _drops(100, figures)


# ----- refused WebSocket: REST polling takes over and hands back ------------------------------


async def _refused(seconds: float, figures) -> None:
    async with quiet_devnet() as devnet, running(devnet) as (state, resets, stream, feed, rec):
        mark = len(rec.statuses)
        devnet.faults.indexer.refuse_ws_for(seconds)
        await devnet.acall(devnet._indexer.drop_ws_connections)
        await wait_until(lambda: feed.polling and feed.polls >= 1, "REST polling", 60)
        assert feed.status.ws_state is WsState.POLLING
        # While polling, the state follows REST (orders keep coming).
        polls = feed.polls
        await wait_until(lambda: feed.polls >= polls + 1 or not feed.polling, "polls")
        await _checked(devnet, state, stream)
        # The refusal ends by itself: the WebSocket takes over again, polling stops.
        await wait_until(lambda: feed.status.ws_state is WsState.LIVE and not feed.polling,
                         "live again", seconds + 60)  # fmt: skip
        await _checked(devnet, state, stream)
        seen = [s.ws_state for s in rec.since(mark)]
        assert WsState.RECONNECTING in seen and WsState.POLLING in seen
        assert seen.index(WsState.POLLING) < len(seen) - 1 - seen[::-1].index(WsState.LIVE)
        assert any("503" in s.last_error or "cannot connect" in s.last_error
                   for s in rec.since(mark))  # fmt: skip
        figures("ws_refusals_survived", 1)


async def test_refused_websocket_for_a_few_seconds(figures):
    await _refused(8.0, figures)


@pytest.mark.slow
async def test_refused_websocket_for_30_seconds(figures):
    await _refused(30.0, figures)


# ----- duplicated message ids, overtaken updates -----------------------------------------------


class ReplayProxy:
    """A WebSocket proxy on 127.0.0.1:0 in front of the indexer. While `replay` is on,
    every v4_subaccounts update is followed by the previous one again: the same
    message_id twice, the second time after a newer update."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.replay = False
        self.replayed = 0

    async def handler(self, client) -> None:
        async with connect(self.upstream, max_size=None) as up:

            async def down() -> None:
                previous = None
                async for frame in up:
                    await client.send(frame)
                    if '"channel_data"' in frame and '"v4_subaccounts"' in frame:
                        if self.replay and previous is not None:
                            await client.send(previous)
                            self.replayed += 1
                        previous = frame

            async def upward() -> None:
                async for frame in client:
                    await up.send(frame)

            tasks = [asyncio.create_task(down()), asyncio.create_task(upward())]
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)


async def test_duplicated_message_ids_never_undo_newer_updates(figures):
    async with quiet_devnet() as devnet:
        proxy = ReplayProxy(devnet.endpoints.ws_url)
        async with serve(proxy.handler, "127.0.0.1", 0, max_size=None) as server:
            port = server.sockets[0].getsockname()[1]
            state = AccountState(devnet.endpoints.demo_address, 0)
            resets = ResetCounter(state)
            stream = OrderStream(devnet)
            feed = make_feed(devnet, state)
            feed.session.url = f"ws://127.0.0.1:{port}"
            async with feed:
                task = asyncio.create_task(stream.run())
                try:
                    await _live_with_traffic(devnet, feed, stream, resets)
                    proxy.replay = True
                    await wait_until(lambda: proxy.replayed >= 20, "20 replayed frames")
                    proxy.replay = False
                    await wait_until(lambda: not state.needs_resync, "the resync's snapshot")
                    await _checked(devnet, state, stream)
                finally:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            assert state.stale_messages >= 20 and state.apply_errors == 0
            assert feed.resyncs >= 1 and feed.status.resyncs == feed.resyncs
            assert "repeated or out of order" in feed.last_resync_reason or feed.resyncs > 1
            figures("duplicate_messages_refused", state.stale_messages)


async def test_overtaken_updates_end_in_the_indexer_truth(figures):
    # resync_interval 1.5 s: the indexer closes a socket that subscribes a channel more
    # than twice a second (the app's default is 5 s).
    async with quiet_devnet() as devnet, running(devnet, resync_interval=1.5) as (
        state, resets, stream, feed, rec,
    ):  # fmt: skip
        devnet.faults.indexer.ws_channel_delay_ms["v4_subaccounts"] = 300
        changes = resets.order_changes
        await wait_until(lambda: feed.resyncs >= 1, "a resync: later ids came first")
        await wait_until(lambda c=changes: resets.order_changes >= c + 10, "updates")
        devnet.faults.indexer.ws_channel_delay_ms.clear()
        await wait_until(lambda: not state.needs_resync, "the resync's snapshot")
        await _checked(devnet, state, stream)
        assert feed.status.resyncs >= 1 and state.stale_messages >= 1
        figures("out_of_order_resyncs", feed.resyncs)


# ----- a silent connection ---------------------------------------------------------------------


async def test_a_silent_connection_is_noticed_and_replaced(figures):
    async with (
        quiet_devnet() as devnet,
        running(devnet, settings=fast_settings(silence_timeout_seconds=1.0)) as (
            state,
            resets,
            stream,
            feed,
            rec,
        ),
    ):
        mark = len(rec.statuses)
        devnet.faults.indexer.ws_silenced_channels.update(ALL_CHANNELS)
        await wait_until(lambda: any("no message for" in s.last_error
                                     for s in rec.since(mark)), "silence noticed")  # fmt: skip
        assert any(s.ws_state is WsState.RECONNECTING for s in rec.since(mark))
        devnet.faults.indexer.ws_silenced_channels.clear()
        connects = feed.connects
        await wait_until(lambda: feed.connects > connects
                         and feed.status.ws_state is WsState.LIVE, "live again")  # fmt: skip
        await _checked(devnet, state, stream)
        figures("silent_connections_replaced", 1)


# ----- REST 429 / 500 / hang while polling ------------------------------------------------------


async def test_rest_429_500_and_hang_while_polling(figures):
    settings = fast_settings(rest_timeout_seconds=0.5, rest_max_retries=1)
    async with quiet_devnet() as devnet, running(devnet, settings=settings) as (
        state, resets, stream, feed, rec,
    ):  # fmt: skip
        devnet.faults.indexer.refuse_ws_for(3600)
        await devnet.acall(devnet._indexer.drop_ws_connections)
        await wait_until(lambda: feed.polling and feed.polls >= 1, "REST polling")
        faults = devnet.faults.indexer
        for mode, said in ((429, "rate limit"), (500, "HTTP 500"), ("hang", "Timeout")):
            mark = len(rec.statuses)
            if mode == "hang":
                faults.rest_hang = True
            else:
                faults.rest_status = mode
            await wait_until(lambda s=said, m=mark: any(s in x.last_error for x in rec.since(m)),
                             f"status saying {said}")  # fmt: skip
            if mode == 429:
                assert any(x.rest_rate_limited_until for x in rec.since(mark))
            polls = feed.polls
            faults.rest_status, faults.rest_hang = None, False
            await wait_until(lambda p=polls: feed.polls >= p + 2, "polls again")
            await _checked(devnet, state, stream)
            assert feed.status.ws_state is WsState.POLLING
            figures("rest_faults_survived", 1)
        faults.ws_refuse_until = 0
        await wait_until(lambda: feed.status.ws_state is WsState.LIVE, "live again")
        await _checked(devnet, state, stream)


# ----- `dydx-tui status` -------------------------------------------------------------------------


def _config(devnet, tmp_path):
    from tui_app.config import load_config

    path = tmp_path / "config.yaml"
    path.write_text("network: local\nfeed:\n  rest_timeout_seconds: 1\n  rest_max_retries: 0\n")
    e = devnet.endpoints
    environ = {"DYDX_REST_URL": e.rest_url, "DYDX_WS_URL": e.ws_url, "DYDX_GRPC_ADDR": e.grpc}
    return load_config(path, None, environ)


async def test_status_command_says_what_is_wrong(tmp_path):
    from tui_app.commands.status import EXIT_OK, EXIT_UNREACHABLE, collect_status, format_report

    async with quiet_devnet() as devnet:
        config = _config(devnet, tmp_path)
        fine = await collect_status(config, seconds=5)
        assert fine.exit_code == EXIT_OK and not fine.problems and not fine.embedded_devnet
        devnet.faults.indexer.refuse_ws_for(3600)
        refused = await collect_status(config, seconds=2)
        assert refused.exit_code == EXIT_UNREACHABLE
        assert "indexer WebSocket unreachable" in refused.problems[0]
        assert "REST answers" in refused.problems[0]
        devnet.faults.indexer.rest_status = 500
        both = await collect_status(config, seconds=2)
        assert "REST does not answer either" in both.problems[0]
        assert "PROBLEM (exit 1)" in format_report(both.as_dict())
        devnet.faults.indexer.rest_status = None
        devnet.faults.indexer.ws_refuse_until = 0
        devnet.faults.grpc.unavailable = True
        node_down = await collect_status(config, seconds=2)
        assert any("node unreachable" in p for p in node_down.problems)
        assert node_down.exit_code == EXIT_UNREACHABLE

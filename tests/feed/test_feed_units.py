"""Small feed parts: the log burst limit, the rate meter, subscriptions, REST snapshot frames."""

from __future__ import annotations

import json
import logging

from tui_app.devnet.accounts import ALICE
from tui_app.feed.log_limit import BurstLimit
from tui_app.feed.rate import RateMeter
from tui_app.feed.rest_poller import RestSnapshot
from tui_app.feed.rest_snapshot import parse_snapshot, snapshot_frames
from tui_app.feed.subscriptions import account_subscriptions, focus_subscriptions
from tui_app.models import MessageRejected, RejectCounter
from tui_app.state import AccountState


def test_burst_limit_passes_a_burst_per_window_and_says_how_many_it_left_out():
    now = [0.0]
    limit = BurstLimit(burst=3, window=10, clock=lambda: now[0])
    records = [logging.LogRecord("x", logging.WARNING, "", 0, "bad %s", (n,), None)
               for n in range(10)]  # fmt: skip
    passed = [r for r in records[:8] if limit.filter(r)]
    assert len(passed) == 3 and limit.suppressed == 5
    now[0] = 10.0
    assert limit.filter(records[8])
    assert records[8].getMessage() == "bad 8 [5 similar messages left out before]"


def test_rate_meter_counts_over_a_sliding_window():
    meter = RateMeter(window=10)
    for second in range(20):
        meter.add(second + 0.5, count=5)
    assert meter.per_second(20.0) == 5.0
    assert meter.per_second(100.0) == 0.0
    fresh = RateMeter(window=10)
    fresh.add(0.1, count=3)
    assert fresh.per_second(0.2) == 3.0  # not diluted over a window not yet lived


def test_subscription_requests():
    subs = account_subscriptions(ALICE.address, 0)
    assert [s.subscribe() for s in subs] == [
        {"type": "subscribe", "channel": "v4_markets"},
        {"type": "subscribe", "channel": "v4_block_height"},
        {"type": "subscribe", "channel": "v4_subaccounts", "id": f"{ALICE.address}/0"},
    ]
    book, trades = focus_subscriptions("ETH-USD")
    assert book.subscribe()["batched"] is True and "batched" not in trades.subscribe()
    assert book.unsubscribe() == {"type": "unsubscribe", "channel": "v4_orderbook",
                                  "id": "ETH-USD"}  # fmt: skip
    assert focus_subscriptions(None) == []


def test_a_rest_poll_applies_as_snapshots():
    snapshot = RestSnapshot(
        subaccount={"address": ALICE.address, "subaccountNumber": 0, "equity": "100",
                    "freeCollateral": "100", "openPerpetualPositions": {},
                    "assetPositions": {"USDC": {"symbol": "USDC", "side": "LONG",
                                                "size": "100", "assetId": "0"}}},
        orders=[],
        height={"height": "42", "time": "2026-01-01T00:00:00.000Z"},
        markets={"markets": {}},
        round_trip_ms=1.0,
    )  # fmt: skip
    state = AccountState(ALICE.address, 0)
    counter = RejectCounter()
    for message in parse_snapshot(snapshot, state.channel_id, counter):
        assert not isinstance(message, MessageRejected), message
        state.apply(message)
    assert state.snapshot_received and state.block_height == 42
    assert str(state.usdc_balance) == "100"
    # A subaccount the indexer does not know (404) is an empty snapshot, not an error.
    empty = RestSnapshot(None, [], snapshot.height, snapshot.markets, 1.0)
    frames = [json.loads(f) for f in snapshot_frames(empty, state.channel_id)]
    assert frames[1]["contents"] == {}
    assert len({f["connection_id"] for f in frames}) == 1


def test_a_plain_http_indexer_gets_a_context_that_trusts_no_certificate():
    import ssl

    from tui_app.feed.rest_poller import tls_context_for

    context = tls_context_for("http://127.0.0.1:3002")
    assert context is not None  # no CA bundle to load for plain http...
    # ...and a stray https request could not go unverified: it verifies against nothing.
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0
    assert tls_context_for("https://indexer.dydx.trade") is None  # the shared verified one


async def test_the_app_joins_a_feed_the_launcher_started_and_hears_its_status():
    import asyncio

    from tui_app.feed.feed import IndexerFeed

    # Nothing listens on port 9: the session keeps failing to connect, which is enough.
    feed = IndexerFeed(AccountState(ALICE.address, 0), ws_url="ws://127.0.0.1:9/v4/ws",
                       rest_url="http://127.0.0.1:9", probe_interval=3600)  # fmt: skip
    heard_before: list = []
    feed.on_status(heard_before.append)
    assert heard_before == []  # not running: nothing to tell yet
    await feed.start()
    tasks = list(feed._tasks)
    heard: list = []
    feed.on_status(heard.append)
    assert heard and heard[0].network == "local"  # the current status, at once
    running = asyncio.create_task(feed.run())  # the app's worker: joins, does not restart
    await asyncio.sleep(0.05)
    assert feed._tasks == tasks and not running.done()
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    assert feed._tasks == []  # run() stopped it on the way out

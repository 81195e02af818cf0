"""v4_candles and REST candles: built from the devnet's trades as ender builds them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx

from tui_app.devnet.indexer.candles import RESOLUTIONS, CandleBook, period_start
from tui_app.devnet.indexer.ratelimit import RateLimit, RateLimiter

from .conftest import BTC, BUY, SELL, USD, Devnet, is_data, recv_json, recv_until, sample, subscribe
from .shapes import assert_same_shape

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def trade(devnet: Devnet, price: int = 50_000, size: int = BTC // 10, client_id: int = 1) -> None:
    """Bob sells to alice (alice takes) in the next block."""
    h = devnet.h
    gtb = h.next_height + 10
    assert h.send(h.bob.place(client_id, SELL, size, price * USD, gtb=gtb)).code == 0
    assert h.send(h.alice.place(client_id, BUY, size, price * USD, gtb=gtb)).code == 0
    h.block()


# ---- the candle rules, without a chain ------------------------------------------------


def _block(book: CandleBook, seconds: float, trades=(), mid=None, oi="0") -> list:
    for price, size in trades:
        book.add_trade("BTC-USD", Decimal(price), Decimal(size))
    time = T0 + timedelta(seconds=seconds)
    return book.on_block(time, ["BTC-USD"], {"BTC-USD": Decimal(oi)}, {"BTC-USD": mid})


def test_no_trade_no_candle_then_one_candle_per_resolution() -> None:
    book = CandleBook()
    assert _block(book, 1) == []
    made = _block(book, 2, [("100.5", "2"), ("99", "1"), ("101", "0.5")], mid=Decimal("100"))
    assert [c.resolution for c in made] == list(RESOLUTIONS)
    first = made[0].as_dict()
    assert first == {
        "startedAt": "2026-01-01T00:00:00.000Z",
        "ticker": "BTC-USD",
        "resolution": "1MIN",
        "low": "99",
        "high": "101",
        "open": "100.5",
        "close": "101",
        "baseTokenVolume": "3.5",
        "usdVolume": "350.5",  # 201 + 99 + 50.5, exact
        "trades": 3,
        "startingOpenInterest": "0",
        "orderbookMidPriceOpen": "100",
        "orderbookMidPriceClose": "100",
    }


def test_same_period_merges_and_quiet_blocks_send_nothing() -> None:
    book = CandleBook()
    _block(book, 1, [("100", "1")])
    assert _block(book, 2) == []
    merged = _block(book, 3, [("90", "1"), ("95", "2")], mid=Decimal("1"))
    candle = merged[0].as_dict()
    assert (candle["low"], candle["high"], candle["open"], candle["close"]) == (
        "90", "100", "100", "95",
    )  # fmt: skip
    assert (candle["trades"], candle["baseTokenVolume"], candle["usdVolume"]) == (3, "4", "380")
    # The mid prices stay those of the candle's creation (none then).
    assert candle["orderbookMidPriceOpen"] is None


def test_rollover_closes_the_old_candle_and_opens_an_empty_one() -> None:
    book = CandleBook()
    _block(book, 1, [("100", "1")], mid=Decimal("99.5"))
    rolled = _block(book, 61, mid=Decimal("98"), oi="1.5")
    # Only 1MIN rolled over: the old candle again (its closing mid), then the new one.
    assert [(c.resolution, c.started_at) for c in rolled] == [
        ("1MIN", T0), ("1MIN", T0 + timedelta(minutes=1)),
    ]  # fmt: skip
    old, new = (c.as_dict() for c in rolled)
    assert (old["orderbookMidPriceOpen"], old["orderbookMidPriceClose"]) == ("99.5", "98")
    assert new == {
        "startedAt": "2026-01-01T00:01:00.000Z",
        "ticker": "BTC-USD",
        "resolution": "1MIN",
        "low": "100",
        "high": "100",
        "open": "100",
        "close": "100",
        "baseTokenVolume": "0",
        "usdVolume": "0",
        "trades": 0,
        "startingOpenInterest": "1.5",
        "orderbookMidPriceOpen": "98",
        "orderbookMidPriceClose": "98",
    }
    # The empty candle's first trades replace it, open included.
    filled = _block(book, 62, [("120", "1")])[0].as_dict()
    assert (filled["open"], filled["low"], filled["high"], filled["trades"]) == ("120",) * 3 + (1,)


def test_period_starts() -> None:
    time = datetime(2026, 3, 4, 13, 47, 59, 999_000, tzinfo=UTC)
    starts = {r: period_start(time, r).strftime("%d %H:%M") for r in RESOLUTIONS}
    assert starts == {
        "1MIN": "04 13:47",
        "5MINS": "04 13:45",
        "15MINS": "04 13:45",
        "30MINS": "04 13:30",
        "1HOUR": "04 13:00",
        "4HOURS": "04 12:00",
        "1DAY": "04 00:00",
    }


# ---- WebSocket ---------------------------------------------------------------------------


async def test_candles_snapshot_and_update_match_the_capture(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        first = await subscribe(ws, "v4_candles", "BTC-USD/1MIN")
        assert (first["type"], first["id"], first["contents"]) == (
            "subscribed", "BTC-USD/1MIN", {"candles": []},
        )  # fmt: skip
        trade(devnet)
        update = await recv_until(ws, is_data("v4_candles"))
        again = await subscribe(ws, "v4_candles", "BTC-USD/1DAY")
    assert_same_shape(update, sample("v4_candles_channel_data"))
    assert (update["version"], update["id"]) == ("1.0.0", "BTC-USD/1MIN")
    candle = update["contents"]
    assert candle == {
        "startedAt": "2026-01-01T00:00:00.000Z",
        "ticker": "BTC-USD",
        "resolution": "1MIN",
        "low": "50000",
        "high": "50000",
        "open": "50000",
        "close": "50000",
        "baseTokenVolume": "0.1",
        "usdVolume": "5000",
        "trades": 1,
        "startingOpenInterest": "0",
        "orderbookMidPriceOpen": None,  # the book is empty after the trade
        "orderbookMidPriceClose": None,
    }
    assert again["contents"]["candles"] == [candle | {"resolution": "1DAY"}]
    # Key order of a real August 2025 candle, mid prices included (quoted in ccxt/ccxt's
    # dYdX WebSocket adapter, ts/src/pro/dydx.ts, handleOHLCV): the same as ours.
    assert list(candle) == [
        "startedAt", "ticker", "resolution", "low", "high", "open", "close",
        "baseTokenVolume", "usdVolume", "trades", "startingOpenInterest",
        "orderbookMidPriceOpen", "orderbookMidPriceClose",
    ]  # fmt: skip
    assert list(update)[:7] == [
        "type", "connection_id", "message_id", "id", "channel", "version", "contents",
    ]  # fmt: skip


async def test_candles_roll_over_without_trades(devnet: Devnet) -> None:
    h = devnet.h
    trade(devnet)  # block time 00:00:01, open interest 0.1 from now on
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_candles", "BTC-USD/1MIN")
        h.chain.produce_block(T0 + timedelta(minutes=1, seconds=5))
        old = await recv_until(ws, is_data("v4_candles"))
        new = await recv_until(ws, is_data("v4_candles"))
    assert old["contents"]["startedAt"] == "2026-01-01T00:00:00.000Z"
    assert new["contents"]["startedAt"] == "2026-01-01T00:01:00.000Z"
    assert (new["contents"]["trades"], new["contents"]["open"]) == (0, "50000")
    assert new["contents"]["startingOpenInterest"] == "0.1"


async def test_candle_ids_caps_and_batches(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        for bad in ("BTC-USD/2MIN", "NOPE-USD/1MIN", "BTC-USD", "btc-usd/1MIN"):
            error = await subscribe(ws, "v4_candles", bad)
            assert error["message"] == f"Invalid subscription id for channel: (v4_candles-{bad})"
        # socks reads only the first two parts of the id, so these are all valid (and distinct).
        for i in range(32):
            ok = await subscribe(ws, "v4_candles", f"ETH-USD/5MINS/{i}")
            assert ok["type"] == "subscribed"
        over = await subscribe(ws, "v4_candles", "ETH-USD/5MINS")
        assert over["message"] == (
            "Per-connection subscription limit reached for v4_candles (limit=32)."
        )
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_candles", "BTC-USD/1HOUR", batched=True)
        trade(devnet, client_id=1)
        trade(devnet, price=50_010, client_id=2)
        batch = await recv_until(ws, is_data("v4_candles"))
        if len(batch["contents"]) == 1:  # the two blocks fell on both sides of a flush
            batch["contents"] += (await recv_until(ws, is_data("v4_candles")))["contents"]
    assert batch["type"] == "channel_batch_data"
    assert [c["trades"] for c in batch["contents"]] == [1, 2]
    assert batch["contents"][1]["high"] == "50010"


async def test_unknown_candle_channel_error_text(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        await recv_json(ws)
        await ws.send(json.dumps({"type": "subscribe", "channel": "v4_candles"}))
        assert (await recv_json(ws))["message"] == "Invalid id: None"


# ---- REST --------------------------------------------------------------------------------


async def test_rest_candles_newest_first_with_limit_and_window(devnet: Devnet) -> None:
    h = devnet.h
    trade(devnet, client_id=1)  # 00:00:01
    h.chain.produce_block(T0 + timedelta(minutes=1, seconds=1))
    trade(devnet, price=50_100, client_id=2)  # 00:01:02
    h.chain.produce_block(T0 + timedelta(minutes=2, seconds=1))
    url = "/v4/candles/perpetualMarkets/BTC-USD"
    async with httpx.AsyncClient(base_url=devnet.rest_url) as http:
        every = (await http.get(url, params={"resolution": "1MIN"})).json()["candles"]
        last = (await http.get(url, params={"resolution": "1MIN", "limit": 1})).json()
        window = await http.get(
            url,
            params={
                "resolution": "1MIN",
                "fromISO": "2026-01-01T00:01:00.000Z",
                "toISO": "2026-01-01T00:02:00Z",
            },
        )
        hour = (await http.get(url, params={"resolution": "1HOUR"})).json()["candles"]
    assert [c["startedAt"][11:19] for c in every] == ["00:02:00", "00:01:00", "00:00:00"]
    assert [(c["trades"], c["close"]) for c in every] == [(0, "50100"), (1, "50100"), (1, "50000")]
    assert last["candles"] == every[:1]
    assert window.json()["candles"] == every[1:2]
    assert [(c["trades"], c["low"], c["high"], c["usdVolume"]) for c in hour] == [
        (2, "50000", "50100", "10010"),
    ]
    assert_same_shape(every[0], sample("v4_candles_channel_data")["contents"])


async def test_rest_candles_errors_like_comlink(devnet: Devnet) -> None:
    url = "/v4/candles/perpetualMarkets"
    resolutions = "1MIN,5MINS,15MINS,30MINS,1HOUR,4HOURS,1DAY"
    resolution_msg = f"resolution must be a valid Candle Resolution, one of {resolutions}"
    async with httpx.AsyncClient(base_url=devnet.rest_url) as http:
        missing = await http.get(f"{url}/BTC-USD")
        bad = await http.get(f"{url}/BTC-USD?resolution=2MIN")
        unknown = await http.get(f"{url}/NOPE-USD?resolution=1MIN")
        limit = await http.get(f"{url}/BTC-USD?resolution=1MIN&limit=0")
        when = await http.get(f"{url}/BTC-USD?resolution=1MIN&fromISO=yesterday")
    assert {r.status_code for r in (missing, bad, unknown, limit, when)} == {400}
    # Absent: isString and isIn both fail, and an undefined value is not written.
    assert missing.json() == {
        "errors": [{"msg": resolution_msg, "param": "resolution", "location": "query"}] * 2
    }
    assert bad.json() == {
        "errors": [
            {"value": "2MIN", "msg": resolution_msg, "param": "resolution", "location": "query"}
        ]
    }
    assert unknown.json() == {
        "errors": [
            {
                "value": "NOPE-USD",
                "msg": "ticker must be a valid ticker (BTC-USD, etc)",
                "param": "ticker",
                "location": "params",
            }
        ]
    }
    assert limit.json()["errors"] == [
        {
            "value": 0,
            "msg": "limit must be a positive integer that is not greater than max: 1000",
            "param": "limit",
            "location": "query",
        }
    ]
    assert when.json()["errors"] == [
        {"value": "yesterday", "msg": "Invalid value", "param": "fromISO", "location": "query"}
    ]


async def test_rest_candles_have_their_own_rate_limit_bucket(devnet: Devnet) -> None:
    devnet.indexer.rest.limiter = RateLimiter(
        RateLimit(points=1, window_seconds=60, candles_points=3)
    )
    url = "/v4/candles/perpetualMarkets/BTC-USD?resolution=1MIN"
    async with httpx.AsyncClient(base_url=devnet.rest_url) as http:
        candles = [await http.get(url) for _ in range(4)]
        height = [await http.get("/v4/height") for _ in range(2)]
    assert [r.status_code for r in candles] == [200, 200, 200, 429]
    assert candles[0].headers["RateLimit-Limit"] == "3"
    assert [r.status_code for r in height] == [200, 429]


async def test_rest_candles_with_the_real_client(devnet: Devnet) -> None:
    from dydx_v4_client.indexer.rest.indexer_client import IndexerClient

    trade(devnet)
    markets = IndexerClient(devnet.rest_url).markets
    day = await markets.get_perpetual_market_candles("BTC-USD", "1DAY")
    none = await markets.get_perpetual_market_candles(
        "BTC-USD", "1DAY", from_iso="2026-01-02T00:00:00Z"
    )
    assert [(c["resolution"], c["trades"], c["close"]) for c in day["candles"]] == [
        ("1DAY", 1, "50000")
    ]
    assert none == {"candles": []}

"""REST: the real dydx-v4-client IndexerClient (httpx) against the devnet's indexer."""

from __future__ import annotations

import httpx
import pytest
from dydx_v4_client.indexer.rest.constants import OrderStatus
from dydx_v4_client.indexer.rest.indexer_client import IndexerClient

from tui_app.devnet.indexer import ids

from .conftest import BTC, BUY, DAY, LONG_TERM, SELL, USD, Devnet


@pytest.fixture
def client(devnet: Devnet) -> IndexerClient:
    return IndexerClient(devnet.rest_url)


def trade(devnet: Devnet, size: int = BTC // 10) -> None:
    """Bob sells to alice at 50,000 in the next block."""
    h = devnet.h
    gtb = h.next_height + 10
    assert h.send(h.bob.place(1, SELL, size, 50_000 * USD, gtb=gtb)).code == 0
    assert h.send(h.alice.place(1, BUY, size, 50_000 * USD, gtb=gtb)).code == 0
    h.block()


async def test_height_and_time(devnet: Devnet, client: IndexerClient) -> None:
    devnet.h.block(2)
    height = await client.utility.get_height()
    assert height == {"height": str(devnet.chain.height), "time": "2026-01-01T00:00:02.000Z"}
    now = await client.utility.get_time()
    assert isinstance(now["epoch"], float) and now["iso"].endswith("Z")


async def test_markets_and_orderbook(devnet: Devnet, client: IndexerClient) -> None:
    markets = await client.markets.get_perpetual_markets()
    assert set(markets["markets"]) == {"BTC-USD", "ETH-USD", "SOL-USD"}
    btc = (await client.markets.get_perpetual_markets("BTC-USD"))["markets"]
    assert list(btc) == ["BTC-USD"]
    assert (btc["BTC-USD"]["tickSize"], btc["BTC-USD"]["stepSize"]) == ("1", "0.0001")
    book = await client.markets.get_perpetual_market_orderbook("BTC-USD")
    assert book == {"bids": [], "asks": []}
    with pytest.raises(httpx.HTTPStatusError) as error:
        await client.markets.get_perpetual_market_orderbook("NOPE-USD")
    assert error.value.response.status_code == 404


async def test_subaccount_positions_fills_and_pnl(devnet: Devnet, client: IndexerClient) -> None:
    trade(devnet)
    alice = devnet.h.alice.account.address
    subaccount = (await client.account.get_subaccount(alice, 0))["subaccount"]
    assert subaccount["openPerpetualPositions"]["BTC-USD"]["size"] == "0.1"
    assert (await client.account.get_subaccounts(alice))["subaccounts"][0] == subaccount
    positions = await client.account.get_subaccount_perpetual_positions(alice, 0)
    assert [p["status"] for p in positions["positions"]] == ["OPEN"]
    assets = await client.account.get_subaccount_asset_positions(alice, 0)
    assert assets["positions"][0]["symbol"] == "USDC"
    fills = (await client.account.get_subaccount_fills(alice, 0))["fills"]
    assert [(f["side"], f["liquidity"], f["market"]) for f in fills] == [
        ("BUY", "TAKER", "BTC-USD")
    ]
    assert "quoteAmount" not in fills[0] and fills[0]["subaccountNumber"] == 0
    pnl = (await client.account.get_subaccount_historical_pnls(alice, 0))["historicalPnl"]
    assert set(pnl[0]) >= {
        "equity", "totalPnl", "netTransfers", "createdAt", "blockHeight", "blockTime",
    }  # fmt: skip
    trades = await client.markets.get_perpetual_market_trades("BTC-USD")
    assert trades["trades"][0]["side"] == "BUY"


async def test_orders_filters_and_order_by_id(devnet: Devnet, client: IndexerClient) -> None:
    h = devnet.h
    alice = h.alice.account.address
    gtb = h.next_height + 10
    assert h.send(h.alice.place(1, BUY, BTC // 10, 40_000 * USD, gtb=gtb)).code == 0
    tx = h.alice.place(2, BUY, BTC // 10, 40_000 * USD, flags=LONG_TERM, gtbt=h.now + DAY)
    assert h.send(tx).code == 0
    h.block()
    orders = await client.account.get_subaccount_orders(alice, 0)
    assert [o["orderFlags"] for o in orders] == ["64", "0"]  # stateful first, as comlink sorts
    opened = await client.account.get_subaccount_orders(alice, 0, status=OrderStatus.OPEN)
    assert [o["clientId"] for o in opened] == ["2"]
    short = await client.account.get_subaccount_orders(
        alice, 0, ticker="BTC-USD", good_til_block_before_or_at=gtb, return_latest_orders=True
    )
    assert [o["clientId"] for o in short] == ["1"]
    assert await client.account.get_subaccount_orders(alice, 0, ticker="ETH-USD") == []
    order_id = ids.order_uuid(ids.subaccount_uuid(alice, 0), 2, 0, LONG_TERM)
    order = await client.account.get_order(order_id)
    assert (order["id"], order["status"], order["subaccountNumber"]) == (order_id, "OPEN", 0)


async def test_comma_and_repeated_status_lists(devnet: Devnet) -> None:
    h = devnet.h
    alice = h.alice.account.address
    assert h.send(h.alice.place(1, BUY, BTC // 10, 40_000 * USD, gtb=h.next_height + 5)).code == 0
    base = f"{devnet.rest_url}/v4/orders?address={alice}&subaccountNumber=0"
    async with httpx.AsyncClient() as http:
        comma = await http.get(f"{base}&status=OPEN,BEST_EFFORT_OPENED")
        repeated = await http.get(f"{base}&status=OPEN&status=BEST_EFFORT_OPENED")
        none = await http.get(f"{base}&status=FILLED")
    assert len(comma.json()) == len(repeated.json()) == 1
    assert none.json() == []


async def test_404_and_400_bodies(devnet: Devnet) -> None:
    alice = devnet.h.alice.account.address
    async with httpx.AsyncClient(base_url=devnet.rest_url) as http:
        missing = await http.get(f"/v4/addresses/{alice}/subaccountNumber/7")
        bad_address = await http.get("/v4/orders?address=nope&subaccountNumber=0")
        no_number = await http.get(f"/v4/fills?address={alice}")
        unknown_order = await http.get("/v4/orders/0f9da948-a6fb-4c45-9edc-4685c3f3317d")
        bad_status = await http.get(f"/v4/orders?address={alice}&subaccountNumber=0&status=X")
        half_market = await http.get(f"/v4/fills?address={alice}&subaccountNumber=0&market=BTC-USD")
    assert missing.status_code == 404
    assert missing.json() == {
        "errors": [{"msg": f"No subaccount found with address {alice} and subaccountNumber 7"}]
    }
    assert unknown_order.status_code == 404
    assert unknown_order.json()["errors"][0]["msg"].startswith("Unable to find order id")
    for response, param in (
        (bad_address, "address"),
        (no_number, "subaccountNumber"),
        (bad_status, "status"),
        (half_market, "market"),
    ):
        assert response.status_code == 400, param
        item = response.json()["errors"][0]
        assert set(item) == {"value", "msg", "param", "location"}
        assert item["param"] == param


async def test_rate_limit_headers_and_429(devnet: Devnet) -> None:
    from tui_app.devnet.indexer.ratelimit import RateLimit, RateLimiter

    devnet.indexer.rest.limiter = RateLimiter(RateLimit(points=2, window_seconds=60))
    async with httpx.AsyncClient(base_url=devnet.rest_url) as http:
        first = await http.get("/v4/height")
        await http.get("/v4/height")
        limited = await http.get("/v4/height")
        other_bucket = await http.get(
            f"/v4/orders?address={devnet.h.alice.account.address}&subaccountNumber=0"
        )
    assert first.headers["RateLimit-Limit"] == "2"
    assert first.headers["RateLimit-Remaining"] == "1"
    assert int(first.headers["RateLimit-Reset"]) > 1_700_000_000_000  # epoch milliseconds
    assert limited.status_code == 429
    assert limited.json() == {"errors": [{"msg": "Too many requests"}]}
    # Retry-After in milliseconds, as dYdX sends it (up to the 60 s window).
    assert 50_000 < int(limited.headers["Retry-After"]) <= 60_000
    assert other_bucket.status_code == 200


async def test_closed_position_keeps_side_entry_and_exit(
    devnet: Devnet, client: IndexerClient
) -> None:
    h = devnet.h
    trade(devnet)  # alice buys 0.1 at 50,000
    gtb = h.next_height + 10
    assert h.send(h.bob.place(2, BUY, BTC // 10, 51_000 * USD, gtb=gtb)).code == 0
    assert h.send(h.alice.place(2, SELL, BTC // 10, 51_000 * USD, gtb=gtb)).code == 0
    h.block()
    alice = h.alice.account.address
    closed = await client.account.get_subaccount_perpetual_positions(alice, 0, status="CLOSED")
    position = closed["positions"][0]
    assert (position["side"], position["size"], position["status"]) == ("LONG", "0", "CLOSED")
    assert (position["entryPrice"], position["exitPrice"]) == ("50000", "51000")
    sums = (position["sumOpen"], position["sumClose"], position["realizedPnl"])
    assert sums == ("0.1", "0.1", "100")
    assert position["closedAt"] is not None
    subaccount = (await client.account.get_subaccount(alice, 0))["subaccount"]
    assert subaccount["openPerpetualPositions"] == {}

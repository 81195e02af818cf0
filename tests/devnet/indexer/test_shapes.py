"""Every message type the devnet sends, compared structurally with real captures."""

from __future__ import annotations

import json

from .conftest import (
    BTC,
    BUY,
    DAY,
    LONG_TERM,
    SELL,
    USD,
    Devnet,
    is_data,
    recv_json,
    recv_until,
    sample,
    subscribe,
)
from .shapes import assert_same_shape, kind


def _order_update(message: dict, status: str) -> bool:
    if message["type"] != "channel_data" or message["channel"] != "v4_subaccounts":
        return False
    return any(o["status"] == status for o in message["contents"].get("orders", []))


async def test_connected(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        message = await recv_json(ws)
    assert_same_shape(message, sample("connected"))
    assert message["message_id"] == 0


async def test_subaccount_snapshot_with_an_open_order(devnet: Devnet) -> None:
    h = devnet.h
    # A short-term order partly filled on chain: OPEN with totalFilled and heights.
    gtb = h.next_height + 10
    assert h.send(h.alice.place(1, BUY, BTC // 10, 50_000 * USD, gtb=gtb)).code == 0
    assert h.send(h.bob.place(1, SELL, BTC // 20, 50_000 * USD, gtb=gtb)).code == 0
    h.block()
    async with devnet.connect() as ws:
        message = await subscribe(ws, "v4_subaccounts", devnet.alice_id)
    real = sample("v4_subaccounts_subscribed")
    assert_same_shape(message, real)
    order = message["contents"]["orders"][0]
    assert (order["status"], order["totalFilled"]) == ("OPEN", "0.05")
    position = message["contents"]["subaccount"]["openPerpetualPositions"]["BTC-USD"]
    assert set(position) == {
        "market", "status", "side", "size", "maxSize", "entryPrice", "exitPrice",
        "realizedPnl", "unrealizedPnl", "createdAt", "createdAtHeight", "closedAt",
        "sumOpen", "sumClose", "netFunding", "subaccountNumber",
    }  # fmt: skip
    assert (position["side"], position["size"], position["entryPrice"]) == ("LONG", "0.05", "50000")


async def test_unknown_subaccount_snapshot_is_empty(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        message = await subscribe(ws, "v4_subaccounts", devnet.alice_id.replace("/0", "/5"))
    assert message["contents"] == {}


async def test_short_term_order_best_effort_opened_then_canceled(devnet: Devnet) -> None:
    h = devnet.h
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_subaccounts", devnet.alice_id)
        gtb = h.next_height + 5
        assert h.send(h.alice.place(3, BUY, BTC // 10, 50_000 * USD, gtb=gtb, tif=1)).code == 0
        # (IOC against an empty book is removed at once; place a resting one to cancel.)
        assert h.send(h.alice.place(4, BUY, BTC // 10, 50_000 * USD, gtb=gtb)).code == 0
        opened = await recv_until(ws, lambda m: _order_update(m, "BEST_EFFORT_OPENED"))
        assert_same_shape(opened, sample("v4_subaccounts_channel_data_order_best_effort_opened"))
        assert h.send(h.alice.cancel(4, gtb=gtb)).code == 0
        canceled = await recv_until(ws, lambda m: _order_update(m, "BEST_EFFORT_CANCELED"))
    assert_same_shape(canceled, sample("v4_subaccounts_channel_data_order_best_effort_canceled"))
    order = canceled["contents"]["orders"][0]
    assert order["removalReason"] == "ORDER_REMOVAL_REASON_USER_CANCELED"


async def test_long_term_order_open_then_canceled(devnet: Devnet) -> None:
    h = devnet.h
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_subaccounts", devnet.alice_id)
        gtbt = h.now + DAY
        tx = h.alice.place(9, BUY, BTC // 10, 50_000 * USD, flags=LONG_TERM, gtbt=gtbt)
        assert h.send(tx).code == 0
        h.block()
        opened = await recv_until(ws, lambda m: _order_update(m, "OPEN"))
        assert_same_shape(opened, sample("v4_subaccounts_channel_data_order_open_long_term"))
        assert h.send(h.alice.cancel(9, flags=LONG_TERM, gtbt=gtbt)).code == 0
        h.block()
        canceled = await recv_until(ws, lambda m: _order_update(m, "CANCELED"))
    assert_same_shape(canceled, sample("v4_subaccounts_channel_data_order_canceled"))
    assert canceled["contents"]["orders"][0]["orderFlags"] == str(LONG_TERM)


async def test_fill_message(devnet: Devnet) -> None:
    h = devnet.h
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_subaccounts", devnet.alice_id)
        gtb = h.next_height + 10
        assert h.send(h.bob.place(1, SELL, BTC // 10, 50_000 * USD, gtb=gtb)).code == 0
        assert h.send(h.alice.place(1, BUY, BTC // 10, 50_000 * USD, gtb=gtb)).code == 0
        h.block()
        message = await recv_until(ws, lambda m: "fills" in m.get("contents", {}))
        balances = await recv_until(ws, is_data("v4_subaccounts"))
    assert_same_shape(message, sample("v4_subaccounts_channel_data_fill"))
    fill = message["contents"]["fills"][0]
    assert (fill["liquidity"], fill["side"], fill["size"], fill["price"]) == (
        "TAKER", "BUY", "0.1", "50000",
    )  # fmt: skip
    assert message["contents"]["orders"][0]["status"] == "FILLED"
    # The balance change comes as its own message, like the subaccount-update event.
    asset = balances["contents"]["assetPositions"][0]
    assert set(asset) == {
        "address", "subaccountNumber", "positionId", "assetId", "symbol", "side", "size",
    }  # fmt: skip
    assert {kind(v) for k, v in asset.items() if k != "subaccountNumber"} == {"str"}


async def test_markets_snapshot_and_oracle_update(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        message = await subscribe(ws, "v4_markets")
        assert_same_shape(message, sample("v4_markets_subscribed"))
        assert "id" not in message
        devnet.h.block(3)  # oracle prices walk every block
        update = await recv_until(ws, lambda m: "oraclePrices" in m.get("contents", {}))
    assert_same_shape(update, sample("v4_markets_channel_data_oracle_prices"))


async def test_block_height(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        message = await subscribe(ws, "v4_block_height")
        assert_same_shape(message, sample("v4_block_height_subscribed"))
        devnet.h.block()
        update = await recv_until(ws, is_data("v4_block_height"))
    assert_same_shape(update, sample("v4_block_height_channel_data"))
    assert int(update["contents"]["blockHeight"]) == int(message["contents"]["height"]) + 1


async def test_orderbook_snapshot_update_and_batch(devnet: Devnet) -> None:
    h = devnet.h
    gtb = h.next_height + 10
    assert h.send(h.alice.place(1, BUY, BTC // 10, 50_000 * USD, gtb=gtb)).code == 0
    async with devnet.connect() as ws, devnet.connect() as batched_ws:
        message = await subscribe(ws, "v4_orderbook", "BTC-USD")
        assert_same_shape(message, sample("v4_orderbook_subscribed"))
        assert message["contents"]["bids"] == [{"price": "50000", "size": "0.1"}]
        await subscribe(batched_ws, "v4_orderbook", "BTC-USD", batched=True)
        assert h.send(h.alice.place(2, SELL, BTC // 10, 70_000 * USD, gtb=gtb)).code == 0
        update = await recv_until(ws, is_data("v4_orderbook"))
        batch = await recv_until(batched_ws, is_data("v4_orderbook"))
    real_update = sample("v4_orderbook_channel_data")
    real_update["contents"] = {"asks": real_update["contents"]["bids"]}  # same shape per side
    assert_same_shape(update, real_update)
    assert update["contents"] == {"asks": [["70000", "0.1"]]}
    real_batch = sample("v4_orderbook_channel_batch_data")
    real_batch["contents"] = [c for c in real_batch["contents"] if "asks" in c][:1]
    assert_same_shape(batch, real_batch)
    assert batch["type"] == "channel_batch_data"


async def test_trades_snapshot_and_update(devnet: Devnet) -> None:
    h = devnet.h
    gtb = h.next_height + 10
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_trades", "BTC-USD")
        assert h.send(h.bob.place(1, SELL, BTC // 10, 50_000 * USD, gtb=gtb)).code == 0
        assert h.send(h.alice.place(1, BUY, BTC // 10, 50_000 * USD, gtb=gtb)).code == 0
        h.block()
        update = await recv_until(ws, is_data("v4_trades"))
        snapshot = await subscribe(ws, "v4_trades", "ETH-USD")
    assert update["version"] == "2.1.0"
    trade = update["contents"]["trades"][0]
    assert set(trade) == {"id", "size", "price", "side", "createdAt", "type"}
    assert (trade["side"], trade["size"], trade["price"], len(trade["id"])) == (
        "BUY", "0.1", "50000", 24,
    )  # fmt: skip
    assert snapshot["contents"] == {"trades": []}


async def test_unsubscribed_and_error(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        await recv_json(ws)
        await ws.send(json.dumps({"type": "subscribe", "channel": "v4_trades", "id": "NOPE-USD"}))
        error = await recv_json(ws)
        await ws.send(json.dumps({"type": "unsubscribe", "channel": "v4_trades", "id": "ETH-USD"}))
        unsubscribed = await recv_json(ws)
    assert_same_shape(error, sample("error"))
    assert error["message"] == "Invalid subscription id for channel: (v4_trades-NOPE-USD)"
    assert_same_shape(unsubscribed, sample("unsubscribed"))

"""Conditional orders in the indexer: v4_subaccounts UNTRIGGERED then OPEN, REST filters.

Shapes as v4-chain `84d4664b` indexer builds them: ender's conditional-order-placement
handler sends the order's database row (`generateOrderSubaccountMessage`), the triggered
handler hands the order to vulcan, whose `generateSubaccountMessageContents` sends it OPEN
with the row's heights and `triggerPrice`; `type` is STOP_LIMIT or TAKE_PROFIT
(`protocolConditionTypeToOrderType`)."""

from __future__ import annotations

from decimal import Decimal

import httpx
from dydx_v4_client.indexer.rest.indexer_client import IndexerClient

from tui_app.devnet.indexer import ids
from tui_app.devnet.indexer.render import iso, unix_iso

from ..conftest import ChainHarness
from .conftest import BTC, DAY, SELL, USD, Devnet, is_data, recv_until, running_devnet, subscribe

CONDITIONAL = 32
STOP_LOSS, TAKE_PROFIT = 1, 2


def place_stop(h: ChainHarness, client_id: int = 1, gtbt: int | None = None, **kw) -> int:
    """A sell: stop-loss triggered at or below 55000, take-profit at or above 65000 (the
    oracle starts at 60000)."""
    gtbt = gtbt or h.now + DAY
    condition = kw.pop("condition_type", STOP_LOSS)
    trigger = 55_000 if condition == STOP_LOSS else 65_000
    tx = h.alice.place(
        client_id,
        SELL,
        BTC // 10,
        54_000 * USD,
        flags=CONDITIONAL,
        gtbt=gtbt,
        condition_type=condition,
        trigger_subticks=trigger * USD,
        **kw,
    )
    assert h.send(tx).code == 0
    return gtbt


def order_uuid(devnet: Devnet, client_id: int = 1) -> str:
    sub = ids.subaccount_uuid(devnet.h.alice.account.address, 0)
    return ids.order_uuid(sub, client_id, 0, CONDITIONAL)


def orders_of(message: dict) -> list[dict]:
    return message["contents"].get("orders", [])


async def test_untriggered_then_open_field_by_field(devnet: Devnet) -> None:
    h = devnet.h
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_subaccounts", devnet.alice_id)
        gtbt = place_stop(h)
        h.block()
        placed_height, placed_time = h.chain.height, h.chain.block_time
        placed = await recv_until(ws, lambda m: is_data("v4_subaccounts")(m) and orders_of(m))
        common = {
            "id": order_uuid(devnet),
            "subaccountId": ids.subaccount_uuid(h.alice.account.address, 0),
            "clientId": "1",
            "clobPairId": "0",
            "side": "SELL",
            "size": "0.1",
            "price": "54000",
            "type": "STOP_LIMIT",
            "timeInForce": "GTT",
            "postOnly": False,
            "reduceOnly": False,
            "orderFlags": "32",
            "clientMetadata": "0",
            "ticker": "BTC-USD",
            "goodTilBlockTime": unix_iso(gtbt),
            "createdAtHeight": str(placed_height),
            "triggerPrice": "55000",
        }
        assert placed["contents"]["blockHeight"] == str(placed_height)
        assert orders_of(placed) == [
            common
            | {
                "status": "UNTRIGGERED",
                "totalFilled": "0",
                "updatedAt": iso(placed_time),
                "updatedAtHeight": str(placed_height),
            }
        ]
        h.chain.oracles[0] = Decimal("50000")
        h.block()
        triggered = await recv_until(ws, lambda m: is_data("v4_subaccounts")(m) and orders_of(m))
        assert orders_of(triggered) == [
            common
            | {
                "status": "OPEN",
                "updatedAt": iso(h.chain.block_time),
                "updatedAtHeight": str(h.chain.height),
            }
        ]


async def test_take_profit_type_and_cancel_of_an_untriggered_order(devnet: Devnet) -> None:
    h = devnet.h
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_subaccounts", devnet.alice_id)
        gtbt = place_stop(h, condition_type=TAKE_PROFIT, tif=1)  # a take-profit market order
        h.block()
        placed = await recv_until(ws, lambda m: is_data("v4_subaccounts")(m) and orders_of(m))
        (order,) = orders_of(placed)
        assert (order["type"], order["timeInForce"], order["status"]) == (
            "TAKE_PROFIT",
            "IOC",
            "UNTRIGGERED",
        )
        assert h.send(h.alice.cancel(1, flags=CONDITIONAL, gtbt=gtbt)).code == 0
        h.block()
        removed = await recv_until(ws, lambda m: is_data("v4_subaccounts")(m) and orders_of(m))
        (order,) = orders_of(removed)
        assert (order["status"], order["removalReason"], order["triggerPrice"]) == (
            "CANCELED",
            "ORDER_REMOVAL_REASON_USER_CANCELED",
            "65000",
        )


async def test_rest_untriggered_filter_and_type(devnet: Devnet) -> None:
    h = devnet.h
    alice = h.alice.account.address
    client = IndexerClient(devnet.rest_url)
    place_stop(h, client_id=1)
    place_stop(h, client_id=2, condition_type=TAKE_PROFIT)
    h.block()
    untriggered = await client.account.get_subaccount_orders(alice, 0, status="UNTRIGGERED")
    assert sorted(o["clientId"] for o in untriggered) == ["1", "2"]
    assert {o["triggerPrice"] for o in untriggered} == {"55000", "65000"}
    assert all(o["totalFilled"] == "0" and o["subaccountNumber"] == 0 for o in untriggered)
    base = f"{devnet.rest_url}/v4/orders?address={alice}&subaccountNumber=0"
    async with httpx.AsyncClient() as http:
        stops = (await http.get(f"{base}&type=STOP_LIMIT")).json()
        opened = (await http.get(f"{base}&status=OPEN")).json()
    assert [o["clientId"] for o in stops] == ["1"] and opened == []
    # The stop sell at 55000 triggers; the take-profit sell (at or above 55000) does not.
    h.chain.oracles[0] = Decimal("50000")
    h.block()
    opened = await client.account.get_subaccount_orders(alice, 0, status="OPEN")
    assert [(o["clientId"], o["type"]) for o in opened] == [("1", "STOP_LIMIT")]
    order = await client.account.get_order(order_uuid(devnet, 1))
    assert (order["status"], order["updatedAtHeight"]) == ("OPEN", str(h.chain.height))


async def test_an_indexer_started_later_knows_which_orders_triggered() -> None:
    h = ChainHarness()
    place_stop(h, client_id=1)
    place_stop(h, client_id=2, condition_type=TAKE_PROFIT)
    h.block()
    h.chain.oracles[0] = Decimal("50000")
    h.block(2)
    async with running_devnet(h) as devnet:
        client = IndexerClient(devnet.rest_url)
        orders = await client.account.get_subaccount_orders(h.alice.account.address, 0)
        assert sorted((o["clientId"], o["status"]) for o in orders) == [
            ("1", "OPEN"),
            ("2", "UNTRIGGERED"),
        ]


async def test_an_order_triggered_in_its_placement_block_is_sent_untriggered_then_open(
    devnet: Devnet,
) -> None:
    h = devnet.h
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_subaccounts", devnet.alice_id)
        # A take-profit sell at or above 55000 with the oracle near 60000: triggers at once.
        tx = h.alice.place(
            1,
            SELL,
            BTC // 10,
            54_000 * USD,
            flags=CONDITIONAL,
            gtbt=h.now + DAY,
            condition_type=TAKE_PROFIT,
            trigger_subticks=55_000 * USD,
        )
        assert h.send(tx).code == 0
        h.block()
        height = str(h.chain.height)
        first = await recv_until(ws, lambda m: is_data("v4_subaccounts")(m) and orders_of(m))
        second = await recv_until(ws, lambda m: is_data("v4_subaccounts")(m) and orders_of(m))
    assert [o["status"] for o in orders_of(first)] == ["UNTRIGGERED"]
    assert [o["status"] for o in orders_of(second)] == ["OPEN"]
    assert first["contents"]["blockHeight"] == second["contents"]["blockHeight"] == height

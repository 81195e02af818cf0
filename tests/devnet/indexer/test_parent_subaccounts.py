"""v4_parent_subaccounts and the parent REST routes: children 0, 128, 256... of parent 0."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from dydx_v4_client.indexer.rest.constants import OrderStatus
from dydx_v4_client.indexer.rest.indexer_client import IndexerClient
from v4_proto.dydxprotocol.subaccounts.subaccount_pb2 import SubaccountId as ProtoSubaccountId

from tui_app.devnet.accounts import ALICE, BOB, CARL
from tui_app.devnet.indexer.parents import (
    js_number,
    parent_contents,
    parse_parent_number,
    valid_parent_channel_id,
)
from tui_app.devnet.indexer.queries import aggregate_hourly

from ..conftest import ChainHarness
from .conftest import (
    BTC,
    BUY,
    SELL,
    USD,
    Devnet,
    is_data,
    recv_until,
    running_devnet,
    sample,
    subscribe,
)
from .shapes import assert_same_shape

ALICE_PARENT = f"{ALICE.address}/0"


@pytest.fixture
async def devnet() -> AsyncIterator[Devnet]:
    """Alice has children 0 (genesis), 128 and 256 of parent 0 before the indexer starts."""
    h = ChainHarness()
    h.chain.fund(ALICE.address, Decimal(1000), 128)
    h.chain.fund(ALICE.address, Decimal("250.5"), 256)
    async with running_devnet(h) as running:
        yield running


def place_as(signer, number: int, *args, **kwargs) -> bytes:
    """A place-order tx for one of the signer's subaccounts."""
    signer.subaccount = ProtoSubaccountId(owner=signer.account.address, number=number)
    try:
        return signer.place(*args, **kwargs)
    finally:
        signer.subaccount = ProtoSubaccountId(owner=signer.account.address, number=0)


def trade_on_child(devnet: Devnet, number: int, client_id: int = 1) -> None:
    """Alice's child `number` buys 0.01 BTC from bob at 50,000 in the next block."""
    h = devnet.h
    gtb = h.next_height + 10
    assert h.send(h.bob.place(client_id, SELL, BTC // 100, 50_000 * USD, gtb=gtb)).code == 0
    tx = place_as(h.alice, number, client_id, BUY, BTC // 100, 50_000 * USD, gtb=gtb)
    assert h.send(tx).code == 0
    h.block()


# ---- helpers -----------------------------------------------------------------------------


def test_parent_helpers() -> None:
    assert [js_number(t) for t in ("5", "", " 7 ", "1e2", "0x10", "-1", "5.5")] == [
        5, 0, 7, 100, 16, -1, 5.5,
    ]  # fmt: skip
    assert math.isnan(js_number("abc")) and math.isnan(js_number("0x"))
    assert [valid_parent_channel_id(i) for i in ("a/0", "a/127", "a/128", "a/x", "a/1/2", "a")] == [
        True, True, False, False, False, False,
    ]  # fmt: skip
    # socks lets "-1" and "5.5" through (JavaScript's Number); comlink then rejects them.
    assert valid_parent_channel_id("a/-1") and valid_parent_channel_id("a/5.5")
    assert [parse_parent_number(r) for r in ("0", "127", "007", "+3", "128", "-1", "5.5")] == [
        0, 127, 7, 3, None, None, None,
    ]  # fmt: skip


def test_transfers_between_children_of_one_parent_are_dropped() -> None:
    def transfer(sender: dict, recipient: dict) -> dict:
        body = {"sender": sender, "recipient": recipient, "symbol": "USDC", "size": "4.5"}
        return {"transfers": body, "blockHeight": "9"}

    a, b = ALICE.address, BOB.address
    inside = transfer(
        {"address": a, "subaccountNumber": 0}, {"address": a, "subaccountNumber": 128}
    )
    assert parent_contents(inside) == {"blockHeight": "9"}
    for kept in (
        transfer({"address": a, "subaccountNumber": 0}, {"address": a, "subaccountNumber": 1}),
        transfer({"address": a, "subaccountNumber": 0}, {"address": b, "subaccountNumber": 128}),
        transfer({"address": a}, {"address": a, "subaccountNumber": 128}),  # a deposit
    ):
        assert parent_contents(kept) == kept


# ---- REST --------------------------------------------------------------------------------


async def test_rest_parent_subaccount(devnet: Devnet) -> None:
    alice = ALICE.address
    async with httpx.AsyncClient(base_url=devnet.rest_url) as http:
        parent = (await http.get(f"/v4/addresses/{alice}/parentSubaccountNumber/0")).json()
        child = (await http.get(f"/v4/addresses/{alice}/subaccountNumber/128")).json()
        none = await http.get(f"/v4/addresses/{alice}/parentSubaccountNumber/5")
        too_big = await http.get(f"/v4/addresses/{alice}/parentSubaccountNumber/128")
        both_bad = await http.get("/v4/addresses/dydx1bad/parentSubaccountNumber/x")
    body = parent["subaccount"]
    assert list(body) == [
        "address", "parentSubaccountNumber", "equity", "freeCollateral", "childSubaccounts",
    ]  # fmt: skip
    assert (body["address"], body["parentSubaccountNumber"]) == (alice, 0)
    children = body["childSubaccounts"]
    assert [c["subaccountNumber"] for c in children] == [0, 128, 256]
    assert children[1] == child["subaccount"]
    total = sum(Decimal(c["equity"]) for c in children)
    assert Decimal(body["equity"]) == total and Decimal(body["freeCollateral"]) == total
    assert_same_shape(children[0], sample("v4_subaccounts_subscribed")["contents"]["subaccount"])
    assert none.status_code == 404
    assert none.json() == {
        "errors": [
            {"msg": f"No subaccounts found for address {alice} and parentSubaccountNumber 5"}
        ]
    }
    assert too_big.status_code == 400
    assert too_big.json()["errors"] == [
        {
            "value": "128",
            "msg": "parentSubaccountNumber must be a non-negative integer less than 128",
            "param": "parentSubaccountNumber",
            "location": "params",
        }
    ]
    assert [e["param"] for e in both_bad.json()["errors"]] == ["address", "parentSubaccountNumber"]


async def test_rest_parent_orders(devnet: Devnet) -> None:
    h = devnet.h
    gtb = h.next_height + 10
    for client_id, number in ((1, 0), (2, 128), (3, 256)):
        tx = place_as(
            h.alice, number, client_id, BUY, BTC // 100, (40_000 + client_id) * USD, gtb=gtb
        )
        assert h.send(tx).code == 0
    alice = ALICE.address
    url = "/v4/orders/parentSubaccountNumber"
    async with httpx.AsyncClient(base_url=devnet.rest_url) as http:
        every = (await http.get(url, params={"address": alice, "parentSubaccountNumber": 0})).json()
        one_child = (await http.get(f"/v4/orders?address={alice}&subaccountNumber=128")).json()
        limited = await http.get(
            url, params={"address": alice, "parentSubaccountNumber": 0, "limit": 2}
        )
        other_parent = await http.get(url, params={"address": alice, "parentSubaccountNumber": 1})
        missing = await http.get(url, params={"address": alice})
    assert sorted(o["subaccountNumber"] for o in every) == [0, 128, 256]
    assert {o["status"] for o in every} == {"BEST_EFFORT_OPENED"}
    assert [o for o in every if o["subaccountNumber"] == 128] == one_child
    assert len(limited.json()) == 2
    assert other_parent.json() == []
    assert missing.status_code == 400
    assert missing.json()["errors"] == [
        {
            "msg": "parentSubaccountNumber must be a non-negative integer less than 128",
            "param": "parentSubaccountNumber",
            "location": "query",
        }
    ]


# ---- WebSocket ---------------------------------------------------------------------------


async def test_parent_snapshot(devnet: Devnet) -> None:
    h = devnet.h
    # A short-term order of child 128 partly filled on chain: OPEN with heights.
    gtb = h.next_height + 10
    tx = place_as(h.alice, 128, 7, BUY, BTC // 100, 50_000 * USD, gtb=gtb)
    assert h.send(tx).code == 0
    assert h.send(h.bob.place(1, SELL, BTC // 200, 50_000 * USD, gtb=gtb)).code == 0
    h.block()
    async with devnet.connect() as ws:
        message = await subscribe(ws, "v4_parent_subaccounts", ALICE_PARENT)
        child = await subscribe(ws, "v4_subaccounts", f"{ALICE.address}/128")
    assert (message["type"], message["id"]) == ("subscribed", ALICE_PARENT)
    contents = message["contents"]
    assert list(contents) == ["subaccount", "orders", "blockHeight"]
    assert [c["subaccountNumber"] for c in contents["subaccount"]["childSubaccounts"]] == [
        0, 128, 256,
    ]  # fmt: skip
    assert contents["orders"] == child["contents"]["orders"]
    real = sample("v4_subaccounts_subscribed")["contents"]
    assert_same_shape(contents["orders"][0], real["orders"][0])
    assert_same_shape(contents["subaccount"]["childSubaccounts"][1], real["subaccount"])
    order = contents["orders"][0]
    assert (order["status"], order["totalFilled"], order["subaccountNumber"]) == (
        "OPEN",
        "0.005",
        128,
    )
    position = contents["subaccount"]["childSubaccounts"][1]["openPerpetualPositions"]["BTC-USD"]
    assert (position["size"], position["subaccountNumber"]) == ("0.005", 128)


async def test_parent_ids_and_empty_snapshot(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        for bad in (f"{ALICE.address}/128", f"{ALICE.address}/x", f"{ALICE.address}/0/1"):
            error = await subscribe(ws, "v4_parent_subaccounts", bad)
            assert error["message"] == (
                f"Invalid subscription id for channel: (v4_parent_subaccounts-{bad})"
            )
        # socks does not check the address or that the number is whole: comlink answers 400.
        for unfetchable in ("dydx1bad/0", f"{ALICE.address}/5.5"):
            error = await subscribe(ws, "v4_parent_subaccounts", unfetchable)
            assert error["message"] == (
                "Internal error, could not fetch data for subscription: v4_parent_subaccounts."
            )
        empty = await subscribe(ws, "v4_parent_subaccounts", f"{BOB.address}/3")
    assert empty["contents"] == {}


async def test_child_updates_reach_the_parent_with_their_number(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_parent_subaccounts", ALICE_PARENT)
        await subscribe(ws, "v4_subaccounts", f"{ALICE.address}/128")
        trade_on_child(devnet, 128)
        child = await recv_until(
            ws, lambda m: is_data("v4_subaccounts")(m) and "fills" in m["contents"]
        )
        parent = await recv_until(ws, is_data("v4_parent_subaccounts"))
        balance = await recv_until(ws, is_data("v4_parent_subaccounts"))
    assert (parent["id"], parent["subaccountNumber"], parent["version"]) == (
        ALICE_PARENT, 128, "3.0.0",
    )  # fmt: skip
    assert list(parent)[-1] == "subaccountNumber"
    assert parent["contents"] == child["contents"]
    real = sample("v4_subaccounts_channel_data_fill")
    real["subaccountNumber"] = 128
    assert_same_shape(parent, real)
    assert parent["contents"]["fills"][0]["size"] == "0.01"
    assert balance["contents"]["assetPositions"][0]["subaccountNumber"] == 128
    assert balance["subaccountNumber"] == 128


async def test_off_chain_order_updates_reach_the_parent(devnet: Devnet) -> None:
    h = devnet.h
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_parent_subaccounts", ALICE_PARENT)
        tx = place_as(h.alice, 256, 5, BUY, BTC // 100, 40_000 * USD, gtb=h.next_height + 5)
        assert h.send(tx).code == 0
        message = await recv_until(ws, is_data("v4_parent_subaccounts"))
    assert message["subaccountNumber"] == 256
    assert message["contents"]["orders"][0]["status"] == "BEST_EFFORT_OPENED"
    assert_same_shape(
        message | {"subaccountNumber": 0},
        sample("v4_subaccounts_channel_data_order_best_effort_opened") | {"subaccountNumber": 0},
    )


async def test_batched_parent_updates_come_per_child_in_number_order(devnet: Devnet) -> None:
    h = devnet.h
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_parent_subaccounts", ALICE_PARENT, batched=True)
        gtb = h.next_height + 5
        # Child 256 first, then child 0: the flush still sends 0 before 256.
        for client_id, number in ((1, 256), (2, 0), (3, 256)):
            tx = place_as(h.alice, number, client_id, BUY, BTC // 100, 40_000 * USD, gtb=gtb)
            assert h.send(tx).code == 0
        first = await recv_until(ws, is_data("v4_parent_subaccounts"))
        second = await recv_until(ws, is_data("v4_parent_subaccounts"))
    assert {first["type"], second["type"]} == {"channel_batch_data"}
    assert (first["subaccountNumber"], len(first["contents"])) == (0, 1)
    assert (second["subaccountNumber"], len(second["contents"])) == (256, 2)
    assert [c["orders"][0]["clientId"] for c in second["contents"]] == ["1", "3"]
    assert second["message_id"] == first["message_id"] + 1
    assert json.loads(json.dumps(second))["contents"][0]["orders"][0]["status"] == (
        "BEST_EFFORT_OPENED"
    )


async def test_parent_subscription_cap(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        for address in (ALICE.address, BOB.address):
            for number in range(128):
                ok = await subscribe(ws, "v4_parent_subaccounts", f"{address}/{number}")
                assert ok["type"] == "subscribed"
        over = await subscribe(ws, "v4_parent_subaccounts", f"{CARL.address}/0")
    assert over["message"] == (
        "Per-connection subscription limit reached for v4_parent_subaccounts (limit=256)."
    )


async def test_parent_lists_with_the_real_client(devnet: Devnet) -> None:
    """dydx-v4-client's parent methods: positions, balances, fills, orders, pnl."""
    trade_on_child(devnet, 128, client_id=1)
    trade_on_child(devnet, 256, client_id=2)
    client = IndexerClient(devnet.rest_url)
    alice = ALICE.address
    account = client.account
    positions = (await account.get_parent_subaccount_positions(alice, 0))["positions"]
    assets = (await account.get_parent_subaccount_asset_positions(alice, 0))["positions"]
    fills = await account.get_parent_fills(alice, 0)
    orders = await account.list_parent_orders(alice, 0, status=OrderStatus.FILLED)
    pnl = (await account.get_parent_historical_pnls(alice, 0))["historicalPnl"]
    parent = (await account.get_parent_subaccount(alice, 0))["subaccount"]
    with pytest.raises(httpx.HTTPStatusError) as error:
        await account.get_parent_historical_pnls(BOB.address, 9)
    assert error.value.response.status_code == 404
    # Newest first across the children, each item with its child's number.
    assert [p["subaccountNumber"] for p in positions] == [256, 128]
    assert [(a["subaccountNumber"], a["symbol"]) for a in assets] == [
        (0, "USDC"), (128, "USDC"), (256, "USDC"),
    ]  # fmt: skip
    assert [(f["subaccountNumber"], f["market"]) for f in fills["fills"]] == [
        (256, "BTC-USD"), (128, "BTC-USD"),
    ]  # fmt: skip
    assert sorted(o["subaccountNumber"] for o in orders) == [128, 256]
    # One tick per child at the first block the indexer saw, summed into one hour.
    assert list(pnl[0]) == [
        "equity", "totalPnl", "netTransfers", "createdAt", "blockHeight", "blockTime",
    ]  # fmt: skip
    assert len(pnl) == 1 and Decimal(pnl[0]["netTransfers"]) > 0
    assert Decimal(parent["equity"]) == sum(
        Decimal(c["equity"]) for c in parent["childSubaccounts"]
    )


def test_hourly_pnl_aggregation_like_comlink() -> None:
    def tick(sub: str, created: str, equity: str, height: int) -> dict:
        return {
            "subaccountId": sub,
            "equity": equity,
            "totalPnl": "1",
            "netTransfers": "0.5",
            "createdAt": created,
            "blockHeight": str(height),
            "blockTime": created,
        }

    ticks = [
        tick("a", "2026-01-01T01:30:00.000Z", "10", 30),
        tick("b", "2026-01-01T01:20:00.000Z", "5.25", 20),
        tick("a", "2026-01-01T01:10:00.000Z", "99", 10),  # a's second tick that hour: skipped
        tick("a", "2026-01-01T00:10:00.000Z", "7", 5),
    ]
    hourly = aggregate_hourly(ticks)
    assert [(t["createdAt"], t["equity"], t["totalPnl"], t["netTransfers"]) for t in hourly] == [
        ("2026-01-01T01:30:00.000Z", "15.25", "2", "1"),
        ("2026-01-01T00:10:00.000Z", "7", "1", "0.5"),
    ]

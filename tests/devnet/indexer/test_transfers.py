"""Transfers in the indexer: v4_subaccounts / v4_parent_subaccounts messages (checked
against the real capture) and comlink's /v4/transfers routes."""

from __future__ import annotations

import asyncio

import httpx

from tui_app.devnet.accounts import ALICE, BOB
from tui_app.devnet.indexer import ids
from tui_app.devnet.types import SubaccountId

from .conftest import Devnet, is_data, recv_until, sample, subscribe
from .shapes import assert_same_shape

USDC = 1_000_000
# ender's generateTransferContents, in its key order (the capture's keys are sorted).
TRANSFER_KEYS = [
    "sender", "recipient", "symbol", "size", "type", "createdAt", "createdAtHeight",
    "transactionHash",
]  # fmt: skip
REST_KEYS = [
    "id", "sender", "recipient", "size", "createdAt", "createdAtHeight", "symbol", "type",
    "transactionHash",
]  # fmt: skip


def _transfer_message(message: dict) -> bool:
    return is_data(message.get("channel", ""))(message) and "transfers" in message["contents"]


def _asset_message(message: dict) -> bool:
    return message["type"] == "channel_data" and "assetPositions" in message["contents"]


async def _send_and_commit(devnet: Devnet, tx: bytes) -> str:
    result = devnet.h.send(tx)
    assert result.code == 0, result
    devnet.h.block()
    assert devnet.h.chain.get_tx(result.txhash).result.code == 0
    return result.txhash


async def test_withdrawal_message_matches_the_capture_key_by_key(devnet: Devnet) -> None:
    h = devnet.h
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_subaccounts", devnet.alice_id)
        txhash = await _send_and_commit(devnet, h.alice.withdraw(10 * USDC))
        balances = await recv_until(ws, _asset_message)
        message = await recv_until(ws, _transfer_message)
    real = sample("v4_subaccounts_channel_data_transfer")
    assert_same_shape(message, real)
    assert list(message["contents"]) == ["transfers", "blockHeight"]
    transfer = message["contents"]["transfers"]
    assert list(transfer) == TRANSFER_KEYS
    assert sorted(transfer) == sorted(real["contents"]["transfers"])
    assert transfer["sender"] == {"address": ALICE.address, "subaccountNumber": 0}
    assert transfer["recipient"] == {"address": ALICE.address}  # a wallet: no number
    assert (transfer["type"], transfer["size"], transfer["symbol"]) == ("WITHDRAWAL", "10", "USDC")
    assert transfer["transactionHash"] == txhash
    height = str(h.chain.height)
    assert transfer["createdAtHeight"] == message["contents"]["blockHeight"] == height
    assert transfer["createdAt"].endswith("Z") and len(transfer["createdAt"]) == 24
    # The balance comes first, in its own message (the subaccount-update event).
    (asset,) = balances["contents"]["assetPositions"]
    assert asset["size"] == "999990"
    assert balances["message_id"] < message["message_id"]


async def test_deposit_and_transfer_types_per_view(devnet: Devnet) -> None:
    h = devnet.h
    bob_id = f"{BOB.address}/0"
    async with devnet.connect() as alice_ws, devnet.connect() as bob_ws:
        await subscribe(alice_ws, "v4_subaccounts", devnet.alice_id)
        await subscribe(bob_ws, "v4_subaccounts", bob_id)
        await _send_and_commit(devnet, h.alice.deposit(5 * USDC))
        deposit = (await recv_until(alice_ws, _transfer_message))["contents"]["transfers"]
        await _send_and_commit(devnet, h.alice.transfer(2_500_000, h.bob.sub()))
        out = (await recv_until(alice_ws, _transfer_message))["contents"]["transfers"]
        into = (await recv_until(bob_ws, _transfer_message))["contents"]["transfers"]
    assert deposit["type"] == "DEPOSIT"
    assert deposit["sender"] == {"address": ALICE.address}
    assert deposit["recipient"] == {"address": ALICE.address, "subaccountNumber": 0}
    assert (out["type"], into["type"]) == ("TRANSFER_OUT", "TRANSFER_IN")
    assert out["size"] == into["size"] == "2.5"
    assert {k: v for k, v in out.items() if k != "type"} == {
        k: v for k, v in into.items() if k != "type"
    }
    assert into["sender"] == {"address": ALICE.address, "subaccountNumber": 0}
    assert into["recipient"] == {"address": BOB.address, "subaccountNumber": 0}
    for transfer in (deposit, out, into):
        assert list(transfer) == TRANSFER_KEYS


async def test_parent_channel_forwards_transfers_but_not_between_its_children(
    devnet: Devnet,
) -> None:
    h = devnet.h
    parent_id = f"{ALICE.address}/0"
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_parent_subaccounts", parent_id)
        # alice/0 -> alice/128: both children of parent 0, so socks drops the transfer.
        await _send_and_commit(devnet, h.alice.transfer(USDC, h.alice.sub(128)))
        # socks deletes `transfers` and forwards the rest: only blockHeight, per child.
        emptied = [
            await recv_until(ws, lambda m: list(m.get("contents", {})) == ["blockHeight"])
            for _ in range(2)
        ]
        assert sorted(m["subaccountNumber"] for m in emptied) == [0, 128]
        await _send_and_commit(devnet, h.alice.transfer(USDC, h.bob.sub()))
        message = await recv_until(ws, _transfer_message)
        assert message["channel"] == "v4_parent_subaccounts"
        assert message["subaccountNumber"] == 0
        assert message["contents"]["transfers"]["recipient"]["address"] == BOB.address
        assert message["contents"]["transfers"]["type"] == "TRANSFER_OUT"


async def test_rest_transfers_newest_first_with_pages(devnet: Devnet) -> None:
    h = devnet.h
    first = await _send_and_commit(devnet, h.alice.deposit(3 * USDC))
    second = await _send_and_commit(devnet, h.alice.transfer(USDC, h.bob.sub()))
    third = await _send_and_commit(devnet, h.alice.withdraw(2 * USDC))
    alice = ALICE.address
    async with httpx.AsyncClient(base_url=devnet.rest_url) as http:
        body = (await http.get(f"/v4/transfers?address={alice}&subaccountNumber=0")).json()
        paged = await http.get(f"/v4/transfers?address={alice}&subaccountNumber=0&limit=2&page=2")
        early = await http.get(
            f"/v4/transfers?address={alice}&subaccountNumber=0&createdBeforeOrAtHeight="
            f"{h.chain.height - 1}"
        )
        bob = (await http.get(f"/v4/transfers?address={BOB.address}&subaccountNumber=0")).json()
    assert list(body) == ["transfers"]
    transfers = body["transfers"]
    assert [t["transactionHash"] for t in transfers] == [third, second, first]
    assert [t["type"] for t in transfers] == ["WITHDRAWAL", "TRANSFER_OUT", "DEPOSIT"]
    for transfer in transfers:
        assert list(transfer) == REST_KEYS
    assert transfers[2]["sender"] == {"address": alice}
    assert paged.json() == {
        "transfers": [transfers[2]],
        "pageSize": 2,
        "totalResults": 3,
        "offset": 2,
    }
    assert [t["transactionHash"] for t in early.json()["transfers"]] == [second, first]
    (bobs,) = bob["transfers"]
    assert bobs["type"] == "TRANSFER_IN" and bobs["id"] == transfers[1]["id"]
    # TransferTable.uuid: sender and recipient subaccount ids, wallets ("undefined"), event.
    deposit = transfers[2]
    assert deposit["id"] == ids.uuid5_of(
        f"undefined-{ids.subaccount_uuid(alice, 0)}-{alice}-undefined-{_event_hex(h, first)}-0"
    )


def _event_hex(h, txhash: str) -> str:
    height = h.chain.get_tx(txhash).height
    return f"{height:08x}{2:08x}{1:08x}"


async def test_rest_transfers_validation_and_404(devnet: Devnet) -> None:
    alice = ALICE.address
    async with httpx.AsyncClient(base_url=devnet.rest_url) as http:
        missing = await http.get(f"/v4/transfers?address={alice}&subaccountNumber=9")
        bad = await http.get("/v4/transfers?address=nope&subaccountNumber=0&limit=0")
        parent_missing = await http.get(
            f"/v4/transfers/parentSubaccountNumber?address={alice}&parentSubaccountNumber=5"
        )
        parent_bad = await http.get(
            f"/v4/transfers/parentSubaccountNumber?address={alice}&parentSubaccountNumber=128"
        )
        between_bad = await http.get("/v4/transfers/between?sourceSubaccountNumber=x")
    assert missing.status_code == 404
    assert missing.json() == {
        "errors": [{"msg": f"No subaccount found with address {alice} and subaccountNumber 9"}]
    }
    assert bad.status_code == 400
    assert [e["param"] for e in bad.json()["errors"]] == ["address", "limit"]
    assert parent_missing.status_code == 404
    assert parent_missing.json()["errors"][0]["msg"] == (
        f"No subaccount found with address {alice} and parentSubaccountNumber 5"
    )
    assert parent_bad.status_code == 400
    assert between_bad.status_code == 400
    assert [e["param"] for e in between_bad.json()["errors"]] == [
        "sourceAddress", "sourceSubaccountNumber", "recipientAddress",
        "recipientSubaccountNumber",
    ]  # fmt: skip


async def test_rest_parent_transfers_and_between(devnet: Devnet) -> None:
    h = devnet.h
    await _send_and_commit(devnet, h.alice.transfer(5 * USDC, h.alice.sub(128)))  # same parent
    to_bob = await _send_and_commit(devnet, h.alice.transfer(4 * USDC, h.bob.sub(), number=128))
    back = await _send_and_commit(devnet, h.bob.transfer(1_500_000, h.alice.sub()))
    alice, bob = ALICE.address, BOB.address
    async with httpx.AsyncClient(base_url=devnet.rest_url) as http:
        parent = (
            await http.get(
                f"/v4/transfers/parentSubaccountNumber?address={alice}&parentSubaccountNumber=0"
            )
        ).json()
        between = (
            await http.get(
                f"/v4/transfers/between?sourceAddress={alice}&sourceSubaccountNumber=128"
                f"&recipientAddress={bob}&recipientSubaccountNumber=0"
            )
        ).json()
        subaccount = (await http.get(f"/v4/addresses/{alice}/subaccountNumber/128")).json()
    assert [t["transactionHash"] for t in parent["transfers"]] == [back, to_bob]
    out = parent["transfers"][1]
    assert out["sender"] == {"address": alice, "parentSubaccountNumber": 0}
    assert out["recipient"] == {"address": bob, "parentSubaccountNumber": 0}
    assert (out["type"], parent["transfers"][0]["type"]) == ("TRANSFER_OUT", "TRANSFER_IN")
    assert [t["transactionHash"] for t in between["transfersSubset"]] == [to_bob]
    assert between["totalNetTransfers"] == "4"
    assert between["transfersSubset"][0]["type"] == "TRANSFER_OUT"
    assert subaccount["subaccount"]["assetPositions"]["USDC"]["size"] == "1"
    assert subaccount["subaccount"]["equity"] == "1"


async def test_balances_in_rest_follow_deposits_and_withdrawals(devnet: Devnet) -> None:
    h = devnet.h
    alice = ALICE.address
    url = f"/v4/addresses/{alice}"
    async with httpx.AsyncClient(base_url=devnet.rest_url) as http:
        before = (await http.get(url)).json()["subaccounts"][0]
        await _send_and_commit(devnet, h.alice.deposit(100 * USDC))
        await asyncio.sleep(0)
        after = (await http.get(url)).json()["subaccounts"][0]
        await _send_and_commit(devnet, h.alice.withdraw(40 * USDC, number=0))
        last = (await http.get(f"{url}/subaccountNumber/0")).json()["subaccount"]
    assert float(after["equity"]) == float(before["equity"]) + 100
    assert float(after["freeCollateral"]) == float(before["freeCollateral"]) + 100
    assert after["assetPositions"]["USDC"]["size"] == "1000100"
    assert last["assetPositions"]["USDC"]["size"] == "1000060"
    assert last["equity"] == "1000060"
    assert h.chain.subaccount(SubaccountId(alice, 0)).usdc_quantums == 1_000_060 * USDC


async def test_an_emptied_subaccount_has_no_asset_positions_in_rest(devnet: Devnet) -> None:
    h = devnet.h
    everything = h.chain.subaccount(SubaccountId(ALICE.address, 0)).usdc_quantums
    await _send_and_commit(devnet, h.alice.withdraw(everything))
    alice = ALICE.address
    async with httpx.AsyncClient(base_url=devnet.rest_url) as http:
        subaccount = (await http.get(f"/v4/addresses/{alice}/subaccountNumber/0")).json()
        positions = (
            await http.get(f"/v4/assetPositions?address={alice}&subaccountNumber=0")
        ).json()
    # comlink's filterAssetPositions: a zero balance is no position at all.
    assert subaccount["subaccount"]["assetPositions"] == {}
    assert subaccount["subaccount"]["equity"] == "0"
    assert positions == {"positions": []}

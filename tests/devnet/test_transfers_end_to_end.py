"""End to end: the real dydx-v4-client NodeClient deposits, withdraws, transfers and sends
tokens on a running devnet; its indexer reports them on WebSocket and REST."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal

import grpc
import pytest
from dydx_v4_client.indexer.rest.indexer_client import IndexerClient
from dydx_v4_client.network import NodeConfig
from dydx_v4_client.node.client import NodeClient
from dydx_v4_client.wallet import Wallet
from v4_proto.cosmos.tx.v1beta1.service_pb2 import GetTxRequest
from v4_proto.cosmos.tx.v1beta1.service_pb2_grpc import ServiceStub
from v4_proto.dydxprotocol.subaccounts.subaccount_pb2 import SubaccountId
from websockets.asyncio.client import connect

from tui_app.devnet.accounts import ALICE, BOB
from tui_app.devnet.node import Devnet, DevnetConfig
from tui_app.devnet.params import CHAIN_ID, NATIVE_DENOM, USDC_DENOM

USDC = 1_000_000
CONFIG = DevnetConfig(
    grpc_port=0, rest_port=0, ws_port=0, block_time=Decimal("0.05"), synthetic_traders=False
)


async def _next_transfer(ws, deadline: float) -> dict:
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, "no transfer message in time"
        message = json.loads(await asyncio.wait_for(ws.recv(), remaining))
        if message.get("type") == "channel_data" and "transfers" in message["contents"]:
            return message["contents"]["transfers"]


async def _committed(channel: grpc.Channel, response) -> None:
    """Wait until the tx is in a block and succeeded there (GetTx)."""
    txhash = response.tx_response.txhash
    assert response.tx_response.code == 0, response.tx_response
    deadline = time.monotonic() + 5
    while True:
        try:
            found = ServiceStub(channel).GetTx(GetTxRequest(hash=txhash))
            break
        except grpc.RpcError:
            assert time.monotonic() < deadline, f"{txhash} never committed"
            await asyncio.sleep(0.05)
    assert found.tx_response.code == 0, found.tx_response


async def test_node_client_deposit_withdraw_transfer_and_send_token() -> None:
    async with Devnet(CONFIG) as devnet:
        endpoints = devnet.endpoints
        channel = grpc.insecure_channel(endpoints.grpc)
        try:
            client = await NodeClient.connect(
                NodeConfig(CHAIN_ID, NATIVE_DENOM, USDC_DENOM, channel)
            )
            wallet = await Wallet.from_mnemonic(client, ALICE.mnemonic, ALICE.address)
            alice0 = SubaccountId(owner=ALICE.address, number=0)
            bob0 = SubaccountId(owner=BOB.address, number=0)
            async with connect(endpoints.ws_url) as ws:
                await ws.send(
                    json.dumps(
                        {
                            "type": "subscribe",
                            "channel": "v4_subaccounts",
                            "id": f"{ALICE.address}/0",
                        }
                    )
                )
                deadline = time.monotonic() + 10
                await _committed(
                    channel, await client.deposit(wallet, ALICE.address, alice0, 0, 5 * USDC)
                )
                deposit = await _next_transfer(ws, deadline)
                await _committed(
                    channel, await client.withdraw(wallet, alice0, ALICE.address, 0, 2 * USDC)
                )
                withdrawal = await _next_transfer(ws, deadline)
                await _committed(channel, await client.transfer(wallet, alice0, bob0, 0, USDC))
                transfer_out = await _next_transfer(ws, deadline)
            await _committed(
                channel, await client.send_token(wallet, ALICE.address, BOB.address, 7, USDC_DENOM)
            )
            # Simulate runs the message: an overdraft fails before anything is broadcast.
            with pytest.raises(grpc.RpcError) as refused:
                await client.withdraw(wallet, alice0, ALICE.address, 0, 10**15)
            bank = await client.get_account_balance(BOB.address, USDC_DENOM)
            subaccount = await client.get_subaccount(ALICE.address, 0)
        finally:
            channel.close()
        rest = IndexerClient(endpoints.rest_url).account
        listed = await rest.get_subaccount_transfers(ALICE.address, 0)
        between = await rest.get_transfer_between(ALICE.address, 0, BOB.address, 0)
        account = await rest.get_subaccount(ALICE.address, 0)

    assert [deposit["type"], withdrawal["type"], transfer_out["type"]] == [
        "DEPOSIT", "WITHDRAWAL", "TRANSFER_OUT",
    ]  # fmt: skip
    assert [deposit["size"], withdrawal["size"], transfer_out["size"]] == ["5", "2", "1"]
    assert "NewlyUndercollateralized" in refused.value.details()
    assert refused.value.code() == grpc.StatusCode.UNKNOWN
    assert int(bank.balance.amount) == 10**17 + 7
    usdc = {p.asset_id: p for p in subaccount.asset_positions}[0]
    assert int.from_bytes(usdc.quantums[1:], "big") == (1_000_000 + 5 - 2 - 1) * USDC
    assert [t["type"] for t in listed["transfers"]] == ["TRANSFER_OUT", "WITHDRAWAL", "DEPOSIT"]
    assert between["totalNetTransfers"] == "1"
    assert account["subaccount"]["equity"] == "1000002"

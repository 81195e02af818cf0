"""The whole devnet: an order placed and cancelled with the real NodeClient shows up on
v4_subaccounts, with its final status within two blocks of the cancel."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import grpc
import pytest
from dydx_v4_client.network import NodeConfig
from dydx_v4_client.node.client import NodeClient
from dydx_v4_client.wallet import Wallet
from v4_proto.dydxprotocol.clob.order_pb2 import Order, OrderId
from v4_proto.dydxprotocol.subaccounts.subaccount_pb2 import SubaccountId
from websockets.asyncio.client import connect

from tui_app.devnet.accounts import ALICE
from tui_app.devnet.indexer import ids
from tui_app.devnet.node import Devnet, DevnetConfig
from tui_app.devnet.params import CHAIN_ID, NATIVE_DENOM, USDC_DENOM

from .conftest import BTC, BUY, LONG_TERM, USD, recv_until, subscribe

pytestmark = pytest.mark.timeout(60)


def _order_status(order_uuid: str, status: str):
    def match(message: dict) -> bool:
        if message["type"] != "channel_data":
            return False
        orders = message["contents"].get("orders", [])
        return any(o["id"] == order_uuid and o["status"] == status for o in orders)

    return match


async def test_long_term_order_placed_and_cancelled_with_node_client() -> None:
    config = DevnetConfig(grpc_port=0, rest_port=0, ws_port=0, block_time=Decimal("0.1"))
    async with Devnet(config) as devnet:
        channel = grpc.insecure_channel(devnet.endpoints.grpc)
        ws_url = devnet.endpoints.ws_url
        try:
            node = await NodeClient.connect(NodeConfig(CHAIN_ID, NATIVE_DENOM, USDC_DENOM, channel))
            wallet = await Wallet.from_mnemonic(node, ALICE.mnemonic, ALICE.address)
            async with connect(ws_url) as ws:
                await subscribe(ws, "v4_subaccounts", f"{ALICE.address}/0")
                order_id = OrderId(
                    subaccount_id=SubaccountId(owner=ALICE.address, number=0),
                    client_id=42,
                    order_flags=LONG_TERM,
                    clob_pair_id=0,
                )
                gtbt = int(time.time()) + 3600
                order = Order(
                    order_id=order_id,
                    side=BUY,
                    quantums=BTC // 100,
                    subticks=30_000 * USD,
                    good_til_block_time=gtbt,
                )
                placed = await node.place_order(wallet, order)
                assert placed.tx_response.code == 0, placed.tx_response.raw_log
                uuid = ids.order_uuid(ids.subaccount_uuid(ALICE.address, 0), 42, 0, LONG_TERM)
                opened = await recv_until(ws, _order_status(uuid, "OPEN"))
                assert opened["contents"]["orders"][0]["goodTilBlockTime"].endswith(".000Z")
                sent_at = await devnet.acall(lambda: devnet.chain.height)
                cancel = await node.cancel_order(wallet, order_id, good_til_block_time=gtbt)
                assert cancel.tx_response.code == 0, cancel.tx_response.raw_log
                canceled = await recv_until(ws, _order_status(uuid, "CANCELED"))
        finally:
            channel.close()
    assert int(canceled["contents"]["blockHeight"]) <= sent_at + 2
    order = canceled["contents"]["orders"][0]
    assert order["removalReason"] == "ORDER_REMOVAL_REASON_USER_CANCELED"
    assert json.dumps(order)  # plain JSON types only

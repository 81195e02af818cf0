"""The whole devnet: a stop-limit order built with the real client's `Market.order` and
placed with `NodeClient.place_order` waits UNTRIGGERED, opens when the oracle falls to its
trigger price, and is cancelled with `NodeClient.cancel_order` (flags 32)."""

from __future__ import annotations

import time
from decimal import Decimal

import grpc
import pytest
from dydx_v4_client import OrderFlags
from dydx_v4_client.indexer.rest.constants import OrderType
from dydx_v4_client.indexer.rest.indexer_client import IndexerClient
from dydx_v4_client.network import NodeConfig
from dydx_v4_client.node.client import NodeClient
from dydx_v4_client.node.market import Market
from dydx_v4_client.wallet import Wallet
from v4_proto.dydxprotocol.clob.order_pb2 import Order
from websockets.asyncio.client import connect

from tui_app.devnet.accounts import ALICE
from tui_app.devnet.indexer import ids
from tui_app.devnet.node import Devnet, DevnetConfig
from tui_app.devnet.params import CHAIN_ID, NATIVE_DENOM, USDC_DENOM

from .conftest import recv_until, subscribe
from .test_end_to_end import _order_status

pytestmark = pytest.mark.timeout(60)


async def test_stop_limit_placed_triggered_and_cancelled_with_node_client() -> None:
    config = DevnetConfig(
        grpc_port=0, rest_port=0, ws_port=0, block_time=Decimal("0.1"), synthetic_traders=False
    )
    async with Devnet(config) as devnet:
        channel = grpc.insecure_channel(devnet.endpoints.grpc)
        try:
            node = await NodeClient.connect(NodeConfig(CHAIN_ID, NATIVE_DENOM, USDC_DENOM, channel))
            wallet = await Wallet.from_mnemonic(node, ALICE.mnemonic, ALICE.address)
            indexer = IndexerClient(devnet.endpoints.rest_url)
            markets = await indexer.markets.get_perpetual_markets("BTC-USD")
            market = Market(markets["markets"]["BTC-USD"])
            order_id = market.order_id(ALICE.address, 0, 7, OrderFlags.CONDITIONAL)
            gtbt = int(time.time()) + 3600
            order = market.order(
                order_id,
                OrderType.STOP_LIMIT,
                Order.Side.SIDE_SELL,
                size=0.01,
                price=54_000,
                time_in_force=Order.TimeInForce.TIME_IN_FORCE_UNSPECIFIED,
                reduce_only=False,
                good_til_block_time=gtbt,
                # The client's own mapping leaves STOP_LIMIT unspecified: name it.
                condition_type=Order.ConditionType.CONDITION_TYPE_STOP_LOSS,
                conditional_order_trigger_subticks=market.calculate_subticks(55_000),
            )
            uuid = ids.order_uuid(ids.subaccount_uuid(ALICE.address, 0), 7, 0, 32)
            async with connect(devnet.endpoints.ws_url) as ws:
                await subscribe(ws, "v4_subaccounts", f"{ALICE.address}/0")
                placed = await node.place_order(wallet, order)
                assert placed.tx_response.code == 0, placed.tx_response.raw_log
                untriggered = await recv_until(ws, _order_status(uuid, "UNTRIGGERED"))
                (sent,) = untriggered["contents"]["orders"]
                assert (sent["type"], sent["triggerPrice"], sent["price"]) == (
                    "STOP_LIMIT",
                    "55000",
                    "54000",
                )
                await devnet.acall(lambda: devnet.chain.oracles.__setitem__(0, Decimal("50000")))
                opened = await recv_until(ws, _order_status(uuid, "OPEN"))
                assert opened["contents"]["orders"][0]["triggerPrice"] == "55000"
                rest = await indexer.account.get_order(uuid)
                assert rest["status"] == "OPEN"
                cancel = await node.cancel_order(wallet, order_id, good_til_block_time=gtbt)
                assert cancel.tx_response.code == 0, cancel.tx_response.raw_log
                canceled = await recv_until(ws, _order_status(uuid, "CANCELED"))
        finally:
            channel.close()
    assert canceled["contents"]["orders"][0]["removalReason"] == (
        "ORDER_REMOVAL_REASON_USER_CANCELED"
    )

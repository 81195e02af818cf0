"""Build indexer frames for state tests, shaped like the captured samples, and parse them
through the real parser (so every test also exercises parse_message)."""

from __future__ import annotations

import itertools
import json
from typing import Any

from tui_app import ids
from tui_app.models import MessageRejected, parse_message

ADDRESS = "dydx1kzsvkf2ghjqlysuffdkhcdctknl4rsvcx5hkm5"
CHANNEL_ID = f"{ADDRESS}/0"
SUBACCOUNT_ID = ids.subaccount_uuid(ADDRESS, 0)
CONNECTION = "643c68a7-d84c-4929-97c2-23f471931825"


class Frames:
    """Numbers messages 1, 2, 3... on one connection, as the indexer does."""

    def __init__(self, connection_id: str = CONNECTION) -> None:
        self.connection_id = connection_id
        self._ids = itertools.count(1)

    def parse(self, fields: dict[str, Any], message_id: int | None = None):
        envelope = {
            "connection_id": self.connection_id,
            "message_id": next(self._ids) if message_id is None else message_id,
            **fields,
        }
        message = parse_message(json.dumps(envelope).encode())
        assert not isinstance(message, MessageRejected), message
        return message

    def connected(self):
        self._ids = itertools.count(1)
        return self.parse({"type": "connected"}, message_id=0)

    def snapshot(self, orders=(), positions=None, usdc="1000", block_height=100, **extra):
        subaccount = {
            "address": ADDRESS,
            "subaccountNumber": 0,
            "equity": extra.get("equity", usdc),
            "freeCollateral": extra.get("free_collateral", usdc),
            "openPerpetualPositions": positions or {},
            "assetPositions": {
                "USDC": {
                    "symbol": "USDC",
                    "side": "LONG",
                    "size": usdc,
                    "assetId": "0",
                    "subaccountNumber": 0,
                }
            },
            "marginEnabled": True,
        }
        return self.parse(
            {
                "type": "subscribed",
                "channel": "v4_subaccounts",
                "id": CHANNEL_ID,
                "contents": {
                    "subaccount": subaccount,
                    "orders": list(orders),
                    "blockHeight": str(block_height),
                },
            }
        )

    def subaccount(self, message_id: int | None = None, **contents):
        return self.parse(
            {
                "type": "channel_data",
                "channel": "v4_subaccounts",
                "id": CHANNEL_ID,
                "version": "3.0.0",
                "contents": contents,
            },
            message_id,
        )

    def markets(self, prices: dict[str, str]):
        markets = {
            ticker: {
                "ticker": ticker,
                "clobPairId": str(n),
                "oraclePrice": price,
                "status": "ACTIVE",
                "initialMarginFraction": "0.05",
            }
            for n, (ticker, price) in enumerate(prices.items())
        }
        return self.parse(
            {"type": "subscribed", "channel": "v4_markets", "contents": {"markets": markets}}
        )

    def oracle(self, ticker: str, price: str):
        return self.parse(
            {
                "type": "channel_data",
                "channel": "v4_markets",
                "version": "1.0.0",
                "contents": {"oraclePrices": {ticker: {"oraclePrice": price, "marketId": 1}}},
            }
        )

    def block(self, height: int, time: str = "2024-12-02T18:45:33.548Z"):
        return self.parse(
            {
                "type": "channel_data",
                "channel": "v4_block_height",
                "id": "v4_block_height",
                "version": "1.0.0",
                "contents": {"blockHeight": str(height), "time": time},
            }
        )


def order(
    client_id: int,
    *,
    status="OPEN",
    size="0.003",
    filled="0",
    side="BUY",
    price="2500",
    flags=0,
    gtb: int | None = 120,
    **more,
) -> dict[str, Any]:
    fields = {
        "id": ids.order_uuid(ADDRESS, 0, client_id, 1, flags),
        "subaccountId": SUBACCOUNT_ID,
        "clientId": str(client_id),
        "clobPairId": "1",
        "side": side,
        "size": size,
        "totalFilled": filled,
        "price": price,
        "type": "LIMIT",
        "status": status,
        "timeInForce": "GTT" if flags else "IOC",
        "postOnly": False,
        "reduceOnly": False,
        "orderFlags": str(flags),
        "ticker": "ETH-USD",
        "clientMetadata": "0",
    }
    if flags == 0 and gtb is not None:
        fields["goodTilBlock"] = str(gtb)
    if flags:
        fields["goodTilBlockTime"] = "2024-09-09T11:19:22.000Z"
    fields.update(more)
    return fields


def order_id(client_id: int, flags: int = 0) -> str:
    return ids.order_uuid(ADDRESS, 0, client_id, 1, flags)


_event = itertools.count(1)


def fill(
    side: str,
    size: str,
    price: str,
    *,
    fee="0",
    client_id=1,
    flags=0,
    market="ETH-USD",
    liquidity="TAKER",
) -> dict[str, Any]:
    event_id = f"{next(_event):024x}"
    return {
        "id": ids.fill_uuid(event_id, liquidity),
        "subaccountId": SUBACCOUNT_ID,
        "side": side,
        "liquidity": liquidity,
        "type": "LIMIT",
        "clobPairId": "1",
        "orderId": order_id(client_id, flags),
        "size": size,
        "price": price,
        "quoteAmount": "0",
        "eventId": event_id,
        "transactionHash": "AB",
        "createdAt": "2024-08-12T14:06:01.172Z",
        "createdAtHeight": "101",
        "clientMetadata": "0",
        "fee": fee,
        "ticker": market,
    }


def position(
    size: str,
    entry: str,
    *,
    market="ETH-USD",
    side=None,
    status="OPEN",
    realized="0",
    unrealized="0",
) -> dict[str, Any]:
    return {
        "address": ADDRESS,
        "subaccountNumber": 0,
        "positionId": "389cf77f-5faa-53f2-8a76-b06685d63eb0",
        "market": market,
        "side": side or ("SHORT" if size.startswith("-") else "LONG"),
        "status": status,
        "size": size,
        "maxSize": size.lstrip("-"),
        "netFunding": "0",
        "entryPrice": entry,
        "exitPrice": None,
        "sumOpen": size.lstrip("-"),
        "sumClose": "0",
        "realizedPnl": realized,
        "unrealizedPnl": unrealized,
    }

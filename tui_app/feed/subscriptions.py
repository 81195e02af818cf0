"""What the feed subscribes to, as indexer request messages (protocol notes 1.2, 1.4)."""

from __future__ import annotations

from dataclasses import dataclass

SUBACCOUNTS = "v4_subaccounts"
MARKETS = "v4_markets"
BLOCK_HEIGHT = "v4_block_height"
ORDERBOOK = "v4_orderbook"
TRADES = "v4_trades"


@dataclass(frozen=True)
class Subscription:
    channel: str
    id: str | None = None
    # Batched updates come every 250 ms as one message: fine for a busy order book, too
    # slow for our own orders.
    batched: bool = False

    def subscribe(self) -> dict:
        return self._request("subscribe", batched=self.batched)

    def unsubscribe(self) -> dict:
        return self._request("unsubscribe")

    def _request(self, kind: str, batched: bool = False) -> dict:
        message: dict = {"type": kind, "channel": self.channel}
        if self.id is not None:
            message["id"] = self.id
        if batched:
            message["batched"] = True
        return message


def account_subscriptions(address: str, subaccount_number: int) -> list[Subscription]:
    """Markets and block height first: the subaccount snapshot's expiry checks and PnL
    want the height and the oracle prices."""
    return [
        Subscription(MARKETS),
        Subscription(BLOCK_HEIGHT),
        Subscription(SUBACCOUNTS, f"{address}/{subaccount_number}"),
    ]


def focus_subscriptions(ticker: str | None) -> list[Subscription]:
    if not ticker:
        return []
    return [Subscription(ORDERBOOK, ticker, batched=True), Subscription(TRADES, ticker)]

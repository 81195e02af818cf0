"""A deterministic demo account: the indexer frames a feed would receive, built from the
real captured samples in tests/fixtures/indexer_samples (markets, block height, the
subaccount snapshot's shape, fills), re-addressed to the devnet's demo account.

Used by the UI tests and `screenshots/make_screenshots.py`: the same frames, applied to an
AccountState through the real parser, always give the same screen. No UI imports here.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from tui_app import ids
from tui_app.devnet.accounts import DEMO_ACCOUNT
from tui_app.models import MessageRejected, parse_message
from tui_app.state import AccountState

SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "indexer_samples"
ADDRESS = DEMO_ACCOUNT.address
SUBACCOUNT = 0
CHANNEL_ID = f"{ADDRESS}/{SUBACCOUNT}"
CONNECTION_ID = "7ad53844-1f2c-4d86-83d1-42f6562844f3"  # from connected.json
HEIGHT = 26543048  # from v4_block_height_subscribed.json
BLOCK_TIME = datetime(2024, 12, 2, 18, 45, 31, 771000, tzinfo=UTC)
NOW = BLOCK_TIME + timedelta(seconds=1.2)  # the fixed clock of tests and screenshots
SEED = 7


def _sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Frames:
    """Stamps frames with one connection id and consecutive message ids, as the indexer
    numbers the messages of one connection."""

    def __init__(self) -> None:
        self.next_id = 0

    def stamp(self, frame: dict[str, Any]) -> str:
        frame = dict(frame, connection_id=CONNECTION_ID, message_id=self.next_id)
        self.next_id += 1
        return json.dumps(frame)


def order(
    client_id: int, ticker: str, clob_pair_id: int, side: str, size: str, price: str, *,
    status: str = "OPEN", filled: str = "0", long_term: bool = False, gtb_in: int = 10,
    post_only: bool = False, reduce_only: bool = False, tif: str = "GTT",
    age_blocks: int = 40, updated: datetime | None = None,
) -> dict[str, Any]:
    """An order object shaped like the snapshot sample's (same fields, camelCase)."""
    flags = 64 if long_term else 0
    if updated is None:  # one block a second, as on the devnet
        updated = NOW - timedelta(seconds=age_blocks)
    fields: dict[str, Any] = {
        "clientId": str(client_id),
        "clientMetadata": "0",
        "clobPairId": str(clob_pair_id),
        "createdAtHeight": str(HEIGHT - age_blocks),
        "id": ids.order_uuid(ADDRESS, SUBACCOUNT, client_id, clob_pair_id, flags),
        "orderFlags": str(flags),
        "postOnly": post_only,
        "price": price,
        "reduceOnly": reduce_only,
        "side": side,
        "size": size,
        "status": status,
        "subaccountId": ids.subaccount_uuid(ADDRESS, SUBACCOUNT),
        "subaccountNumber": SUBACCOUNT,
        "ticker": ticker,
        "timeInForce": tif,
        "totalFilled": filled,
        "type": "LIMIT",
        "updatedAt": _iso(updated),
        "updatedAtHeight": str(HEIGHT - age_blocks),
    }
    if long_term:
        fields["goodTilBlockTime"] = _iso(NOW + timedelta(days=27, hours=5))
    else:
        fields["goodTilBlock"] = str(HEIGHT + gtb_in)
    return fields


OPEN_ORDERS = (
    order(101, "ETH-USD", 1, "BUY", "1.2", "2590.5", post_only=True, gtb_in=12),
    order(102, "BTC-USD", 0, "SELL", "0.05", "61250", long_term=True, reduce_only=True,
          age_blocks=5400, updated=NOW - timedelta(hours=1, minutes=31)),
    order(103, "SOL-USD", 5, "BUY", "25", "138.4", long_term=True, filled="10",
          age_blocks=900),
    order(104, "ETH-USD", 1, "SELL", "0.8", "2705", status="BEST_EFFORT_CANCELED", gtb_in=3),
    order(105, "DOGE-USD", 10, "BUY", "5000", "0.1021", status="BEST_EFFORT_OPENED",
          tif="IOC", gtb_in=8, age_blocks=2),
    order(106, "LINK-USD", 2, "SELL", "120", "10.45", long_term=True, age_blocks=30000,
          updated=NOW - timedelta(hours=8)),
)
POSITIONS = {
    "BTC-USD": ("LONG", "0.15", "58200", "12.40"),
    "ETH-USD": ("SHORT", "-2.5", "2680.5", "-3.05"),
    "SOL-USD": ("LONG", "40", "145.2", "0.88"),
}


def markets_snapshot() -> dict[str, Any]:
    return _sample("v4_markets_subscribed.json")


def block_height_snapshot() -> dict[str, Any]:
    return _sample("v4_block_height_subscribed.json")


def subaccount_snapshot(orders: tuple[dict[str, Any], ...] = OPEN_ORDERS) -> dict[str, Any]:
    frame = _sample("v4_subaccounts_subscribed.json")
    frame["id"] = CHANNEL_ID
    contents = frame["contents"]
    contents["blockHeight"] = str(HEIGHT)
    contents["orders"] = [copy.deepcopy(o) for o in orders]
    subaccount = contents["subaccount"]
    subaccount.update(
        address=ADDRESS, equity="10450.32", freeCollateral="8120.55",
        latestProcessedBlockHeight=str(HEIGHT), updatedAtHeight=str(HEIGHT - 3),
    )
    subaccount["assetPositions"]["USDC"]["size"] = "2407.62"
    subaccount["openPerpetualPositions"] = {
        market: {
            "market": market, "status": "OPEN", "side": side, "size": size,
            "maxSize": size.lstrip("-"), "entryPrice": entry, "exitPrice": None,
            "realizedPnl": "0", "unrealizedPnl": "0", "createdAt": _iso(NOW - timedelta(days=2)),
            "createdAtHeight": str(HEIGHT - 170000), "closedAt": None,
            "sumOpen": size.lstrip("-"), "sumClose": "0", "netFunding": funding,
            "subaccountNumber": SUBACCOUNT,
        }
        for market, (side, size, entry, funding) in POSITIONS.items()
    }
    return frame


def fills_update() -> dict[str, Any]:
    """The captured fill message, moved to our account: two fills of a filled ETH order."""
    frame = _sample("v4_subaccounts_channel_data_fill.json")
    frame["id"] = CHANNEL_ID
    contents = frame["contents"]
    contents["blockHeight"] = str(HEIGHT - 20)
    contents["perpetualPositions"] = []  # the snapshot's positions stay as they are
    filled = order(100, "ETH-USD", 1, "BUY", "0.002", "2752.3", status="FILLED",
                   filled="0.002", tif="IOC", age_blocks=20, updated=NOW - timedelta(seconds=25))
    contents["orders"] = [filled]
    for n, fill in enumerate(contents["fills"]):
        fill["orderId"] = filled["id"]
        fill["subaccountId"] = filled["subaccountId"]
        fill["createdAt"] = _iso(NOW - timedelta(seconds=25 - n))
        fill["createdAtHeight"] = str(HEIGHT - 20)
    return frame


def cancelled_update() -> dict[str, Any]:
    cancelled = order(99, "AVAX-USD", 7, "BUY", "30", "19.80", status="CANCELED",
                      long_term=True, age_blocks=4000, updated=NOW - timedelta(minutes=12))
    cancelled["removalReason"] = "ORDER_REMOVAL_REASON_USER_CANCELED"
    return {"type": "channel_data", "channel": "v4_subaccounts", "id": CHANNEL_ID,
            "version": "3.0.0", "contents": {"orders": [cancelled]}}


def oracle_updates(rounds: int = 15, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """Oracle price moves, shaped like v4_markets_channel_data_oracle_prices.json."""
    rng = random.Random(seed)
    prices = {t: Decimal(m["oraclePrice"])
              for t, m in markets_snapshot()["contents"]["markets"].items()}
    tickers = sorted(prices)
    for n in range(rounds):
        moved = {}
        for ticker in tickers:
            step = Decimal(rng.randint(-30, 31)) / 10000  # within ±0.3 %
            prices[ticker] = (prices[ticker] * (1 + step)).quantize(prices[ticker])
            moved[ticker] = {"oraclePrice": str(prices[ticker]),
                             "effectiveAt": _iso(NOW - timedelta(seconds=rounds - n)),
                             "effectiveAtHeight": str(HEIGHT - rounds + n)}
        yield {"type": "channel_data", "channel": "v4_markets", "version": "1.0.0",
               "contents": {"oraclePrices": moved}}


def initial_frames(frames: Frames) -> list[str]:
    """What a fresh connection receives first: snapshots, then a few updates."""
    raw = [
        _sample("connected.json"),
        markets_snapshot(),
        block_height_snapshot(),
        subaccount_snapshot(),
        cancelled_update(),
        fills_update(),
    ]
    return [frames.stamp(frame) for frame in raw]


def live_frames(frames: Frames, rounds: int = 12) -> list[str]:
    """Oracle price moves after the start (the UI draws its sparklines from them, so they
    must reach a running app)."""
    return [frames.stamp(frame) for frame in oracle_updates(rounds)]


def apply_frames(state: AccountState, frames: list[str]) -> None:
    for frame in frames:
        message = parse_message(frame)
        if isinstance(message, MessageRejected):
            raise ValueError(f"demo frame rejected: {message.reason}: {message.detail}")
        state.apply(message)


def demo_state(frames: Frames | None = None) -> AccountState:
    """The account after the initial frames (live frames are for a running app)."""
    state = AccountState(ADDRESS, SUBACCOUNT)
    apply_frames(state, initial_frames(frames or Frames()))
    return state

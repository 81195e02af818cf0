"""The typed event stream of the devnet chain.

The chain calls its listeners synchronously, on its own event loop, in the order things
happen. Two producers exist, as on the real network:
- off-chain (the memclob, at CheckTx): short-term orders placed, cancelled, replaced;
  the real indexer learns of these through its full node's order stream (status
  BEST_EFFORT_OPENED / BEST_EFFORT_CANCELED);
- on-chain (at block commit): fills, positions, balances, stateful orders (conditional
  ones placed untriggered, then triggered), expiries.
  These carry the committed block's height and time.

Order objects in events are snapshots (`Order.snapshot()`), safe to keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tui_app.devnet.types import (
    Fill,
    Order,
    PerpetualPosition,
    RemovalReason,
    Side,
    SubaccountId,
)


@dataclass(frozen=True)
class BlockCommitted:
    """Emitted after all on-chain events of the block."""

    height: int
    time: datetime


@dataclass(frozen=True)
class OraclePriceChanged:
    ticker: str
    market_id: int
    price: Decimal
    height: int
    time: datetime


@dataclass(frozen=True)
class OrderPlaced:
    """An order entered the book (or was checked and matched at once, for IOC).

    `on_chain` is False for a short-term order seen at CheckTx (best effort), True for a
    stateful order placed in a committed block.
    """

    order: Order
    on_chain: bool
    height: int
    time: datetime


@dataclass(frozen=True)
class ConditionalOrderTriggered:
    """A conditional order's trigger condition held at the end of a block (the chain's
    ConditionalOrderTriggered stateful-order event). Untriggered, it was announced by an
    on-chain `OrderPlaced`; from the next block on it matches like a long-term order."""

    order: Order
    height: int
    time: datetime


@dataclass(frozen=True)
class OrderFilled:
    """An order's filled amount grew (one event per order per match)."""

    order: Order
    height: int
    time: datetime


@dataclass(frozen=True)
class OrderRemoved:
    """An order left the book.

    `final` is False for a best-effort removal of a short-term order (a cancel seen by one
    node: another proposer could still match it until its good_til_block passes); True for
    removals that are committed (expiry, stateful cancel, full fill, IOC remainder...).
    """

    order: Order
    reason: RemovalReason
    final: bool
    height: int
    time: datetime


@dataclass(frozen=True)
class FillCreated:
    fill: Fill


@dataclass(frozen=True)
class PositionChanged:
    subaccount: SubaccountId
    position: PerpetualPosition  # a copy
    ticker: str
    height: int
    time: datetime


@dataclass(frozen=True)
class BalanceChanged:
    subaccount: SubaccountId
    usdc_quantums: int
    height: int
    time: datetime


@dataclass(frozen=True)
class TransferCreated:
    """USDC moved by a committed deposit, withdrawal or subaccount transfer (x/sending).

    Each side is a subaccount or a wallet: exactly one of `*_subaccount` / `*_wallet` is set
    (a deposit comes from a wallet, a withdrawal goes to one)."""

    sender_subaccount: SubaccountId | None
    sender_wallet: str | None
    recipient_subaccount: SubaccountId | None
    recipient_wallet: str | None
    asset_id: int
    quantums: int
    event_id: bytes
    tx_hash: str
    height: int
    time: datetime


@dataclass(frozen=True)
class TradeExecuted:
    """A public trade (taker side), for the trades channel."""

    ticker: str
    clob_pair_id: int
    taker_side: Side
    quantums: int
    subticks: int
    event_id: bytes
    height: int
    time: datetime


@dataclass(frozen=True)
class BookLevelChanged:
    """The total resting size at one price level changed (0 deletes the level)."""

    ticker: str
    clob_pair_id: int
    side: Side
    subticks: int
    quantums: int


ChainEvent = (
    BlockCommitted
    | OraclePriceChanged
    | OrderPlaced
    | ConditionalOrderTriggered
    | OrderFilled
    | OrderRemoved
    | FillCreated
    | PositionChanged
    | BalanceChanged
    | TransferCreated
    | TradeExecuted
    | BookLevelChanged
)

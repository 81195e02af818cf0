"""What the UI and the CLI ask the controller for, and what they get back.

Plain frozen dataclasses: no UI, no chain types. Sizes and prices are `Decimal`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal


class OrderType(enum.StrEnum):
    LIMIT = "limit"
    MARKET = "market"


class TimeInForceChoice(enum.StrEnum):
    GTT = "gtt"
    IOC = "ioc"
    FOK = "fok"  # shown so it can be refused with the chain's reason


@dataclass(frozen=True)
class PlaceRequest:
    market: str  # ticker, e.g. "ETH-USD"
    side: str  # "BUY" | "SELL"
    size: Decimal
    price: Decimal | None = None  # limit price; for market orders the worst acceptable price
    order_type: OrderType = OrderType.LIMIT
    time_in_force: TimeInForceChoice = TimeInForceChoice.GTT
    post_only: bool = False
    reduce_only: bool = False
    long_term: bool = False
    # Overrides of the configured lifetimes (blocks for short-term, seconds for long-term).
    good_til_blocks: int | None = None
    good_til_seconds: int | None = None


@dataclass(frozen=True)
class PlaceOutcome:
    order_id: str
    status: str  # the store's status after the attempt: active | rejected | pending
    tx_hash: str | None
    message: str


class CancelResult(enum.StrEnum):
    CANCELLED = "cancelled"  # final (stateful cancel committed, or expiry passed)
    BEST_EFFORT = "best_effort"  # short-term cancel accepted; final after good-til-block
    SENT = "sent"  # stateful cancel accepted, takes effect in the next block
    ALREADY_DONE = "already_done"  # goal already reached (cancelled, expired, filled)
    FAILED = "failed"
    UNKNOWN = "unknown"  # timed out: reconciliation settles it


@dataclass(frozen=True)
class CancelOutcome:
    order_id: str
    market: str
    result: CancelResult
    message: str
    tx_hash: str | None = None
    # For a best-effort cancel: blocks until the order's good-til-block passes.
    blocks_left: int | None = None


@dataclass(frozen=True)
class CancelScope:
    """Which open orders cancel-all takes: all, or only those matching every field set."""

    market: str | None = None
    side: str | None = None
    order_ids: frozenset[str] | None = None  # e.g. the rows of the current filter


@dataclass(frozen=True)
class CancelAllReport:
    outcomes: tuple[CancelOutcome, ...] = ()

    def count(self, *results: CancelResult) -> int:
        return sum(1 for o in self.outcomes if o.result in results)

    @property
    def failed(self) -> tuple[CancelOutcome, ...]:
        return tuple(
            o for o in self.outcomes if o.result in (CancelResult.FAILED, CancelResult.UNKNOWN)
        )


@dataclass(frozen=True)
class ReconcileSummary:
    open_on_indexer: int = 0
    settled: int = 0  # pending/active rows whose final state was learnt
    placed_elsewhere: int = 0  # open on the indexer, unknown to the store (now recorded)
    still_unknown: int = 0
    details: tuple[str, ...] = field(default_factory=tuple)

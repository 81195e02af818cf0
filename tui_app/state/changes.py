"""Change records: what the account state tells its subscribers after each apply.

Small, hashable and past-tense, so the UI can update only the affected rows (one order,
one position) and a burst of updates to the same order collapses into one record.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OrderChanged:
    order_id: str


@dataclass(frozen=True, slots=True)
class PositionChanged:
    market: str


@dataclass(frozen=True, slots=True)
class BalanceChanged:
    pass


@dataclass(frozen=True, slots=True)
class MarketChanged:
    ticker: str


@dataclass(frozen=True, slots=True)
class BlockHeightChanged:
    pass


@dataclass(frozen=True, slots=True)
class FillRecorded:
    market: str


@dataclass(frozen=True, slots=True)
class OrderBookChanged:
    ticker: str


@dataclass(frozen=True, slots=True)
class TradesChanged:
    ticker: str


@dataclass(frozen=True, slots=True)
class StateReset:
    """A subaccount snapshot replaced everything: redraw all account rows."""


@dataclass(frozen=True, slots=True)
class ResyncRequested:
    """The state may be missing updates; the feed should resubscribe to the subaccount."""

    reason: str


Change = (
    OrderChanged
    | PositionChanged
    | BalanceChanged
    | MarketChanged
    | BlockHeightChanged
    | FillRecorded
    | OrderBookChanged
    | TradesChanged
    | StateReset
    | ResyncRequested
)

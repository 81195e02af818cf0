"""The account state the UI and the controller read: pure, synchronous, no UI imports.

`account` holds AccountState, `orders` the app's order statuses, `pnl` realized PnL from
fills, `gaps` message-id gap detection, `orderbook` one market's book, `changes` the
records subscribers receive.
"""

from tui_app.state.account import AccountState, Position, PositionView
from tui_app.state.changes import (
    BalanceChanged,
    BlockHeightChanged,
    Change,
    FillRecorded,
    MarketChanged,
    OrderBookChanged,
    OrderChanged,
    PositionChanged,
    ResyncRequested,
    StateReset,
    TradesChanged,
)
from tui_app.state.gaps import MessageGap, MessageIdTracker
from tui_app.state.orderbook import OrderBook
from tui_app.state.orders import OrderStatus, TrackedOrder, derive_status, pending_order
from tui_app.state.pnl import MarketPnl

__all__ = [
    "AccountState",
    "BalanceChanged",
    "BlockHeightChanged",
    "Change",
    "FillRecorded",
    "MarketChanged",
    "MarketPnl",
    "MessageGap",
    "MessageIdTracker",
    "OrderBook",
    "OrderBookChanged",
    "OrderChanged",
    "OrderStatus",
    "Position",
    "PositionChanged",
    "PositionView",
    "ResyncRequested",
    "StateReset",
    "TrackedOrder",
    "TradesChanged",
    "derive_status",
    "pending_order",
]

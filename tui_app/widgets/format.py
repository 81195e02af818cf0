"""How values look on screen: pure functions from domain objects to cell text.

No Textual here, so they are easy to test and reuse (tables, detail view, screenshots).
A cell is its text plus a *tone* ("up", "down", "warn", "dim" or None); the widgets map
tones to theme colours. Meaning never rests on colour alone: sides are words, PnL carries
a + or − sign, and statuses are spelled out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tui_app.state import OrderStatus, PositionView, TrackedOrder

Tone = str | None
Cell = tuple[str, Tone]

DASH = "—"
MINUS = "−"  # a real minus sign: easier to tell from a dash at a glance
SPARK_CHARS = "▁▂▃▄▅▆▇█"
CONDITIONAL_FLAGS = 32
LONG_TERM_FLAGS = 64


def short_address(address: str, head: int = 8, tail: int = 4) -> str:
    """dydx199t…nju4: enough to recognise, short enough for a header."""
    if len(address) <= head + tail + 1:
        return address
    return f"{address[:head]}…{address[-tail:]}"


def short_id(value: str | None, length: int = 8) -> str:
    return DASH if not value else value[:length]


def number(value: Decimal | None, places: int | None = None) -> str:
    """A decimal as the trader reads it: thousands separators, no exponent, no '-0'."""
    if value is None:
        return DASH
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    text = f"{abs(value):,f}"
    if "." in text and places is None:
        text = text.rstrip("0").rstrip(".")
    return f"{MINUS}{text}" if value < 0 and value != 0 else text


def signed(value: Decimal | None, places: int = 2) -> Cell:
    """+1,234.50 / −12.00 with an up/down tone; the sign carries the meaning, not colour."""
    if value is None:
        return DASH, "dim"
    text = number(abs(value), places)
    if value > 0:
        return f"+{text}", "up"
    if value < 0:
        return f"{MINUS}{text}", "down"
    return text, None


def percent(value: Decimal | None, places: int = 2) -> Cell:
    text, tone = signed(value, places)
    return (text if value is None else f"{text}%"), tone


def money(value: Decimal | None) -> str:
    return DASH if value is None else f"${number(value, 2)}"


def price(value: Decimal | None, tick: Decimal | None = None) -> str:
    """A price to the market's tick size when known (ETH 2,616.1, DOGE 0.10341), else to
    six significant digits (oracle prices come with up to 16 decimals)."""
    if value is None:
        return DASH
    if tick is not None and tick > 0:
        places = max(-tick.normalize().as_tuple().exponent, 0)
        return number(value, places)
    if value == 0:
        return "0"
    places = max(6 - value.adjusted() - 1, 0)
    return number(value.quantize(Decimal(1).scaleb(-places)).normalize())


def signed_price(value: Decimal | None, tick: Decimal | None = None) -> Cell:
    """A price change with its sign: +41.1, −0.00012."""
    if value is None:
        return DASH, "dim"
    text = price(abs(value), tick)
    if value > 0:
        return f"+{text}", "up"
    if value < 0:
        return f"{MINUS}{text}", "down"
    return text, None


def side_cell(side: str | None) -> Cell:
    if side in ("BUY", "LONG"):
        return side, "up"
    if side in ("SELL", "SHORT"):
        return side, "down"
    return side or DASH, "dim"


def duration(seconds: float) -> str:
    """12s, 5m03s, 2h05m, 3d04h: two units at most."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def sparkline(values: Iterable[Decimal], width: int = 12) -> str:
    """A one-line price chart; flat or too short a history draws a flat line."""
    points = list(values)[-width:]
    if not points:
        return ""
    low, high = min(points), max(points)
    if high == low:
        return SPARK_CHARS[3] * len(points)
    scale = (len(SPARK_CHARS) - 1) / (high - low)
    return "".join(SPARK_CHARS[int((p - low) * scale)] for p in points)


# --- orders --------------------------------------------------------------------------


# What a trader checks first comes first: at 80 columns the rest scrolls into view.
ORDER_COLUMNS = (
    ("market", "Market"),
    ("side", "Side"),
    ("price", "Price"),
    ("size", "Size"),
    ("filled", "Filled"),
    ("status", "Status"),
    ("good_til", "Good til"),
    ("age", "Age"),
    ("type", "Type"),
    ("tif", "TIF"),
    ("flags", "Flags"),
)


@dataclass(frozen=True, slots=True)
class OrderContext:
    """What an order row needs besides the order: time, height, and the app's own notes."""

    now: datetime
    block_height: int | None
    # What the app itself knows about an action on this order ("cancel sent",
    # "retrying 2/5", "outcome unknown, reconciling"); shown until the order is final.
    note: str | None = None
    tick: Decimal | None = None  # the market's tick size, for the price
    # When the app first saw the order: its age when the indexer gives no time or height
    # (short-term orders are not in the indexer's database, so their updates carry none).
    first_seen: datetime | None = None


def is_long_term(order: TrackedOrder) -> bool:
    flags = order.data.order_flags
    return flags is not None and flags != 0


def order_status(order: TrackedOrder, block_height: int | None, note: str | None) -> Cell:
    """The honest status: a best-effort cancel is not a cancel until its GTB has passed."""
    status = order.status
    if note and not status.is_final:
        return note, "warn"
    if status is OrderStatus.BEST_EFFORT_CANCELED:
        left = blocks_left(order, block_height)
        return (f"best-effort ({left} blk)" if left else "best-effort"), "warn"
    if status is OrderStatus.OPEN and order.best_effort:
        return "open (best-effort)", None
    if status is OrderStatus.PARTIALLY_FILLED:
        return "partly filled", "up"
    if status is OrderStatus.UNKNOWN:
        return f"unknown: {order.indexer_status or '?'}"[:32], "warn"
    if status is OrderStatus.REJECTED:
        return "rejected", "down"
    if status is OrderStatus.PENDING:
        return "pending", "warn"
    tone = "dim" if status.is_final else None
    return status.value.lower().replace("_", " "), tone


def blocks_left(order: TrackedOrder, block_height: int | None) -> int | None:
    gtb = order.data.good_til_block
    if gtb is None or block_height is None or is_long_term(order):
        return None
    return max(gtb - block_height, 0)


def good_til(order: TrackedOrder, ctx: OrderContext) -> Cell:
    data = order.data
    if order.status.is_final:  # a countdown means nothing any more: the bare limit
        if data.good_til_block is not None and not is_long_term(order):
            return f"#{data.good_til_block}", "dim"
        if data.good_til_block_time is not None:
            return f"{data.good_til_block_time:%m-%d %H:%M}", "dim"
        return DASH, "dim"
    if not is_long_term(order) and data.good_til_block is not None:
        # Blocks left is what matters; the block number itself is in the detail view.
        left = blocks_left(order, ctx.block_height)
        if left is None:
            return f"#{data.good_til_block}", None
        return f"{left} blk left", "warn" if left <= 3 else None
    if data.good_til_block_time is not None:
        seconds = (data.good_til_block_time - ctx.now).total_seconds()
        if seconds <= 0:
            return "passed", "dim"
        return f"{duration(seconds)} left", None
    return DASH, "dim"


def order_flags(order: TrackedOrder) -> str:
    data = order.data
    flags = []
    flags.append("LT" if is_long_term(order) else "ST")
    if data.order_flags == CONDITIONAL_FLAGS:
        flags[-1] = "COND"
    if data.post_only:
        flags.append("PO")
    if data.reduce_only:
        flags.append("RO")
    return " ".join(flags)


def order_age(order: TrackedOrder, ctx: OrderContext) -> str:
    data = order.data
    if data.updated_at is not None and data.created_at_height == data.updated_at_height:
        return duration((ctx.now - data.updated_at).total_seconds())
    if data.created_at_height is not None and ctx.block_height is not None:
        return f"{max(ctx.block_height - data.created_at_height, 0)} blk"
    if ctx.first_seen is not None:
        return duration((ctx.now - ctx.first_seen).total_seconds())
    return DASH


def order_row(order: TrackedOrder, ctx: OrderContext) -> tuple[Cell, ...]:
    data = order.data
    filled = data.total_filled
    return (
        (data.ticker or "?", None),
        side_cell(data.side),
        (price(data.price, ctx.tick), None),
        (number(data.size), None),
        (number(filled) if filled else "0", "dim" if not filled else None),
        order_status(order, ctx.block_height, ctx.note),
        good_til(order, ctx),
        (order_age(order, ctx), "dim"),
        ((data.type or DASH).replace("_", " ").lower(), None),
        ((data.time_in_force or DASH).replace("_", " "), None),
        (order_flags(order), "dim"),
    )


# --- positions -----------------------------------------------------------------------


POSITION_COLUMNS = (
    ("market", "Market"),
    ("side", "Side"),
    ("size", "Size"),
    ("entry", "Entry"),
    ("oracle", "Oracle"),
    ("upnl", "uPnL"),
    ("upnl_pct", "uPnL %"),
    ("rpnl", "Realized"),
    ("funding", "Funding"),
    ("liq", "Liq. est."),
)


def unrealized_percent(view: PositionView) -> Decimal | None:
    """Unrealized PnL as a share of the entry notional."""
    if view.unrealized_pnl is None or not view.entry_price or not view.size:
        return None
    return view.unrealized_pnl / (abs(view.size) * view.entry_price) * 100


def liquidation_price(
    view: PositionView,
    equity: Decimal | None,
    maintenance_fraction: Decimal | None,
    other_maintenance: Decimal,
) -> Decimal | None:
    """Oracle price at which the account would fall to its maintenance margin, if only
    this position's price moved (cross margin; an estimate, not the chain's figure).

    Equity(p) = E + s(p − o) and MMR(p) = M_other + |s|·p·mmf; they meet at
    p = (M_other − E + s·o) / (s − |s|·mmf). None when unknown or never (p <= 0).
    """
    s, o = view.size, view.oracle_price
    if equity is None or maintenance_fraction is None or o is None or not s:
        return None
    denominator = s - abs(s) * maintenance_fraction
    if denominator == 0:
        return None
    liq = (other_maintenance - equity + s * o) / denominator
    return liq if liq > 0 else None


def position_row(
    view: PositionView, liq: Decimal | None, tick: Decimal | None = None
) -> tuple[Cell, ...]:
    funding = view.net_funding
    return (
        (view.market, None),
        side_cell(view.side),
        (number(abs(view.size)), None),
        (price(view.entry_price, tick), None),
        (price(view.oracle_price, tick), None),
        signed(view.unrealized_pnl),
        percent(unrealized_percent(view)),
        signed(view.realized_pnl),
        signed(funding) if funding is not None else (DASH, "dim"),
        (price(liq, tick), "warn") if liq is not None else ("none", "dim"),
    )


def margin_usage(equity: Decimal | None, free_collateral: Decimal | None) -> Decimal | None:
    """Share of equity used as initial margin: (equity − free collateral) / equity."""
    if equity is None or free_collateral is None or equity <= 0:
        return None
    return max((equity - free_collateral) / equity * 100, Decimal(0))

"""Checking a PlaceRequest against the market and the chain's rules, before anything is sent.

Every refusal is an `InvalidOrder(field, reason)` that says what to change. Prices and
sizes are converted exactly (tui_app.chain.quantize): a value off the step or tick is
refused with the nearest valid ones, never rounded behind the trader's back.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from tui_app.chain.orders import Side, TimeInForce
from tui_app.chain.quantize import QuantizeError, price_to_subticks, size_to_quantums
from tui_app.controller.errors import InvalidOrder
from tui_app.controller.markets import TRADABLE_STATUSES, MarketInfo
from tui_app.controller.requests import OrderType, PlaceRequest, TimeInForceChoice
from tui_app.controller.settings import ControllerSettings

MAX_LONG_TERM_SECONDS = 95 * 24 * 3600  # StatefulOrderTimeWindow


@dataclass(frozen=True)
class ValidatedOrder:
    """A request that passed every check, with its exact chain units."""

    market: MarketInfo
    side: Side
    size: Decimal
    quantums: int
    price: Decimal
    subticks: int
    time_in_force: TimeInForce
    order_type: OrderType
    reduce_only: bool
    post_only: bool
    long_term: bool
    good_til_blocks: int  # short-term lifetime in blocks
    good_til_seconds: int  # long-term lifetime in seconds


def validate(
    request: PlaceRequest,
    market: MarketInfo,
    settings: ControllerSettings,
    *,
    free_collateral: Decimal | None = None,
) -> ValidatedOrder:
    if market.status not in TRADABLE_STATUSES:
        raise InvalidOrder("market", f"{market.ticker} is {market.status}, not open for trading")
    side = _side(request.side)
    order_type = OrderType(request.order_type)
    tif = _time_in_force(request, order_type)
    long_term = request.long_term
    if long_term and tif is TimeInForce.IOC:
        raise InvalidOrder(
            "time_in_force",
            "a long-term order cannot be IOC (a market order is IOC: place it short-term)",
        )
    if request.reduce_only and (long_term or tif is not TimeInForce.IOC):
        raise InvalidOrder(
            "reduce_only",
            "the chain allows reduce-only only on short-term IOC orders (use --tif ioc, "
            "without --long-term)",
        )
    quantums = _units("size", lambda: size_to_quantums(_number("size", request.size), market.spec))
    price = _price(request, order_type, side, market, settings)
    subticks = _units("price", lambda: price_to_subticks(price, market.spec))
    blocks = _lifetime_blocks(request, settings)
    seconds = _lifetime_seconds(request, settings)
    if free_collateral is not None and not request.reduce_only:
        _check_collateral(request.size, price, market, free_collateral)
    return ValidatedOrder(
        market=market,
        side=side,
        size=request.size,
        quantums=quantums,
        price=price,
        subticks=subticks,
        time_in_force=tif,
        order_type=order_type,
        reduce_only=request.reduce_only,
        post_only=tif is TimeInForce.POST_ONLY,
        long_term=long_term,
        good_til_blocks=blocks,
        good_til_seconds=seconds,
    )


def _side(text: str) -> Side:
    value = str(text).strip().upper()
    if value not in ("BUY", "SELL"):
        raise InvalidOrder("side", f"must be buy or sell, not {str(text)[:20]!r}")
    return Side[value]


def _time_in_force(request: PlaceRequest, order_type: OrderType) -> TimeInForce:
    choice = TimeInForceChoice(request.time_in_force)
    if choice is TimeInForceChoice.FOK:
        raise InvalidOrder(
            "time_in_force",
            "fill-or-kill is deprecated on dYdX and the chain refuses it (clob 48); use ioc",
        )
    if order_type is OrderType.MARKET:
        if request.post_only:
            raise InvalidOrder(
                "post_only", "a market order takes liquidity: it cannot be post-only"
            )
        return TimeInForce.IOC  # a market order is an IOC order with a worst price
    if request.post_only:
        if choice is TimeInForceChoice.IOC:
            raise InvalidOrder("post_only", "post-only and IOC contradict each other")
        return TimeInForce.POST_ONLY
    return TimeInForce.IOC if choice is TimeInForceChoice.IOC else TimeInForce.GTT


def _number(field: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise InvalidOrder(field, f"must be a decimal number, not {type(value).__name__}")
    return value  # type: ignore[return-value]


def _units(field: str, convert) -> int:
    try:
        return convert()
    except QuantizeError as exc:
        raise InvalidOrder(field, str(exc).split(": ", 1)[-1]) from None


def _price(
    request: PlaceRequest,
    order_type: OrderType,
    side: Side,
    market: MarketInfo,
    settings: ControllerSettings,
) -> Decimal:
    if request.price is not None:
        _units("price", lambda: price_to_subticks(_number("price", request.price), market.spec))
        return Decimal(request.price)
    if order_type is OrderType.LIMIT:
        raise InvalidOrder("price", "a limit order needs a price")
    oracle = market.oracle_price
    if oracle is None or oracle <= 0:
        raise InvalidOrder("price", f"no oracle price known for {market.ticker}: give a price")
    # The worst price accepted, on the tick, never beyond the configured slippage.
    if side is Side.BUY:
        worst, rounding = oracle * (1 + settings.market_slippage), ROUND_FLOOR
    else:
        worst, rounding = oracle * (1 - settings.market_slippage), ROUND_CEILING
    tick = market.spec.tick_size
    on_tick = (worst / tick).to_integral_value(rounding=rounding) * tick
    return max(on_tick, tick)


def _lifetime_blocks(request: PlaceRequest, settings: ControllerSettings) -> int:
    blocks = request.good_til_blocks or settings.short_term_blocks
    if not 1 <= blocks <= settings.short_block_window:
        raise InvalidOrder(
            "good_til_blocks", f"must be 1..{settings.short_block_window} blocks, not {blocks}"
        )
    return blocks


def _lifetime_seconds(request: PlaceRequest, settings: ControllerSettings) -> int:
    seconds = request.good_til_seconds or settings.long_term_seconds
    if not 1 <= seconds <= MAX_LONG_TERM_SECONDS:
        raise InvalidOrder("good_til_seconds", f"must be 1 s .. 95 days, not {seconds} s")
    return seconds


def _check_collateral(
    size: Decimal, price: Decimal, market: MarketInfo, free_collateral: Decimal
) -> None:
    fraction = market.initial_margin_fraction
    if fraction is None:
        return
    # An estimate (it ignores positions the order would reduce); the chain has the last word.
    needed = Decimal(size) * price * fraction
    if needed > free_collateral:
        raise InvalidOrder(
            "size",
            f"needs about {needed:.2f} USDC of free collateral; the subaccount has "
            f"{free_collateral:.2f}",
        )

"""validate(): every refusal names the field and says why; real (mainnet) market parameters."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tui_app.chain.orders import Side, TimeInForce
from tui_app.chain.quantize import MarketSpec
from tui_app.controller.errors import InvalidOrder
from tui_app.controller.markets import MarketInfo
from tui_app.controller.requests import OrderType, PlaceRequest, TimeInForceChoice
from tui_app.controller.settings import ControllerSettings
from tui_app.controller.validation import validate
from tui_app.devnet.markets import DEFAULT_MARKETS

SETTINGS = ControllerSettings(owner="dydx1test", market_slippage=Decimal("0.05"))


def market(ticker="BTC-USD", *, oracle=Decimal("60000"), status="ACTIVE") -> MarketInfo:
    m = next(m for m in DEFAULT_MARKETS if m.ticker == ticker)
    spec = MarketSpec(m.ticker, m.atomic_resolution, m.quantum_conversion_exponent,
                      m.step_base_quantums, m.subticks_per_tick)  # fmt: skip
    return MarketInfo(spec, m.clob_pair_id, status, oracle, m.initial_margin_fraction)


def refused(request, m=None, **kw) -> InvalidOrder:
    with pytest.raises(InvalidOrder) as info:
        validate(request, m or market(), SETTINGS, **kw)
    return info.value


def req(**kw) -> PlaceRequest:
    fields = dict(market="BTC-USD", side="BUY", size=Decimal("0.001"), price=Decimal("60000"))
    fields.update(kw)
    return PlaceRequest(**fields)


def test_exact_units_of_a_valid_limit_order():
    v = validate(req(size=Decimal("1.0001"), price=Decimal("60123")), market(), SETTINGS)
    assert (v.quantums, v.subticks) == (10_001_000_000, 6_012_300_000)
    assert v.side is Side.BUY and v.time_in_force is TimeInForce.GTT and not v.long_term
    eth = market("ETH-USD", oracle=Decimal("2600"))
    # The float-based client gets these one step low (protocol notes 3.8).
    v = validate(
        req(market="ETH-USD", size=Decimal("1.001"), price=Decimal("2048.2")), eth, SETTINGS
    )
    assert (v.quantums, v.subticks) == (1_001_000_000, 2_048_200_000)


@pytest.mark.parametrize(
    ("request_", "field", "words"),
    [
        (req(size=Decimal("0.00012345")), "size", "step size 0.0001"),
        (req(size=Decimal("0.00001")), "size", "below the minimum"),
        (req(size=Decimal("0")), "size", "greater than zero"),
        (req(size=Decimal("NaN")), "size", "finite"),
        (req(size=1.5), "size", "decimal number"),
        (req(price=Decimal("60000.5")), "price", "tick size 1"),
        (req(price=None), "price", "needs a price"),
        (req(side="long"), "side", "buy or sell"),
        (req(time_in_force=TimeInForceChoice.FOK), "time_in_force", "deprecated"),
        (req(reduce_only=True), "reduce_only", "short-term IOC"),
        (
            req(reduce_only=True, time_in_force=TimeInForceChoice.IOC, long_term=True),
            "time_in_force",
            "cannot be IOC",
        ),
        (req(long_term=True, time_in_force=TimeInForceChoice.IOC), "time_in_force", "IOC"),
        (req(post_only=True, time_in_force=TimeInForceChoice.IOC), "post_only", "contradict"),
        (req(order_type=OrderType.MARKET, post_only=True), "post_only", "market order"),
        (req(good_til_blocks=21), "good_til_blocks", "1..20"),
        (req(good_til_seconds=96 * 24 * 3600), "good_til_seconds", "95 days"),
    ],
)
def test_refusals_name_the_field(request_, field, words):
    error = refused(request_)
    assert error.field == field and words in error.reason, error


def test_market_must_be_trading():
    assert "not open for trading" in str(refused(req(), market(status="PAUSED")))


def test_market_order_is_ioc_with_a_worst_price_on_the_tick():
    buy = validate(req(order_type=OrderType.MARKET, price=None),
                   market(oracle=Decimal("60000.7")), SETTINGS)  # fmt: skip
    # 60000.7 * 1.05 = 63000.735 -> down to the tick (1 USD): never beyond the slippage.
    assert buy.time_in_force is TimeInForce.IOC and buy.price == Decimal("63000")
    sell = validate(req(side="SELL", order_type=OrderType.MARKET, price=None),
                    market(oracle=Decimal("60000.7")), SETTINGS)  # fmt: skip
    # 60000.7 * 0.95 = 57000.665 -> up to the tick.
    assert sell.price == Decimal("57001")
    error = refused(req(order_type=OrderType.MARKET, price=None), market(oracle=None))
    assert error.field == "price" and "no oracle price" in error.reason
    # A given price is the worst price, as is.
    given = validate(req(order_type=OrderType.MARKET, price=Decimal("61000")), market(), SETTINGS)
    assert given.price == Decimal("61000") and given.order_type is OrderType.MARKET


def test_reduce_only_short_term_ioc_is_allowed_and_post_only_maps_to_the_chain():
    v = validate(req(reduce_only=True, time_in_force=TimeInForceChoice.IOC), market(), SETTINGS)
    assert v.reduce_only and v.time_in_force is TimeInForce.IOC
    v = validate(req(post_only=True, long_term=True), market(), SETTINGS)
    assert v.post_only and v.time_in_force is TimeInForce.POST_ONLY and v.long_term


def test_collateral_where_known():
    # 0.1 BTC at 60000 with 5 % initial margin needs 300 USDC.
    big = req(size=Decimal("0.1"))
    error = refused(big, free_collateral=Decimal("299.99"))
    assert error.field == "size" and "300.00 USDC" in error.reason
    assert validate(big, market(), SETTINGS, free_collateral=Decimal("300")).quantums
    assert validate(
        big, market(), SETTINGS, free_collateral=None
    ).quantums  # unknown: the chain decides
    reducing = req(size=Decimal("0.1"), reduce_only=True, time_in_force=TimeInForceChoice.IOC)
    assert validate(reducing, market(), SETTINGS, free_collateral=Decimal("0")).reduce_only


def test_lifetimes_from_settings_or_request():
    v = validate(req(), market(), SETTINGS)
    assert (v.good_til_blocks, v.good_til_seconds) == (10, 30 * 24 * 3600)
    v = validate(req(good_til_blocks=3, good_til_seconds=120), market(), SETTINGS)
    assert (v.good_til_blocks, v.good_til_seconds) == (3, 120)


def test_settings_are_checked():
    with pytest.raises(ValueError, match="short_term_blocks"):
        ControllerSettings(owner="x", short_term_blocks=21)
    with pytest.raises(ValueError, match="batch_cancel_size"):
        ControllerSettings(owner="x", batch_cancel_size=101)

"""Exact quantization against the real BTC/ETH/SOL parameters, and refusals with reasons."""

from __future__ import annotations

from decimal import Decimal

import pytest
from dydx_v4_client.node.market import Market
from hypothesis import given
from hypothesis import strategies as st

from tui_app.chain.quantize import (
    BelowMinimum,
    InvalidNumber,
    MarketSpec,
    NotOnStep,
    QuantizeError,
    TooLarge,
    parse_decimal,
    price_to_subticks,
    quantums_to_size,
    size_to_quantums,
    subticks_to_price,
)

# Mainnet parameters (atomicResolution, quantumConversionExponent, stepBaseQuantums,
# subticksPerTick), as the indexer reports them.
BTC = MarketSpec("BTC-USD", -10, -9, 1_000_000, 100_000)
ETH = MarketSpec("ETH-USD", -9, -9, 1_000_000, 100_000)
SOL = MarketSpec("SOL-USD", -7, -9, 1_000_000, 1_000_000)


def test_step_and_tick_sizes():
    assert (BTC.step_size, BTC.tick_size) == (Decimal("0.0001"), Decimal("1"))
    assert (ETH.step_size, ETH.tick_size) == (Decimal("0.001"), Decimal("0.1"))
    assert (SOL.step_size, SOL.tick_size) == (Decimal("0.1"), Decimal("0.01"))


@pytest.mark.parametrize(
    "market, size, quantums, price, subticks",
    [
        (BTC, "0.0001", 1_000_000, "1", 100_000),
        (BTC, "1.2345", 12_345_000_000, "64213", 6_421_300_000),
        (ETH, "1.001", 1_001_000_000, "2048.2", 2_048_200_000),
        (ETH, "0.001", 1_000_000, "0.1", 100_000),
        (SOL, "0.1", 1_000_000, "0.01", 1_000_000),
        (SOL, "12.3", 123_000_000, "145.67", 14_567_000_000),
    ],
)
def test_exact_values(market, size, quantums, price, subticks):
    assert size_to_quantums(Decimal(size), market) == quantums
    assert price_to_subticks(Decimal(price), market) == subticks
    assert quantums_to_size(quantums, market) == Decimal(size)
    assert str(quantums_to_size(quantums, market)) == size
    assert subticks_to_price(subticks, market) == Decimal(price)


def _indexer_dict(m: MarketSpec) -> dict:
    return {
        "ticker": m.ticker,
        "atomicResolution": m.atomic_resolution,
        "quantumConversionExponent": m.quantum_conversion_exponent,
        "stepBaseQuantums": m.step_base_quantums,
        "subticksPerTick": m.subticks_per_tick,
        "clobPairId": "1",
    }


def test_the_values_dydx_v4_client_gets_wrong():
    package = Market(_indexer_dict(ETH))
    # The package (floats) comes out one step low; we are exact.
    assert package.calculate_quantums(1.001) == 1_000_000_000
    assert package.calculate_subticks(2048.2) == 2_048_100_000
    assert size_to_quantums(Decimal("1.001"), ETH) == 1_001_000_000
    assert price_to_subticks(Decimal("2048.2"), ETH) == 2_048_200_000
    # And it turns nonsense into a minimum order; we refuse.
    assert package.calculate_quantums(0) == 1_000_000
    with pytest.raises(InvalidNumber, match="size: 0 must be greater than zero"):
        size_to_quantums(Decimal(0), ETH)


def test_every_eth_size_and_price_in_a_range_round_trips():
    for n in range(1, 2000):
        size = Decimal(n).scaleb(-3)
        assert quantums_to_size(size_to_quantums(size, ETH), ETH) == size
    for n in range(20001, 23000):
        price = Decimal(n).scaleb(-1)
        assert subticks_to_price(price_to_subticks(price, ETH), ETH) == price


def test_from_indexer_dict():
    assert MarketSpec.from_indexer(_indexer_dict(SOL)) == SOL


def test_off_step_size_is_refused_with_the_nearest_valid_values():
    with pytest.raises(NotOnStep) as info:
        size_to_quantums(Decimal("1.0005"), ETH)
    err = info.value
    assert err.field == "size" and (err.lower, err.upper) == (Decimal("1.000"), Decimal("1.001"))
    assert str(err) == (
        "size: 1.0005 is not a multiple of the step size 0.001 (nearest valid: 1.000 or 1.001)"
    )
    with pytest.raises(NotOnStep, match="size: 0.15 .* step size 0.1"):
        size_to_quantums(Decimal("0.15"), SOL)
    # Finer than a quantum: not even a whole number of quantums.
    with pytest.raises(NotOnStep, match="nearest valid: 1.000 or 1.001"):
        size_to_quantums(Decimal("1.0000000001"), ETH)


def test_off_tick_price_is_refused():
    with pytest.raises(NotOnStep, match=r"price: 2048.25 .* tick size 0.1 .*2048.2 or 2048.3"):
        price_to_subticks(Decimal("2048.25"), ETH)
    with pytest.raises(NotOnStep, match="price: 64213.5 .* tick size 1 "):
        price_to_subticks(Decimal("64213.5"), BTC)


def test_minimums():
    with pytest.raises(BelowMinimum, match="size: 0.00005 is below the minimum order size 0.0001"):
        size_to_quantums(Decimal("0.00005"), BTC)
    with pytest.raises(BelowMinimum, match="price: 0.5 is below the minimum price 1"):
        price_to_subticks(Decimal("0.5"), BTC)
    with pytest.raises(BelowMinimum, match="size: 1E-30"):
        size_to_quantums(Decimal("1e-30"), SOL)


@pytest.mark.parametrize(
    "bad", [Decimal("-1"), Decimal("NaN"), Decimal("Infinity"), Decimal("-0"), 1.5, True, None]
)
def test_not_numbers(bad):
    with pytest.raises(InvalidNumber) as info:
        size_to_quantums(bad, ETH)
    assert info.value.field == "size"


def test_too_large_is_refused_without_building_a_huge_integer():
    with pytest.raises(TooLarge):
        size_to_quantums(Decimal("1e999999"), ETH)
    with pytest.raises(TooLarge):
        price_to_subticks(Decimal("2e13"), ETH)  # 2e19 subticks: above 2^64
    assert price_to_subticks(Decimal("1e13"), ETH) == 10**19


def test_many_digits_are_not_rounded_by_the_decimal_context():
    # 40 significant digits: the default 28-digit context would round this onto the step.
    value = Decimal("1.000000000000000000000000000000000000001")
    with pytest.raises(NotOnStep):
        size_to_quantums(value, ETH)


@pytest.mark.parametrize(
    "text", ["1_000", " 1", "1 ", "１", "١", "1e3", "NaN", "-1", "", "1.", "0x10", "+1"]
)
def test_parse_decimal_is_strict(text):
    with pytest.raises(InvalidNumber, match="not a plain decimal"):
        parse_decimal(text, "size")


def test_strings_are_parsed_strictly():
    assert size_to_quantums("1.001", ETH) == 1_001_000_000
    assert parse_decimal(".5", "price") == Decimal("0.5")
    with pytest.raises(QuantizeError):
        size_to_quantums("1e3", ETH)


@given(st.integers(min_value=1, max_value=10**12), st.integers(min_value=1, max_value=10**9))
def test_round_trip_from_units(steps, ticks):
    for market in (BTC, ETH, SOL):
        quantums = steps * market.step_base_quantums
        subticks = ticks * market.subticks_per_tick
        assert size_to_quantums(quantums_to_size(quantums, market), market) == quantums
        assert price_to_subticks(subticks_to_price(subticks, market), market) == subticks

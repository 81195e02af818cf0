"""Exact conversion of human sizes and prices to the chain's quantums and subticks, and back.

A size is `quantums * 10^atomicResolution` of the base asset; a price is
`subticks * 10^(quantumConversionExponent - atomicResolution - 6)` USDC (6: USDC's own
atomic resolution). Quantums must be a positive multiple of stepBaseQuantums, subticks a
positive multiple of subticksPerTick.

Everything is `Decimal` scaled by powers of ten and `int`: no float anywhere, and a value
that is not exactly on the step or tick is refused with the nearest valid values, never
rounded (dydx-v4-client's `Market` helpers round through floats and come out one step low
for e.g. ETH size 1.001 or price 2048.2, and quietly turn 0 into the minimum size).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

QUOTE_ATOMIC_RESOLUTION = -6
MAX_UINT64 = 2**64 - 1
# Plain ASCII decimals only: Decimal() itself accepts "1_000", " 1 ", "NaN", "1e9999",
# full-width and Arabic-Indic digits, none of which a trader means as an order size.
_DECIMAL_TEXT = re.compile(r"[0-9]+(\.[0-9]+)?|\.[0-9]+")


class QuantizeError(ValueError):
    """A size or price that cannot become an order; `field` is "size" or "price"."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class InvalidNumber(QuantizeError):
    """Not a finite, positive, plain decimal number."""


class NotOnStep(QuantizeError):
    """A size that is not a multiple of the step size, or a price not on the tick."""

    def __init__(self, field: str, value: Decimal, step: Decimal, lower: Decimal, upper: Decimal):
        self.value, self.step, self.lower, self.upper = value, step, lower, upper
        unit = "step size" if field == "size" else "tick size"
        nearest = f"{lower} or {upper}" if lower > 0 else f"{upper}"
        super().__init__(
            field, f"{value} is not a multiple of the {unit} {step} (nearest valid: {nearest})"
        )


class BelowMinimum(QuantizeError):
    def __init__(self, field: str, value: Decimal, minimum: Decimal):
        self.value, self.minimum = value, minimum
        what = "order size" if field == "size" else "price"
        super().__init__(field, f"{value} is below the minimum {what} {minimum}")


class TooLarge(QuantizeError):
    pass


@dataclass(frozen=True)
class MarketSpec:
    """The four numbers of a market that fix its units (from the indexer's market object)."""

    ticker: str
    atomic_resolution: int
    quantum_conversion_exponent: int
    step_base_quantums: int
    subticks_per_tick: int

    def __post_init__(self) -> None:
        if self.step_base_quantums <= 0 or self.subticks_per_tick <= 0:
            raise ValueError(f"{self.ticker}: step_base_quantums and subticks_per_tick must be > 0")

    @classmethod
    def from_indexer(cls, market: dict[str, Any]) -> MarketSpec:
        """From a `/v4/perpetualMarkets` (or `v4_markets`) market object."""
        return cls(
            ticker=str(market["ticker"]),
            atomic_resolution=int(market["atomicResolution"]),
            quantum_conversion_exponent=int(market["quantumConversionExponent"]),
            step_base_quantums=int(market["stepBaseQuantums"]),
            subticks_per_tick=int(market["subticksPerTick"]),
        )

    @property
    def price_exponent(self) -> int:
        """One subtick is 10^price_exponent USDC."""
        return (
            self.quantum_conversion_exponent - self.atomic_resolution + QUOTE_ATOMIC_RESOLUTION
        )

    @property
    def step_size(self) -> Decimal:
        """The smallest size and the size increment, in base asset units."""
        return quantums_to_size(self.step_base_quantums, self)

    @property
    def tick_size(self) -> Decimal:
        """The smallest price and the price increment, in USDC."""
        return subticks_to_price(self.subticks_per_tick, self)


def parse_decimal(text: str, field: str) -> Decimal:
    """A trader's typed number, strictly: ASCII digits with an optional fraction."""
    if not isinstance(text, str) or not _DECIMAL_TEXT.fullmatch(text):
        raise InvalidNumber(field, f"{text!r} is not a plain decimal number like 12.5")
    return Decimal(text)


def size_to_quantums(size: Decimal | int | str, market: MarketSpec) -> int:
    """Exact quantums for a size; refuses sizes off the step or below one step."""
    value = _as_decimal(size, "size")
    return _to_units(
        value, "size", -market.atomic_resolution, market.step_base_quantums, market.step_size
    )


def price_to_subticks(price: Decimal | int | str, market: MarketSpec) -> int:
    """Exact subticks for a price; refuses prices off the tick or below one tick."""
    value = _as_decimal(price, "price")
    return _to_units(
        value, "price", -market.price_exponent, market.subticks_per_tick, market.tick_size
    )


def quantums_to_size(quantums: int, market: MarketSpec) -> Decimal:
    """The size of `quantums`, exact, written with the step's number of decimals."""
    exact = Decimal(_as_uint(quantums, "quantums")).scaleb(market.atomic_resolution)
    return _tidy(exact, Decimal(market.step_base_quantums).scaleb(market.atomic_resolution))


def subticks_to_price(subticks: int, market: MarketSpec) -> Decimal:
    """The price of `subticks`, exact, written with the tick's number of decimals."""
    exact = Decimal(_as_uint(subticks, "subticks")).scaleb(market.price_exponent)
    return _tidy(exact, Decimal(market.subticks_per_tick).scaleb(market.price_exponent))


# ----- helpers ---------------------------------------------------------------------------


def _as_decimal(value: Decimal | int | str, field: str) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        # A float has already lost the trader's exact number (1.001 is 1.00099999...).
        raise InvalidNumber(field, f"{value!r} is a {type(value).__name__}; pass a Decimal or str")
    if isinstance(value, str):
        return parse_decimal(value, field)
    if isinstance(value, int):
        return Decimal(value)
    if not isinstance(value, Decimal):
        raise InvalidNumber(field, f"{value!r} is not a number")
    if not value.is_finite():
        raise InvalidNumber(field, f"{value} is not a finite number")
    return value


def _to_units(value: Decimal, field: str, shift: int, step: int, human_step: Decimal) -> int:
    if value <= 0:
        raise InvalidNumber(field, f"{value} must be greater than zero")
    # Compare before scaling: "1e999999" must not turn into a huge integer.
    if value.adjusted() + shift > 20:
        raise TooLarge(field, f"{value} is too large for the chain (uint64)")
    with localcontext() as ctx:
        # scaleb only moves the exponent; the precision keeps every digit of the input.
        ctx.prec = max(60, len(value.as_tuple().digits) + 5)
        units = value.scaleb(shift)
        if units != units.to_integral_value():
            return _refuse_off_step(value, field, units, step, human_step)
        count = int(units)
    if count > MAX_UINT64:
        raise TooLarge(field, f"{value} is too large for the chain (uint64)")
    if count % step:
        return _refuse_off_step(value, field, units, step, human_step)
    if count < step:
        raise BelowMinimum(field, value, human_step)
    return count


def _refuse_off_step(value: Decimal, field: str, units: Decimal, step: int, human_step: Decimal):
    below = int(units // step)  # whole steps below the value (units > 0)
    if below == 0:
        raise BelowMinimum(field, value, human_step)
    lower = _tidy(human_step * below, human_step)
    upper = _tidy(human_step * (below + 1), human_step)
    raise NotOnStep(field, value, human_step, lower, upper)


def _as_uint(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_UINT64:
        raise ValueError(f"{name} must be an integer in 0..2^64-1, not {value!r}")
    return value


def _tidy(value: Decimal, step: Decimal) -> Decimal:
    """`value` with as many decimals as `step` has (1.001000000 -> 1.001, 50000 -> 50000)."""
    places = min(0, step.normalize().as_tuple().exponent)  # type: ignore[type-var]
    with localcontext() as ctx:
        ctx.prec = max(60, len(value.as_tuple().digits) + 5)
        quantized = value.quantize(Decimal(1).scaleb(places))
        return quantized if quantized == value else value.normalize()

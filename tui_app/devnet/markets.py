"""Perpetual markets of the devnet and exact conversions between human and chain units.

Parameters are mainnet's as captured from the real indexer (`v4_markets` snapshot):
a price is `subticks * 10^(quantumConversionExponent - atomicResolution - 6)` USDC and
a size is `quantums * 10^atomicResolution` of the base asset. Everything is exact
integer/Decimal arithmetic, never floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tui_app.devnet.params import QUOTE_ATOMIC_RESOLUTION


@dataclass(frozen=True)
class MarketParams:
    ticker: str
    clob_pair_id: int
    perpetual_id: int
    market_id: int  # the oracle price's market id
    atomic_resolution: int
    quantum_conversion_exponent: int
    step_base_quantums: int
    subticks_per_tick: int
    initial_margin_fraction: Decimal
    maintenance_margin_fraction: Decimal
    initial_oracle_price: Decimal
    # Oracle price exponent on chain (prices module): price = value * 10^exponent.
    oracle_exponent: int
    market_type: str = "CROSS"
    open_interest_lower_cap: str = "0"
    open_interest_upper_cap: str = "0"
    # Prices module's smallest oracle move (localnet genesis: 1000 for BTC and ETH, 2500 for
    # SOL); it bounds the trade prices that may trigger conditional orders.
    min_price_change_ppm: int = 1000

    @property
    def base_asset(self) -> str:
        return self.ticker.split("-")[0]

    @property
    def price_exponent(self) -> int:
        """USDC per subtick is 10^price_exponent."""
        return self.quantum_conversion_exponent - self.atomic_resolution + QUOTE_ATOMIC_RESOLUTION

    @property
    def tick_size(self) -> Decimal:
        return self.subticks_to_price(self.subticks_per_tick)

    @property
    def step_size(self) -> Decimal:
        return self.quantums_to_size(self.step_base_quantums)

    def subticks_to_price(self, subticks: int) -> Decimal:
        return _normalize(Decimal(subticks).scaleb(self.price_exponent))

    def quantums_to_size(self, quantums: int) -> Decimal:
        return _normalize(Decimal(quantums).scaleb(self.atomic_resolution))

    def price_to_subticks(self, price: Decimal) -> Decimal:
        """Exact subticks for a price; not necessarily an integer (callers check)."""
        return price.scaleb(-self.price_exponent)

    def size_to_quantums(self, size: Decimal) -> Decimal:
        return size.scaleb(-self.atomic_resolution)

    def quote_quantums(self, base_quantums: int, subticks: int) -> int:
        """Quote quantums (1e-6 USDC) of `base_quantums` at `subticks`, exactly.

        On dYdX the quote quantums of a fill are base_quantums * subticks *
        10^quantumConversionExponent; the exponent is negative, and the chain rounds down.
        """
        value = base_quantums * subticks
        exp = self.quantum_conversion_exponent
        if exp >= 0:
            return value * 10**exp
        return value // 10 ** (-exp)

    def oracle_price_to_subticks(self, price: Decimal) -> int:
        """The nearest valid (tick-aligned) subticks at or below an oracle price."""
        raw = int(self.price_to_subticks(price))
        return max(raw - raw % self.subticks_per_tick, self.subticks_per_tick)


def _normalize(value: Decimal) -> Decimal:
    """A Decimal without an exponent-notation tail ("1E+1" -> "10", "0.10" -> "0.1")."""
    normalized = value.normalize()
    if normalized == normalized.to_integral():
        return normalized.quantize(Decimal(1))
    return normalized


def format_decimal(value: Decimal) -> str:
    """A plain decimal string as the indexer prints numbers (no exponent)."""
    return format(_normalize(value), "f")


# Mainnet parameters (clob pair ids, resolutions, steps, ticks, margin fractions) of the
# markets the devnet lists; oracle start prices are round numbers near the captures.
DEFAULT_MARKETS: tuple[MarketParams, ...] = (
    MarketParams(
        ticker="BTC-USD",
        clob_pair_id=0,
        perpetual_id=0,
        market_id=0,
        atomic_resolution=-10,
        quantum_conversion_exponent=-9,
        step_base_quantums=1_000_000,
        subticks_per_tick=100_000,
        initial_margin_fraction=Decimal("0.05"),
        maintenance_margin_fraction=Decimal("0.03"),
        initial_oracle_price=Decimal("60000"),
        oracle_exponent=-5,
    ),
    MarketParams(
        ticker="ETH-USD",
        clob_pair_id=1,
        perpetual_id=1,
        market_id=1,
        atomic_resolution=-9,
        quantum_conversion_exponent=-9,
        step_base_quantums=1_000_000,
        subticks_per_tick=100_000,
        initial_margin_fraction=Decimal("0.05"),
        maintenance_margin_fraction=Decimal("0.03"),
        initial_oracle_price=Decimal("2600"),
        oracle_exponent=-6,
    ),
    MarketParams(
        ticker="SOL-USD",
        clob_pair_id=5,
        perpetual_id=5,
        market_id=5,
        atomic_resolution=-7,
        quantum_conversion_exponent=-9,
        step_base_quantums=1_000_000,
        subticks_per_tick=1_000_000,
        initial_margin_fraction=Decimal("0.05"),
        maintenance_margin_fraction=Decimal("0.03"),
        initial_oracle_price=Decimal("140"),
        oracle_exponent=-8,
        min_price_change_ppm=2500,
        open_interest_lower_cap="40000000",
        open_interest_upper_cap="100000000",
    ),
)

"""Chain-wide constants of the devnet, with the values the real dYdX localnet uses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

CHAIN_ID = "localdydxprotocol"
NATIVE_DENOM = "adv4tnt"
USDC_DENOM = "ibc/8E27BA2D5493AF5636760E354E46004562C46AB7EC0CC4C1CA14E9E20E2545B5"
# USDC has 6 decimals on dYdX: one quote quantum is 1e-6 USDC.
QUOTE_ATOMIC_RESOLUTION = -6
USDC_ASSET_ID = 0

# Order flags (proto `OrderId.order_flags`).
FLAG_SHORT_TERM = 0
FLAG_CONDITIONAL = 32
FLAG_LONG_TERM = 64
FLAG_TWAP = 128
STATEFUL_FLAGS = frozenset({FLAG_CONDITIONAL, FLAG_LONG_TERM, FLAG_TWAP})

# The chain raised ShortBlockWindow from 20 to 40 in protocol v9.5.0 (late 2025);
# the Python client still assumes 20, so 20 is the default here and 40 is configurable.
DEFAULT_SHORT_BLOCK_WINDOW = 20
# StatefulOrderTimeWindow: a good_til_block_time may be at most 95 days ahead.
STATEFUL_ORDER_TIME_WINDOW_SECONDS = 95 * 24 * 3600
MAX_BATCH_CANCEL_SIZE = 100


@dataclass(frozen=True)
class ChainParams:
    """Everything that differs between one devnet and another, apart from the seed."""

    chain_id: str = CHAIN_ID
    short_block_window: int = DEFAULT_SHORT_BLOCK_WINDOW
    block_time_seconds: Decimal = Decimal("1.0")
    # Fee tier 1 of mainnet: taker 5 bps, maker 1 bps.
    taker_fee_rate: Decimal = Decimal("0.0005")
    maker_fee_rate: Decimal = Decimal("0.0001")
    # Stateful placements per account per block (mainnet's block rate limit).
    max_stateful_orders_per_block: int = 2
    # Height the chain starts at (the real localnet has a few blocks before anyone connects).
    genesis_height: int = 1
    # Synthetic traders on/off (tests of exact matching switch them off).
    synthetic_traders: bool = True

"""What the controller needs to know from the configuration, as one small frozen object."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# dydx-v4-client and chains before protocol 9.5 use 20 (9.5 raised it to 40): stay inside 20.
SHORT_BLOCK_WINDOW = 20


@dataclass(frozen=True)
class ControllerSettings:
    owner: str  # dydx1... address that signs
    subaccount_number: int = 0
    short_term_blocks: int = 10  # good_til_block = latest height + this
    long_term_seconds: int = 30 * 24 * 3600  # good_til_block_time = now + this
    # Market orders: IOC with a worst price this fraction away from the oracle price.
    market_slippage: Decimal = Decimal("0.05")
    cancel_rate_per_second: float = 10.0  # token bucket: cancel transactions per second
    cancel_burst: int = 20
    node_timeout: float = 5.0  # deadline of each node call
    # A long-term order the indexer has never shown this long after placing is rejected.
    confirm_grace_seconds: float = 15.0
    # Stateful cancels per transaction (the chain takes several; one failure fails the tx).
    stateful_cancels_per_tx: int = 25
    # Short-term cancels per MsgBatchCancel (the chain takes at most 100).
    batch_cancel_size: int = 100
    # Retries of a request that certainly was not sent (node unreachable).
    send_retries: int = 2
    retry_base_delay: float = 0.2
    short_block_window: int = SHORT_BLOCK_WINDOW
    # A place reuses a height the node named this recently (0: always ask); see recent_block.
    height_reuse_seconds: float = 0.25

    def __post_init__(self) -> None:
        if not 1 <= self.short_term_blocks <= self.short_block_window:
            raise ValueError(
                f"short_term_blocks must be 1..{self.short_block_window}, "
                f"not {self.short_term_blocks}"
            )
        if not 1 <= self.batch_cancel_size <= 100:
            raise ValueError(f"batch_cancel_size must be 1..100, not {self.batch_cancel_size}")
        if not (Decimal(0) <= self.market_slippage < Decimal(1)):
            raise ValueError(f"market_slippage must be in [0, 1), not {self.market_slippage}")

    @classmethod
    def from_config(cls, config: Any, **overrides: Any) -> ControllerSettings:
        """From a `tui_app.config.ResolvedConfig`."""
        trading = config.settings.trading
        values: dict[str, Any] = dict(
            owner=config.address,
            subaccount_number=config.subaccount_number,
            short_term_blocks=trading.short_term_blocks,
            long_term_seconds=trading.long_term_seconds,
            cancel_rate_per_second=trading.cancel_rate_limit,
            cancel_burst=max(1, int(trading.cancel_rate_limit * 2)),
            node_timeout=trading.node_timeout_seconds,
            confirm_grace_seconds=trading.confirm_timeout_seconds,
        )
        values.update(overrides)
        return cls(**values)

"""Realized PnL of one market, aggregated from the fills the app has seen.

Average-cost accounting: buys and sells that grow a position move its average entry price;
those that shrink it realize (fill price - entry) x closed size, signed by the position's
direction; one that flips the position closes it all and opens the rest at the fill price.
Fees are kept apart (a negative fee is a maker rebate). This is the app's own figure, next
to the indexer's `realizedPnl` per position, which also counts funding.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(slots=True)
class MarketPnl:
    position: Decimal = ZERO  # signed size implied by the fills (and the snapshot seed)
    entry_price: Decimal = ZERO
    realized: Decimal = ZERO  # trading PnL before fees
    fees: Decimal = ZERO
    fill_count: int = 0

    @property
    def net_realized(self) -> Decimal:
        return self.realized - self.fees

    def seed(self, signed_size: Decimal, entry_price: Decimal) -> None:
        """Start from a snapshot's open position (fills before it are not known)."""
        self.position = signed_size
        self.entry_price = entry_price if signed_size else ZERO

    def apply_fill(self, side: str, size: Decimal, price: Decimal, fee: Decimal) -> None:
        self.fill_count += 1
        self.fees += fee
        if size == 0:
            return
        quantity = size if side == "BUY" else -size
        held = self.position
        if held == 0 or (held > 0) == (quantity > 0):
            total = held + quantity
            self.entry_price = (abs(held) * self.entry_price + size * price) / abs(total)
            self.position = total
            return
        closed = min(size, abs(held))
        direction = 1 if held > 0 else -1
        self.realized += closed * (price - self.entry_price) * direction
        total = held + quantity
        if total == 0:
            self.entry_price = ZERO
        elif (total > 0) != (held > 0):
            self.entry_price = price  # flipped: the remainder opened at this fill
        self.position = total

"""Subaccount balances, perpetual positions, PnL and margin, in exact integers.

USDC is held in quote quantums (1e-6 USDC) and may go negative: on dYdX a long position is
bought on credit, and equity = USDC + sum(position size x oracle price). A fill moves the
signed notional and the fee out of (or into) the USDC balance and changes the position.
Realized PnL is booked on the closing part of a fill against the average entry price.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import ROUND_CEILING, Decimal

from tui_app.devnet.markets import MarketParams
from tui_app.devnet.types import PerpetualPosition, Side, Subaccount, SubaccountId


class Ledger:
    def __init__(self) -> None:
        self._subaccounts: dict[SubaccountId, Subaccount] = {}

    def get(self, subaccount_id: SubaccountId) -> Subaccount | None:
        return self._subaccounts.get(subaccount_id)

    def get_or_create(self, subaccount_id: SubaccountId) -> Subaccount:
        sub = self._subaccounts.get(subaccount_id)
        if sub is None:
            sub = self._subaccounts[subaccount_id] = Subaccount(id=subaccount_id)
        return sub

    def all(self) -> list[Subaccount]:
        return list(self._subaccounts.values())

    def deposit(self, subaccount_id: SubaccountId, quote_quantums: int) -> Subaccount:
        sub = self.get_or_create(subaccount_id)
        sub.usdc_quantums += quote_quantums
        return sub

    # --- valuation -------------------------------------------------------------------

    @staticmethod
    def position_value(market: MarketParams, quantums: int, oracle: Decimal) -> Decimal:
        """Signed USDC value of a position at the oracle price."""
        return market.quantums_to_size(quantums) * oracle

    def equity(
        self, sub: Subaccount, markets: dict[int, MarketParams], oracles: dict[int, Decimal]
    ) -> Decimal:
        total = Decimal(sub.usdc_quantums).scaleb(-6)
        for perp_id, pos in sub.positions.items():
            if pos.quantums:
                total += self.position_value(markets[perp_id], pos.quantums, oracles[perp_id])
        return total

    def initial_margin(
        self, sub: Subaccount, markets: dict[int, MarketParams], oracles: dict[int, Decimal]
    ) -> Decimal:
        total = Decimal(0)
        for perp_id, pos in sub.positions.items():
            if pos.quantums:
                market = markets[perp_id]
                value = abs(self.position_value(market, pos.quantums, oracles[perp_id]))
                total += value * market.initial_margin_fraction
        return total

    def free_collateral(
        self, sub: Subaccount, markets: dict[int, MarketParams], oracles: dict[int, Decimal]
    ) -> Decimal:
        return self.equity(sub, markets, oracles) - self.initial_margin(sub, markets, oracles)

    def would_stay_collateralized(
        self,
        subaccount_id: SubaccountId,
        market: MarketParams,
        side: Side,
        quantums: int,
        subticks: int,
        markets: dict[int, MarketParams],
        oracles: dict[int, Decimal],
    ) -> bool:
        """The chain's check: after this fill, equity covers initial margin, or risk shrinks."""
        sub = self.get_or_create(subaccount_id)
        before_margin = self.initial_margin(sub, markets, oracles)
        after = _hypothetical(sub, market, side, quantums, subticks)
        after_margin = self.initial_margin(after, markets, oracles)
        if after_margin <= before_margin and after_margin == 0:
            return True
        after_equity = self.equity(after, markets, oracles)
        if after_equity >= after_margin:
            return True
        # Reducing a position is allowed even for an undercollateralized account.
        return after_margin < before_margin and after_equity >= 0

    def usdc_change_result(
        self,
        subaccount_id: SubaccountId,
        quote_delta: int,
        markets: dict[int, MarketParams],
        oracles: dict[int, Decimal],
    ) -> str:
        """The subaccounts module's UpdateResult for moving `quote_delta` USDC in or out
        (a deposit, withdrawal or transfer): the result must cover initial margin, unless
        money only comes in. "Success", "NewlyUndercollateralized" or
        "StillUndercollateralized", the names the chain prints."""
        if quote_delta >= 0:
            return "Success"
        sub = self.get(subaccount_id) or Subaccount(id=subaccount_id)
        margin = self.initial_margin(sub, markets, oracles)
        equity = self.equity(sub, markets, oracles)
        if equity + Decimal(quote_delta).scaleb(-6) >= margin:
            return "Success"
        return "StillUndercollateralized" if equity < margin else "NewlyUndercollateralized"

    # --- fills -------------------------------------------------------------------------

    def apply_fill(
        self,
        subaccount_id: SubaccountId,
        market: MarketParams,
        side: Side,
        quantums: int,
        subticks: int,
        fee_quote: int,
        event_id: bytes,
        height: int,
        time: datetime,
    ) -> tuple[Subaccount, PerpetualPosition]:
        sub = self.get_or_create(subaccount_id)
        quote = market.quote_quantums(quantums, subticks)
        sub.usdc_quantums -= side.sign * quote + fee_quote
        sub.updated_height = height
        pos = sub.positions.get(market.perpetual_id)
        if pos is None or pos.quantums == 0:
            pos = PerpetualPosition(
                perpetual_id=market.perpetual_id,
                open_event_id=event_id,
                opened_height=height,
                opened_at=time,
            )
            sub.positions[market.perpetual_id] = pos
        before = pos.quantums
        _trade_into_position(pos, side.sign * quantums, quote, quantums)
        if before and pos.quantums and (before > 0) != (pos.quantums > 0):
            # A flip closes the old position and opens a new one with this fill.
            pos.open_event_id, pos.opened_height, pos.opened_at = event_id, height, time
        if pos.quantums == 0:
            pos.closed_height = height
            pos.closed_at = time
        return sub, pos


def fee_quote_quantums(quote: int, rate: Decimal) -> int:
    """Fee in quote quantums: a charge rounds up, a rebate (negative rate) rounds toward zero."""
    # Ceiling rounds a charge up and a (negative) rebate toward zero: never in the
    # trader's favour, as on the chain.
    return int((Decimal(quote) * rate).to_integral_value(rounding=ROUND_CEILING))


def _trade_into_position(pos: PerpetualPosition, delta: int, quote: int, quantums: int) -> None:
    """Apply a signed size change bought/sold for `quote` to the position's aggregates."""
    old = pos.quantums
    if old == 0 or (old > 0) == (delta > 0):
        pos.entry_quote += quote
        pos.sum_open_quantums += quantums
        pos.quantums = old + delta
    else:
        closing = min(abs(delta), abs(old))
        # Cost basis of the closed part, pro rata (integer division keeps it exact enough:
        # at most one quote quantum of rounding, which the chain also has).
        basis = pos.entry_quote * closing // abs(old)
        proceeds = quote * closing // quantums
        direction = 1 if old > 0 else -1
        pos.realized_pnl_quote += direction * (proceeds - basis)
        pos.entry_quote -= basis
        pos.sum_close_quantums += closing
        pos.exit_quote_sum += proceeds
        pos.quantums = old + delta
        opening = abs(delta) - closing
        if opening:
            # The fill flipped the position: the rest opens a new one at the fill price.
            pos.entry_quote = quote - proceeds
            pos.sum_open_quantums = opening
            pos.sum_close_quantums = 0
            pos.exit_quote_sum = 0
            pos.realized_pnl_quote = 0
    pos.max_quantums = max(pos.max_quantums, abs(pos.quantums))


def _hypothetical(
    sub: Subaccount, market: MarketParams, side: Side, quantums: int, subticks: int
) -> Subaccount:
    """A copy of the subaccount as it would be after a fill (for margin checks only)."""
    positions = {k: replace(v) for k, v in sub.positions.items()}
    copy = Subaccount(id=sub.id, usdc_quantums=sub.usdc_quantums, positions=positions)
    quote = market.quote_quantums(quantums, subticks)
    copy.usdc_quantums -= side.sign * quote
    pos = copy.positions.setdefault(
        market.perpetual_id, PerpetualPosition(perpetual_id=market.perpetual_id)
    )
    pos.quantums += side.sign * quantums
    return copy


def entry_price(market: MarketParams, pos: PerpetualPosition) -> Decimal:
    """Average entry price of the open size (0 when flat)."""
    if pos.quantums == 0:
        return Decimal(0)
    size = market.quantums_to_size(abs(pos.quantums))
    return Decimal(pos.entry_quote).scaleb(-6) / size


def unrealized_pnl(market: MarketParams, pos: PerpetualPosition, oracle: Decimal) -> Decimal:
    if pos.quantums == 0:
        return Decimal(0)
    value = market.quantums_to_size(pos.quantums) * oracle
    basis = Decimal(pos.entry_quote).scaleb(-6)
    return value - basis if pos.quantums > 0 else value + basis

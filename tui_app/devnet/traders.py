"""Synthetic market participants that keep the devnet's markets alive.

A market maker per market keeps a small ladder of short-term quotes around the oracle
price, refreshed every few blocks; a taker now and then sends an IOC order that crosses
the spread. A user's order priced inside the makers' quotes is therefore filled sometimes,
and partly when the taker is smaller. Everything draws from one seeded `random.Random`,
so a devnet started with the same seed trades the same way.

The synthetic accounts never sign: their orders enter the memclob directly, as if a
(correctly signed) transaction of theirs had arrived.
"""

from __future__ import annotations

import logging
import random
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from tui_app.devnet.accounts import synthetic_address
from tui_app.devnet.errors import ChainError
from tui_app.devnet.markets import MarketParams
from tui_app.devnet.params import FLAG_SHORT_TERM
from tui_app.devnet.types import Order, OrderId, Side, SubaccountId, TimeInForce

if TYPE_CHECKING:
    from tui_app.devnet.chain import Chain

log = logging.getLogger(__name__)

SYNTHETIC_USDC = Decimal(1_000_000_000)
LEVELS_PER_SIDE = 3
LEVEL_SPACING = Decimal("0.0005")  # 5 bps between quote levels
REFRESH_EVERY_BLOCKS = 5
TAKER_PROBABILITY = Decimal("0.3")  # per market per block
TAKER_CROSS = Decimal("0.01")  # a taker accepts up to 1% from the oracle price


class SyntheticTraders:
    def __init__(self, chain: Chain, rng: random.Random) -> None:
        self.chain = chain
        self.rng = rng
        self._client_id = 0
        self.makers: dict[int, SubaccountId] = {}
        self.taker = SubaccountId(synthetic_address(chain.seed, 0), 0)
        chain.fund(self.taker.owner, SYNTHETIC_USDC)
        for index, clob_pair_id in enumerate(sorted(chain.markets), start=1):
            maker = SubaccountId(synthetic_address(chain.seed, index), 0)
            chain.fund(maker.owner, SYNTHETIC_USDC)
            self.makers[clob_pair_id] = maker

    def on_block(self, height: int) -> None:
        """Act at the start of block `height` (before it commits)."""
        for clob_pair_id, market in sorted(self.chain.markets.items()):
            if height % REFRESH_EVERY_BLOCKS == 1 or not self._has_quotes(clob_pair_id):
                self._requote(market, height)
            if Decimal(self.rng.randint(0, 999)) / 1000 < TAKER_PROBABILITY:
                self._take(market, height)

    def _has_quotes(self, clob_pair_id: int) -> bool:
        maker = self.makers[clob_pair_id]
        book = self.chain.clob.engine.books[clob_pair_id]
        return any(o.order_id.subaccount == maker for o in book.orders())

    def _requote(self, market: MarketParams, height: int) -> None:
        oracle = self.chain.oracle_price(market.clob_pair_id)
        maker = self.makers[market.clob_pair_id]
        # Quotes live one block longer than the refresh period, so the book never empties.
        good_til_block = height + REFRESH_EVERY_BLOCKS
        for level in range(1, LEVELS_PER_SIDE + 1):
            offset = LEVEL_SPACING * level
            for side, price in (
                (Side.BUY, oracle * (1 - offset)),
                (Side.SELL, oracle * (1 + offset)),
            ):
                rounding = ROUND_FLOOR if side is Side.BUY else ROUND_CEILING
                subticks = _to_subticks(market, price, rounding)
                quantums = self._random_size(market, price, Decimal(2_000), Decimal(20_000))
                self._submit(maker, market, side, quantums, subticks, good_til_block)

    def _take(self, market: MarketParams, height: int) -> None:
        oracle = self.chain.oracle_price(market.clob_pair_id)
        side = Side.BUY if self.rng.randint(0, 1) else Side.SELL
        if side is Side.BUY:
            subticks = _to_subticks(market, oracle * (1 + TAKER_CROSS), ROUND_CEILING)
        else:
            subticks = _to_subticks(market, oracle * (1 - TAKER_CROSS), ROUND_FLOOR)
        quantums = self._random_size(market, oracle, Decimal(500), Decimal(15_000))
        self._submit(self.taker, market, side, quantums, subticks, height, TimeInForce.IOC)

    def _submit(
        self,
        subaccount: SubaccountId,
        market: MarketParams,
        side: Side,
        quantums: int,
        subticks: int,
        good_til_block: int,
        time_in_force: TimeInForce = TimeInForce.UNSPECIFIED,
    ) -> None:
        self._client_id += 1
        order = Order(
            order_id=OrderId(subaccount, self._client_id, FLAG_SHORT_TERM, market.clob_pair_id),
            side=side,
            quantums=quantums,
            subticks=subticks,
            good_til_block=good_til_block,
            time_in_force=time_in_force,
        )
        try:
            self.chain.clob.place_short_term(order, txhash="")
        except ChainError as exc:
            log.debug("synthetic order refused: %s", exc.raw_log)

    def _random_size(self, market: MarketParams, price: Decimal, low: Decimal, high: Decimal) -> int:
        """A random size worth between `low` and `high` USDC, in whole steps."""
        notional = low + (high - low) * Decimal(self.rng.randint(0, 1000)) / 1000
        steps = int(market.size_to_quantums(notional / price)) // market.step_base_quantums
        return max(steps, 1) * market.step_base_quantums


def _to_subticks(market: MarketParams, price: Decimal, rounding: str) -> int:
    ticks = (market.price_to_subticks(price) / market.subticks_per_tick).to_integral_value(
        rounding=rounding
    )
    return max(int(ticks), 1) * market.subticks_per_tick

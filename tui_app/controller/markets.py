"""Market parameters for validation and quantization, with a fresh-enough oracle price."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from tui_app.chain.quantize import MarketSpec
from tui_app.controller.errors import InvalidOrder
from tui_app.controller.indexer import IndexerReader
from tui_app.models import PerpetualMarket

TRADABLE_STATUSES = frozenset({"ACTIVE"})


@dataclass(frozen=True)
class MarketInfo:
    spec: MarketSpec
    clob_pair_id: int
    status: str
    oracle_price: Decimal | None
    initial_margin_fraction: Decimal | None

    @property
    def ticker(self) -> str:
        return self.spec.ticker

    @classmethod
    def from_model(cls, ticker: str, m: PerpetualMarket) -> MarketInfo:
        needed = {
            "atomicResolution": m.atomic_resolution,
            "quantumConversionExponent": m.quantum_conversion_exponent,
            "stepBaseQuantums": m.step_base_quantums,
            "subticksPerTick": m.subticks_per_tick,
            "clobPairId": m.clob_pair_id,
        }
        missing = [name for name, value in needed.items() if value is None]
        if missing:
            raise InvalidOrder("market", f"{ticker}: the indexer gave no {', '.join(missing)}")
        spec = MarketSpec(
            ticker=ticker,
            atomic_resolution=int(m.atomic_resolution),  # type: ignore[arg-type]
            quantum_conversion_exponent=int(m.quantum_conversion_exponent),  # type: ignore[arg-type]
            step_base_quantums=int(m.step_base_quantums),  # type: ignore[arg-type]
            subticks_per_tick=int(m.subticks_per_tick),  # type: ignore[arg-type]
        )
        return cls(
            spec=spec,
            clob_pair_id=int(m.clob_pair_id),  # type: ignore[arg-type]
            status=(m.status or "ACTIVE").upper(),
            oracle_price=m.oracle_price,
            initial_margin_fraction=m.initial_margin_fraction,
        )


class MarketsSource(Protocol):
    async def market(self, ticker: str, *, fresh_price: bool = False) -> MarketInfo: ...

    async def by_clob_pair(self, clob_pair_id: int) -> MarketInfo | None: ...


class LiveMarkets(Protocol):
    """E.g. the feed's AccountState: markets kept current by the WebSocket."""

    @property
    def markets(self) -> Mapping[str, PerpetualMarket]: ...


class IndexerMarkets:
    """Markets from the indexer's REST API, cached; prices refreshed when older than
    `max_price_age` seconds. With `live`, its markets are used first (no request)."""

    def __init__(
        self,
        reader: IndexerReader,
        *,
        live: LiveMarkets | None = None,
        max_price_age: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reader = reader
        self.live = live
        self.max_price_age = max_price_age
        self._clock = clock
        self._cache: dict[str, PerpetualMarket] = {}
        self._fetched_at: float | None = None

    async def market(self, ticker: str, *, fresh_price: bool = False) -> MarketInfo:
        if self.live is not None and ticker in self.live.markets:
            return MarketInfo.from_model(ticker, self.live.markets[ticker])
        stale = self._fetched_at is None or (
            fresh_price and self._clock() - self._fetched_at > self.max_price_age
        )
        if stale or ticker not in self._cache:
            await self._refresh()
        model = self._cache.get(ticker)
        if model is None:
            known = ", ".join(sorted(self._cache)[:8])
            raise InvalidOrder("market", f"no market {ticker!r} on this network (e.g. {known})")
        return MarketInfo.from_model(ticker, model)

    async def by_clob_pair(self, clob_pair_id: int) -> MarketInfo | None:
        if self._fetched_at is None:
            await self._refresh()
        for ticker, model in self._cache.items():
            if model.clob_pair_id is not None and int(model.clob_pair_id) == clob_pair_id:
                return MarketInfo.from_model(ticker, model)
        return None

    async def _refresh(self) -> None:
        self._cache = await self.reader.markets()
        self._fetched_at = self._clock()

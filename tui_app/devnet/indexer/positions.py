"""The indexer's perpetual positions: one record per opened position, kept after it closes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from tui_app.devnet.markets import MarketParams
from tui_app.devnet.types import PerpetualPosition, SubaccountId

from . import ids
from .render import dec, iso, usdc


@dataclass
class PositionRecord:
    subaccount: SubaccountId
    market: MarketParams
    position: PerpetualPosition  # the latest copy from the chain
    # Side and entry price survive the close (the chain zeroes its aggregates on close).
    side: str = "LONG"
    entry_price: Decimal = Decimal(0)

    @classmethod
    def create(
        cls, subaccount: SubaccountId, market: MarketParams, position: PerpetualPosition
    ) -> PositionRecord:
        record = cls(subaccount, market, replace(position))
        record.update(position)
        return record

    def update(self, position: PerpetualPosition) -> None:
        self.position = replace(position)
        if position.quantums:
            self.side = "LONG" if position.quantums > 0 else "SHORT"
            size = self.market.quantums_to_size(abs(position.quantums))
            self.entry_price = Decimal(position.entry_quote).scaleb(-6) / size

    @property
    def id(self) -> str:
        subaccount_id = ids.subaccount_uuid_of(self.subaccount)
        return ids.perpetual_position_uuid(
            subaccount_id, ids.event_id_hex(self.position.open_event_id)
        )

    @property
    def is_open(self) -> bool:
        return self.position.quantums != 0

    @property
    def status(self) -> str:
        return "OPEN" if self.is_open else "CLOSED"

    def unrealized_pnl(self, oracle_price: Decimal) -> Decimal:
        pos = self.position
        if not pos.quantums:
            return Decimal(0)
        value = self.market.quantums_to_size(pos.quantums) * oracle_price
        basis = Decimal(pos.entry_quote).scaleb(-6)
        return value - basis if pos.quantums > 0 else value + basis

    def exit_price(self) -> str | None:
        pos = self.position
        if not pos.sum_close_quantums:
            return None
        size = self.market.quantums_to_size(pos.sum_close_quantums)
        return dec(Decimal(pos.exit_quote_sum).scaleb(-6) / size)

    # ---- shapes ------------------------------------------------------------------------

    def _common(self, oracle_price: Decimal) -> dict:
        pos = self.position
        return {
            "market": self.market.ticker,
            "status": self.status,
            "side": self.side,
            "size": dec(self.market.quantums_to_size(pos.quantums)),  # signed
            "maxSize": dec(self.market.quantums_to_size(pos.max_quantums)),
            "entryPrice": dec(self.entry_price),
            "exitPrice": self.exit_price(),
            "realizedPnl": usdc(pos.realized_pnl_quote),
            "unrealizedPnl": dec(self.unrealized_pnl(oracle_price)),
            "sumOpen": dec(self.market.quantums_to_size(pos.sum_open_quantums)),
            "sumClose": dec(self.market.quantums_to_size(pos.sum_close_quantums)),
            # The devnet has no funding payments.
            "netFunding": "0",
            "subaccountNumber": self.subaccount.number,
        }

    def rest_object(self, oracle_price: Decimal) -> dict:
        pos = self.position
        body = self._common(oracle_price)
        body["createdAt"] = iso(pos.opened_at) if pos.opened_at else None
        body["createdAtHeight"] = str(pos.opened_height)
        body["closedAt"] = iso(pos.closed_at) if pos.closed_at and not self.is_open else None
        return body

    def ws_object(self, oracle_price: Decimal) -> dict:
        body = self._common(oracle_price)
        body["address"] = self.subaccount.owner
        body["positionId"] = self.id
        return body

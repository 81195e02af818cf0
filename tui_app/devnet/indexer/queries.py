"""Account lists shared by the subaccount and parent-subaccount REST routes.

Each takes the subaccounts to read (one, or a parent's children) and returns comlink's
response objects newest first; a parent's lists merge its children's in one order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tui_app.devnet.types import SubaccountId

from .params import Params, error_item
from .render import dec, fill_rest

# The keys of comlink's PnlTicksResponseObject (the store's ticks also keep their ids).
PNL_KEYS = ("equity", "totalPnl", "netTransfers", "createdAt", "blockHeight", "blockTime")


@dataclass(frozen=True, slots=True)
class FillsQuery:
    """The filters of `/v4/fills` and its parent variant, read as comlink reads them."""

    market: str | None
    limit: int
    before_height: int | None
    before: datetime | None
    page: int | None

    @classmethod
    def read(cls, params: Params, market: str | None) -> FillsQuery:
        market_type = params.choice("marketType", ("PERPETUAL", "SPOT"))
        if (market is None) != (market_type is None):
            params.errors.append(
                error_item("market", market, "market and marketType must be provided together")
            )
        return cls(
            market=market,
            limit=params.limit(),
            before_height=params.integer("createdBeforeOrAtHeight", 0, 2**63),
            before=params.timestamp("createdBeforeOrAt"),
            page=params.integer("page", 1, 2**31),
        )


def paginate(key: str, items: list, limit: int, page: int | None) -> dict:
    """comlink adds pageSize/totalResults/offset only when `page` is given."""
    if page is None:
        return {key: items[:limit]}
    offset = (page - 1) * limit
    return {
        key: items[offset : offset + limit],
        "pageSize": limit,
        "totalResults": len(items),
        "offset": offset,
    }


def fill_objects(
    store: Any,
    sids: list[SubaccountId],
    before_height: int | None = None,
    before: datetime | None = None,
    market: str | None = None,
) -> list[dict]:
    """REST fills, newest first (by event id: block, transaction, event)."""
    fills = [
        f
        for sid in sids
        for f in store.fills.get(sid, [])
        if (before_height is None or f.height <= before_height)
        and (before is None or f.time <= before)
    ]
    fills.sort(key=lambda f: (f.event_id, f.is_taker), reverse=True)
    rendered = []
    for fill in fills:
        params = store.market_by_clob(fill.clob_pair_id).params
        if market is None or params.ticker == market:
            rendered.append(fill_rest(fill, params))
    return rendered


def position_objects(
    store: Any,
    sids: list[SubaccountId],
    statuses: list[str] | None = None,
    limit: int = 1000,
    before_height: int | None = None,
    before: datetime | None = None,
) -> list[dict]:
    """REST perpetual positions, newest opened first."""
    records = [
        r
        for sid in sids
        for r in store.position_records(sid)
        if (statuses is None or r.status in statuses)
        and (before_height is None or r.position.opened_height <= before_height)
        and (before is None or (r.position.opened_at and r.position.opened_at <= before))
    ]
    records.sort(key=lambda r: r.position.open_event_id, reverse=True)
    return [r.rest_object(store.oracle_price(r.market.ticker)) for r in records[:limit]]


def pnl_ticks(
    store: Any,
    sids: list[SubaccountId],
    before_height: int | None = None,
    before: datetime | None = None,
    after_height: int | None = None,
    after: datetime | None = None,
) -> list[dict]:
    """The stored pnl ticks in the window, highest block first."""

    def keep(tick: dict) -> bool:
        height = int(tick["blockHeight"])
        created = datetime.fromisoformat(tick["createdAt"].replace("Z", "+00:00"))
        return (
            (before_height is None or height <= before_height)
            and (after_height is None or height >= after_height)
            and (before is None or created <= before)
            and (after is None or created >= after)
        )

    ticks = [t for sid in sids for t in store.pnl_ticks.get(sid, []) if keep(t)]
    ticks.sort(key=lambda t: int(t["blockHeight"]), reverse=True)
    return ticks


def pnl_object(tick: dict) -> dict:
    return {key: tick[key] for key in PNL_KEYS}


def aggregate_hourly(ticks: list[dict]) -> list[dict]:
    """comlink's aggregateHourlyPnlTicks: per hour of `createdAt`, the first tick met plus
    the equity, totalPnl and netTransfers of each other subaccount's first tick that hour."""
    hours: dict[str, dict] = {}
    seen: dict[str, set[str]] = {}
    for tick in ticks:
        hour = tick["createdAt"][:13]  # "2026-01-01T05"
        if hour not in hours:
            hours[hour] = dict(tick)
            seen[hour] = {tick["subaccountId"]}
            continue
        if tick["subaccountId"] in seen[hour]:
            continue
        seen[hour].add(tick["subaccountId"])
        total = hours[hour]
        for key in ("equity", "totalPnl", "netTransfers"):
            total[key] = dec(Decimal(total[key]) + Decimal(tick[key]))
    return list(hours.values())

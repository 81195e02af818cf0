"""Models of the indexer REST answers the app reads (protocol notes 2), for the feed's
polling fallback. They reuse the WebSocket object models: the shapes are the same, except
that REST fills name the market `market` (Fill accepts both)."""

from __future__ import annotations

from pydantic import TypeAdapter

from tui_app.models.indexer import (
    BlockHeightSnapshot,
    Fill,
    IndexerModel,
    IndexerOrder,
    MarketsSnapshot,
    PerpetualPosition,
    Subaccount,
)


class SubaccountResponse(IndexerModel):
    """GET /v4/addresses/{address}/subaccountNumber/{n}"""

    subaccount: Subaccount


class FillsResponse(IndexerModel):
    """GET /v4/fills"""

    fills: tuple[Fill, ...] = ()


class PerpetualPositionsResponse(IndexerModel):
    """GET /v4/perpetualPositions"""

    positions: tuple[PerpetualPosition, ...] = ()


ORDERS_RESPONSE: TypeAdapter[list[IndexerOrder]] = TypeAdapter(list[IndexerOrder])
"""GET /v4/orders answers a bare JSON array."""

MarketsResponse = MarketsSnapshot
"""GET /v4/perpetualMarkets"""

HeightResponse = BlockHeightSnapshot
"""GET /v4/height: {"height": "N", "time": "ISO"}"""

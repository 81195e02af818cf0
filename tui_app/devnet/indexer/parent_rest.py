"""comlink's parent-subaccount REST routes: a parent's children read as one account.

`/v4/addresses/{a}/parentSubaccountNumber/{p}`, and `parentSubaccountNumber` variants of
`/v4/orders`, `/v4/fills`, `/v4/perpetualPositions`, `/v4/assetPositions` and
`/v4/historical-pnl` (address and parentSubaccountNumber < 128 in the query). Each list
merges the children's; every item keeps its child's `subaccountNumber`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tui_app.devnet.accounts import is_valid_address
from tui_app.devnet.types import SubaccountId

from .order_query import OrderQuery
from .params import ParamError, Params, error_item, missing_item
from .parents import PARENT_NUMBER_MESSAGE, parse_parent_number
from .queries import (
    FillsQuery,
    aggregate_hourly,
    fill_objects,
    paginate,
    pnl_object,
    pnl_ticks,
    position_objects,
)

ADDRESS_MESSAGE = "address must be a valid dydx address"


def parent_params(params: Params) -> tuple[str, int]:
    """address and parentSubaccountNumber from the query (errors collected)."""
    address = params.address()
    raw = params.query.get("parentSubaccountNumber")
    parent = parse_parent_number(raw)
    if raw is None:
        params.errors.append(missing_item("parentSubaccountNumber", PARENT_NUMBER_MESSAGE))
    elif parent is None:
        params.errors.append(error_item("parentSubaccountNumber", raw, PARENT_NUMBER_MESSAGE))
    return address, parent if parent is not None else 0


class ParentRoutes:
    def __init__(self, store: Any, not_found) -> None:
        self.store = store
        self.not_found = not_found

    def add_to(self, router: web.UrlDispatcher) -> None:
        """Register the routes (before `/v4/orders/{order_id}`, which would match one)."""
        get = router.add_get
        get("/v4/addresses/{address}/parentSubaccountNumber/{number}", self.subaccount)
        get("/v4/orders/parentSubaccountNumber", self.orders)
        get("/v4/fills/parentSubaccountNumber", self.fills)
        get("/v4/perpetualPositions/parentSubaccountNumber", self.perpetual_positions)
        get("/v4/assetPositions/parentSubaccountNumber", self.asset_positions)
        get("/v4/historical-pnl/parentSubaccountNumber", self.historical_pnl)

    # ---- parameters --------------------------------------------------------------------

    def _children(self, address: str, parent: int) -> list[SubaccountId]:
        return self.store.child_subaccount_ids(address, parent)

    # ---- routes ------------------------------------------------------------------------

    async def subaccount(self, request: web.Request) -> web.Response:
        address = request.match_info["address"]
        raw = request.match_info["number"]
        parent = parse_parent_number(raw)
        errors = []
        if not is_valid_address(address):
            errors.append(error_item("address", address, ADDRESS_MESSAGE, "params"))
        if parent is None:
            errors.append(
                error_item("parentSubaccountNumber", raw, PARENT_NUMBER_MESSAGE, "params")
            )
        if errors:
            raise ParamError(errors)
        body = self.store.parent_subaccount_object(address, parent)
        if body is None:
            raise self.not_found(
                f"No subaccounts found for address {address} and parentSubaccountNumber {parent}"
            )
        return web.json_response({"subaccount": body})

    async def orders(self, request: web.Request) -> web.Response:
        """`/v4/orders` over every child, merged and sorted as one list."""
        params = Params(request.query)
        address, parent = parent_params(params)
        query = OrderQuery.parse(params)
        params.check()
        records = [
            r for sid in self._children(address, parent) for r in self.store.order_records(sid)
        ]
        return web.json_response([r.rest_object() for r in query.apply(records)])

    async def fills(self, request: web.Request) -> web.Response:
        """comlink checks market/marketType here but does not filter by them."""
        params = Params(request.query)
        address, parent = parent_params(params)
        query = FillsQuery.read(params, request.query.get("market"))
        params.check()
        children = self._children(address, parent)
        fills = fill_objects(self.store, children, query.before_height, query.before)
        return web.json_response(paginate("fills", fills, query.limit, query.page))

    async def perpetual_positions(self, request: web.Request) -> web.Response:
        params = Params(request.query)
        address, parent = parent_params(params)
        statuses = params.choices("status", ("OPEN", "CLOSED", "LIQUIDATED"))
        limit = params.limit()
        before_height = params.integer("createdBeforeOrAtHeight", 0, 2**63)
        before = params.timestamp("createdBeforeOrAt")
        params.check()
        positions = position_objects(
            self.store, self._children(address, parent), statuses, limit, before_height, before
        )
        return web.json_response({"positions": positions})

    async def asset_positions(self, request: web.Request) -> web.Response:
        params = Params(request.query)
        address, parent = parent_params(params)
        params.check()
        positions = [
            p for sid in self._children(address, parent) for p in self.store.asset_positions(sid)
        ]
        return web.json_response({"positions": positions})

    async def historical_pnl(self, request: web.Request) -> web.Response:
        """The children's ticks, highest block first, cut to `limit`, then summed per hour
        (comlink aggregates after the limit)."""
        params = Params(request.query)
        address, parent = parent_params(params)
        limit = params.limit()
        before_height = params.integer("createdBeforeOrAtHeight", 0, 2**63)
        before = params.timestamp("createdBeforeOrAt")
        after_height = params.integer("createdOnOrAfterHeight", 0, 2**63)
        after = params.timestamp("createdOnOrAfter")
        params.integer("page", 1, 2**31)
        params.check()
        children = self._children(address, parent)
        if not children:
            raise self.not_found(
                f"No subaccounts found with address {address} and parentSubaccountNumber {parent}"
            )
        ticks = pnl_ticks(self.store, children, before_height, before, after_height, after)
        hourly = aggregate_hourly(ticks[:limit])
        return web.json_response({"historicalPnl": [pnl_object(t) for t in hourly]})

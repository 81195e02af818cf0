"""comlink's transfers routes (`transfers-controller.ts`).

- `/v4/transfers?address=&subaccountNumber=` (+ `limit`, `createdBeforeOrAtHeight`,
  `createdBeforeOrAt`, `page`): `{"transfers": [...]}` newest first, plus `pageSize`,
  `totalResults` and `offset` when `page` is given; 404 without the subaccount.
- `/v4/transfers/parentSubaccountNumber?address=&parentSubaccountNumber=`: the children's
  transfers, less those between two children of the parent, with parent numbers for the
  sides; 404 when the parent has no child.
- `/v4/transfers/between?sourceAddress=&sourceSubaccountNumber=&recipientAddress=
  &recipientSubaccountNumber=`: `{"transfersSubset": [...], "totalNetTransfers": "..."}`,
  transfers either way between the two (types from the source's view, at most 1000), and
  the net USDC sent from source to recipient over all time (the date filters do not apply
  to it, as in comlink).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from tui_app.devnet.types import SubaccountId

from .params import MAX_LIMIT, Params, error_item, missing_item
from .parent_rest import parent_params
from .parents import parse_js_int
from .queries import paginate
from .render import dec
from .transfers import TransferRecord

# transferBetweenSchemaRecord's message, for either number.
BETWEEN_NUMBER_MESSAGE = "subaccountNumber must be a non-negative integer less than 128001"


class TransferRoutes:
    def __init__(self, store: Any, not_found) -> None:
        self.store = store
        self.not_found = not_found

    def add_to(self, router: web.UrlDispatcher) -> None:
        get = router.add_get
        get("/v4/transfers", self.transfers)
        get("/v4/transfers/parentSubaccountNumber", self.parent_transfers)
        get("/v4/transfers/between", self.between)

    @staticmethod
    def _window(params: Params) -> tuple[int, int | None, Any, int | None]:
        limit = params.limit()
        before_height = params.integer("createdBeforeOrAtHeight", 0, 2**63)
        before = params.timestamp("createdBeforeOrAt")
        page = params.integer("page", 1, 2**31)
        return limit, before_height, before, page

    @staticmethod
    def _in_window(record: TransferRecord, before_height, before) -> bool:
        return (before_height is None or record.height <= before_height) and (
            before is None or record.time <= before
        )

    async def transfers(self, request: web.Request) -> web.Response:
        params = Params(request.query)
        sid = SubaccountId(params.address(), params.subaccount_number())
        limit, before_height, before, page = self._window(params)
        params.check()
        if not self.store.has_subaccount(sid):
            raise self.not_found(
                f"No subaccount found with address {sid.owner} and subaccountNumber {sid.number}"
            )
        records = [
            r
            for r in self.store.transfer_records([sid])
            if self._in_window(r, before_height, before)
        ]
        body = paginate("transfers", [r.rest_object(sid) for r in records], limit, page)
        return web.json_response(body)

    async def parent_transfers(self, request: web.Request) -> web.Response:
        params = Params(request.query)
        address, parent = parent_params(params)
        limit, before_height, before, page = self._window(params)
        params.check()
        children = self.store.child_subaccount_ids(address, parent)
        if not children:
            raise self.not_found(
                f"No subaccount found with address {address} and parentSubaccountNumber {parent}"
            )
        records = [
            r
            for r in self.store.transfer_records(children)
            if self._in_window(r, before_height, before) and not r.between_same_parent()
        ]
        objects = [r.parent_rest_object(address, parent) for r in records]
        return web.json_response(paginate("transfers", objects, limit, page))

    async def between(self, request: web.Request) -> web.Response:
        params = Params(request.query)
        source = self._between_side(params, "source")
        recipient = self._between_side(params, "recipient")
        before_height = params.integer("createdBeforeOrAtHeight", 0, 2**63)
        before = params.timestamp("createdBeforeOrAt")
        params.check()
        pair = {source, recipient}
        both_ways = [
            r
            for r in self.store.transfer_records([source])
            if {r.sender_subaccount, r.recipient_subaccount} == pair
        ]
        subset = [r for r in both_ways if self._in_window(r, before_height, before)]
        net = sum(
            (r.quantums if r.sender_subaccount == source else -r.quantums for r in both_ways), 0
        )
        return web.json_response(
            {
                "transfersSubset": [r.rest_object(source) for r in subset[:MAX_LIMIT]],
                "totalNetTransfers": dec(Decimal(net).scaleb(-6)),
            }
        )

    @staticmethod
    def _between_side(params: Params, side: str) -> SubaccountId:
        """`{side}Address` (any string: comlink checks only isString) and
        `{side}SubaccountNumber` (0..128000)."""
        address_name, number_name = f"{side}Address", f"{side}SubaccountNumber"
        address = params.query.get(address_name)
        if address is None:
            params.errors.append(missing_item(address_name, "Invalid value"))
        raw = params.query.get(number_name)
        number = parse_js_int(raw, 128_001)
        if raw is None:
            params.errors.append(missing_item(number_name, BETWEEN_NUMBER_MESSAGE))
        elif number is None:
            params.errors.append(error_item(number_name, raw, BETWEEN_NUMBER_MESSAGE))
        return SubaccountId(address or "", number or 0)

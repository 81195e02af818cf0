"""The indexer's REST API (dYdX's `comlink`), the subset a trading client reads.

aiohttp serves it on its own port, on the devnet's event loop. Shapes, 400/404 bodies and
rate-limit headers follow comlink (see docs/protocol notes, section 2); the real
`dydx_v4_client` IndexerClient works against it unchanged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tui_app.devnet.accounts import is_valid_address
from tui_app.devnet.types import SubaccountId

from .candles import RESOLUTIONS
from .order_query import OrderQuery
from .params import (
    MAX_SUBACCOUNT_NUMBER,
    ParamError,
    Params,
    error_item,
    missing_item,
    parse_iso8601,
)
from .parent_rest import ParentRoutes
from .queries import (
    FillsQuery,
    fill_objects,
    paginate,
    pnl_object,
    pnl_ticks,
    position_objects,
)
from .ratelimit import RateLimit, RateLimiter
from .render import iso
from .store import IndexerStore
from .transfer_rest import TransferRoutes

log = logging.getLogger(__name__)


TICKER_MESSAGE = "ticker must be a valid ticker (BTC-USD, etc)"
# A JavaScript array in a template string: joined with bare commas.
RESOLUTION_MESSAGE = "resolution must be a valid Candle Resolution, one of " + ",".join(RESOLUTIONS)


def errors_body(msg: str) -> dict:
    return {"errors": [{"msg": msg}]}


def not_found(msg: str) -> web.HTTPException:
    return web.HTTPNotFound(text=_dumps(errors_body(msg)), content_type="application/json")


def _dumps(body: Any) -> str:
    return json.dumps(body)


class RestServer:
    def __init__(
        self,
        store: IndexerStore,
        faults: Any,
        rate_limit: RateLimit | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.faults = faults
        self.clock = clock
        self.limiter = RateLimiter(rate_limit or RateLimit(), clock)
        self.app = web.Application(middlewares=[self._faults_middleware, self._limit_middleware])
        self.parents = ParentRoutes(store, not_found)
        self.transfers = TransferRoutes(store, not_found)
        self._routes()
        self._runner: web.AppRunner | None = None

    # ---- life cycle --------------------------------------------------------------------

    async def start(self, host: str, port: int) -> int:
        # shutdown_timeout: a request hung on purpose (rest_hang) must not delay stop().
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        return self._runner.addresses[0][1]  # the bound port (port 0 picks one)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- middlewares -------------------------------------------------------------------

    @web.middleware
    async def _faults_middleware(self, request: web.Request, handler):
        if self.faults.latency_ms:
            await asyncio.sleep(self.faults.latency_ms / 1000)
        indexer = self.faults.indexer
        if indexer.rest_hang:
            await asyncio.Event().wait()  # until the server stops or the client gives up
        if indexer.rest_status == 429:
            now_ms = int(self.clock() * 1000)
            reset_ms = now_ms + 1000
            headers = {
                "RateLimit-Limit": str(self.limiter.limit.points),
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": str(reset_ms),
                "Retry-After": "1000",
            }
            return web.json_response(errors_body("Too many requests"), status=429, headers=headers)
        if indexer.rest_status is not None:
            return web.json_response(
                errors_body("Internal Server Error"), status=indexer.rest_status
            )
        return await handler(request)

    @web.middleware
    async def _limit_middleware(self, request: web.Request, handler):
        decision = self.limiter.hit(request.remote or "", request.path)
        headers = decision.headers(int(self.clock() * 1000))
        if not decision.allowed:
            return web.json_response(errors_body("Too many requests"), status=429, headers=headers)
        try:
            response = await handler(request)
        except ParamError as exc:
            response = web.json_response(exc.body(), status=400)
        except web.HTTPException as exc:
            if exc.status == 404 and exc.content_type != "application/json":
                exc = web.HTTPNotFound(
                    text=_dumps(errors_body("Not Found")), content_type="application/json"
                )
            exc.headers.update(headers)
            raise exc
        except Exception:
            log.exception("REST handler failed: %s", request.path_qs)
            response = web.json_response(errors_body("Internal Server Error"), status=500)
        response.headers.update(headers)
        return response

    # ---- routes ------------------------------------------------------------------------

    def _routes(self) -> None:
        get = self.app.router.add_get
        get("/v4/height", self.height)
        get("/v4/time", self.time)
        get("/v4/perpetualMarkets", self.perpetual_markets)
        get("/v4/orderbooks/perpetualMarket/{ticker}", self.orderbook)
        get("/v4/trades/perpetualMarket/{ticker}", self.trades)
        get("/v4/candles/perpetualMarkets/{ticker}", self.candles)
        get("/v4/addresses/{address}", self.address)
        get("/v4/addresses/{address}/subaccountNumber/{number}", self.subaccount)
        get("/v4/orders", self.orders)
        # Before /v4/orders/{order_id}, which would take "parentSubaccountNumber" for an id.
        self.parents.add_to(self.app.router)
        get("/v4/orders/{order_id}", self.order)
        get("/v4/fills", self.fills)
        get("/v4/perpetualPositions", self.perpetual_positions)
        get("/v4/assetPositions", self.asset_positions)
        get("/v4/historical-pnl", self.historical_pnl)
        self.transfers.add_to(self.app.router)

    async def height(self, request: web.Request) -> web.Response:
        return web.json_response(self.store.height_object())

    async def time(self, request: web.Request) -> web.Response:
        now = self.clock()
        # The one float of the API: epoch seconds with milliseconds.
        return web.json_response(
            {"iso": iso(datetime.fromtimestamp(now, tz=UTC)), "epoch": round(now, 3)}
        )

    async def perpetual_markets(self, request: web.Request) -> web.Response:
        params = Params(request.query)
        ticker = request.query.get("ticker") or request.query.get("market")
        limit = params.limit()
        params.check()
        if ticker is not None and self.store.market_by_ticker(ticker) is None:
            raise not_found(f"{ticker} not found in markets of type PERPETUAL")
        body = self.store.markets_object(ticker)
        body["markets"] = dict(list(body["markets"].items())[:limit])
        return web.json_response(body)

    def _market(self, request: web.Request):
        ticker = request.match_info["ticker"]
        market = self.store.market_by_ticker(ticker)
        if market is None:
            raise not_found(f"{ticker} not found in markets of type PERPETUAL")
        return market

    async def orderbook(self, request: web.Request) -> web.Response:
        return web.json_response(self._market(request).orderbook_object())

    async def trades(self, request: web.Request) -> web.Response:
        market = self._market(request)
        params = Params(request.query)
        limit = params.limit()
        before_height = params.integer("createdBeforeOrAtHeight", 0, 2**63)
        before = params.timestamp("createdBeforeOrAt")
        page = params.integer("page", 1, 2**31)
        params.check()
        trades = [
            t
            for t in reversed(market.trades)
            if (before_height is None or t.height <= before_height)
            and (before is None or t.time <= before)
        ]
        body = paginate("trades", [market.trade_rest(t) for t in trades], limit, page)
        return web.json_response(body)

    async def candles(self, request: web.Request) -> web.Response:
        """comlink's candles route: limit, ticker, resolution, fromISO/toISO checked in that
        order, every failure listed (a missing resolution fails isString and isIn: two
        items); newest candle first, fromISO inclusive, toISO exclusive."""
        params = Params(request.query)
        limit = params.limit()
        ticker = request.match_info["ticker"]
        if self.store.market_by_ticker(ticker) is None:
            params.errors.append(error_item("ticker", ticker, TICKER_MESSAGE, "params"))
        resolution = request.query.get("resolution")
        if resolution is None:
            params.errors += [missing_item("resolution", RESOLUTION_MESSAGE)] * 2
        elif resolution not in RESOLUTIONS:
            params.errors.append(error_item("resolution", resolution, RESOLUTION_MESSAGE))
        bounds = {}
        for name in ("fromISO", "toISO"):
            raw = request.query.get(name)
            if raw is not None:
                bounds[name] = parse_iso8601(raw)
                if bounds[name] is None:
                    params.errors.append(error_item(name, raw, "Invalid value"))
        params.check()
        body = self.store.candles_object(
            ticker, resolution, limit, bounds.get("fromISO"), bounds.get("toISO")
        )
        return web.json_response(body)

    # ---- accounts ----------------------------------------------------------------------

    def _path_address(self, request: web.Request) -> str:
        address = request.match_info["address"]
        if not is_valid_address(address):
            raise ParamError(
                [error_item("address", address, "address must be a valid dydx address", "params")]
            )
        return address

    async def address(self, request: web.Request) -> web.Response:
        address = self._path_address(request)
        params = Params(request.query)
        limit = params.limit()
        params.check()
        subaccounts = self.store.subaccount_ids(address)[:limit]
        if not subaccounts:
            raise not_found(f"No subaccounts found for address {address}")
        return web.json_response(
            {
                "subaccounts": [self.store.subaccount_object(s) for s in subaccounts],
                "totalTradingRewards": "0",
            }
        )

    async def subaccount(self, request: web.Request) -> web.Response:
        address = self._path_address(request)
        raw = request.match_info["number"]
        if not raw.isdigit() or int(raw) > MAX_SUBACCOUNT_NUMBER:
            raise ParamError(
                [
                    error_item(
                        "subaccountNumber",
                        raw,
                        f"subaccountNumber must be a non-negative integer less than "
                        f"{MAX_SUBACCOUNT_NUMBER}",
                        "params",
                    )
                ]
            )
        sid = SubaccountId(address, int(raw))
        self._require_subaccount(sid)
        return web.json_response({"subaccount": self.store.subaccount_object(sid)})

    def _subaccount_params(self, params: Params) -> SubaccountId:
        address = params.address()
        number = params.subaccount_number()
        return SubaccountId(address, number)

    def _require_subaccount(self, sid: SubaccountId) -> None:
        if not self.store.has_subaccount(sid):
            raise not_found(
                f"No subaccount found with address {sid.owner} and subaccountNumber {sid.number}"
            )

    async def orders(self, request: web.Request) -> web.Response:
        params = Params(request.query)
        sid = self._subaccount_params(params)
        query = OrderQuery.parse(params)
        params.check()
        records = query.apply(self.store.order_records(sid))
        return web.json_response([r.rest_object() for r in records])

    async def order(self, request: web.Request) -> web.Response:
        order_id = request.match_info["order_id"]
        try:
            uuid.UUID(order_id)
        except ValueError:
            raise ParamError(
                [error_item("orderId", order_id, "orderId must be a valid UUID", "params")]
            ) from None
        record = self.store.orders.get(order_id)
        if record is None:
            raise not_found(f"Unable to find order id {order_id}")
        return web.json_response(record.rest_object())

    async def fills(self, request: web.Request) -> web.Response:
        params = Params(request.query)
        sid = self._subaccount_params(params)
        query = FillsQuery.read(params, request.query.get("market"))
        params.check()
        self._require_subaccount(sid)
        fills = fill_objects(self.store, [sid], query.before_height, query.before, query.market)
        return web.json_response(paginate("fills", fills, query.limit, query.page))

    async def perpetual_positions(self, request: web.Request) -> web.Response:
        params = Params(request.query)
        sid = self._subaccount_params(params)
        statuses = params.choices("status", ("OPEN", "CLOSED", "LIQUIDATED"))
        limit = params.limit()
        before_height = params.integer("createdBeforeOrAtHeight", 0, 2**63)
        before = params.timestamp("createdBeforeOrAt")
        params.check()
        self._require_subaccount(sid)
        positions = position_objects(self.store, [sid], statuses, limit, before_height, before)
        return web.json_response({"positions": positions})

    async def asset_positions(self, request: web.Request) -> web.Response:
        params = Params(request.query)
        sid = self._subaccount_params(params)
        params.check()
        self._require_subaccount(sid)
        return web.json_response({"positions": self.store.asset_positions(sid)})

    async def historical_pnl(self, request: web.Request) -> web.Response:
        params = Params(request.query)
        sid = self._subaccount_params(params)
        limit = params.limit()
        before_height = params.integer("createdBeforeOrAtHeight", 0, 2**63)
        before = params.timestamp("createdBeforeOrAt")
        after_height = params.integer("createdOnOrAfterHeight", 0, 2**63)
        after = params.timestamp("createdOnOrAfter")
        page = params.integer("page", 1, 2**31)
        params.check()
        self._require_subaccount(sid)
        ticks = pnl_ticks(self.store, [sid], before_height, before, after_height, after)
        return web.json_response(
            paginate("historicalPnl", [pnl_object(t) for t in ticks], limit, page)
        )

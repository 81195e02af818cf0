"""Fixed data and a fake controller for the UI tests: no network, no clock, no store."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tui_app.controller.errors import ControllerError
from tui_app.controller.requests import (
    CancelAllReport,
    CancelOutcome,
    CancelResult,
    CancelScope,
    PlaceOutcome,
    PlaceRequest,
    ReconcileSummary,
)
from tui_app.models import Fill, IndexerOrder, PerpetualMarket
from tui_app.state import TrackedOrder, derive_status

ADDRESS = "dydx1kzsvkf2ghjqlysuffdkhcdctknl4rsvcx5hkm5"
HEIGHT = 1000


def markets() -> dict[str, PerpetualMarket]:
    # ETH-USD and BTC-USD with the devnet's parameters (step 0.001 ETH, tick 0.1 USD).
    eth = PerpetualMarket.model_validate({
        "ticker": "ETH-USD", "clobPairId": "1", "status": "ACTIVE", "oraclePrice": "2500",
        "initialMarginFraction": "0.05", "maintenanceMarginFraction": "0.03",
        "atomicResolution": -9, "quantumConversionExponent": -9,
        "stepBaseQuantums": 1000000, "subticksPerTick": 100000,
        "stepSize": "0.001", "tickSize": "0.1",
    })
    btc = PerpetualMarket.model_validate({
        "ticker": "BTC-USD", "clobPairId": "0", "status": "ACTIVE", "oraclePrice": "60000",
        "initialMarginFraction": "0.05", "maintenanceMarginFraction": "0.03",
        "atomicResolution": -10, "quantumConversionExponent": -9,
        "stepBaseQuantums": 1000000, "subticksPerTick": 100000,
        "stepSize": "0.0001", "tickSize": "1",
    })
    return {"BTC-USD": btc, "ETH-USD": eth}


def order(n: int, market: str = "ETH-USD", side: str = "BUY", *, size: str = "0.010",
          price: str = "2400", filled: str = "0", status: str = "OPEN", flags: int = 0,
          gtb: int | None = 1015) -> TrackedOrder:
    fields = {
        "id": f"{n:08x}-0000-5000-8000-{n:012x}",
        "clientId": str(1000 + n), "clobPairId": "1" if market == "ETH-USD" else "0",
        "side": side, "size": size, "totalFilled": filled, "price": price, "type": "LIMIT",
        "status": status, "timeInForce": "GTT" if flags else "IOC", "postOnly": False,
        "reduceOnly": False, "orderFlags": str(flags), "ticker": market,
        "clientMetadata": "0", "createdAtHeight": "990",
    }
    if flags == 0 and gtb is not None:
        fields["goodTilBlock"] = str(gtb)
    if flags:
        fields["goodTilBlockTime"] = "2030-01-01T00:00:00.000Z"
    tracked = TrackedOrder(IndexerOrder.model_validate(fields), seen=True)
    tracked.status = derive_status(tracked, HEIGHT)
    return tracked


def open_orders() -> list[TrackedOrder]:
    """Five open orders: three in ETH-USD (two buys, one sell), two in BTC-USD."""
    return [
        order(1, "ETH-USD", "BUY"),
        order(2, "ETH-USD", "BUY", price="2390"),
        order(3, "ETH-USD", "SELL", price="2600", flags=64),
        order(4, "BTC-USD", "BUY", size="0.0010", price="59000"),
        order(5, "BTC-USD", "SELL", size="0.0020", price="61000", filled="0.0005"),
    ]


def fill_of(tracked: TrackedOrder, size: str, price: str, n: int = 1) -> Fill:
    return Fill.model_validate({
        "id": f"f{n:07x}-0000-5000-8000-000000000000", "side": tracked.data.side,
        "liquidity": "MAKER", "type": "LIMIT", "orderId": tracked.id, "size": size,
        "price": price, "fee": "0.01", "ticker": tracked.ticker, "createdAtHeight": "995",
        "createdAt": "2030-01-01T00:00:00.000Z",
    })


class FakeController:
    """Records every call; answers are scripted per test."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self.place_error: ControllerError | None = None
        self.cancel_results: dict[str, CancelResult] = {}  # order id -> result, default cancelled
        self.fail_first_time: set[str] = set()  # ids that fail once, then succeed
        # When set, each call (each order of cancel_all) waits for one token from it.
        self.steps: asyncio.Queue[None] | None = None
        self.cancel_all_error: ControllerError | None = None
        self.progress_style = "outcome"  # like OrderController; "counts": (done, total)
        self.orders: list[TrackedOrder] = []  # the open orders cancel_all sees

    async def _wait(self) -> None:
        if self.steps is not None:
            await self.steps.get()

    async def place(self, request: PlaceRequest) -> PlaceOutcome:
        self.calls.append(("place", request))
        await self._wait()
        if self.place_error is not None:
            raise self.place_error
        return PlaceOutcome("00000abc-0000-5000-8000-000000000abc", "active", "AB12", "accepted")

    def _outcome(self, order_id: str, market: str = "ETH-USD") -> CancelOutcome:
        if order_id in self.fail_first_time:
            self.fail_first_time.discard(order_id)
            return CancelOutcome(order_id, market, CancelResult.FAILED, "node unreachable")
        result = self.cancel_results.get(order_id, CancelResult.CANCELLED)
        blocks = 15 if result is CancelResult.BEST_EFFORT else None
        return CancelOutcome(order_id, market, result, result.value, blocks_left=blocks)

    async def cancel(self, order_id: str) -> CancelOutcome:
        self.calls.append(("cancel", order_id))
        await self._wait()
        return self._outcome(order_id)

    async def cancel_all(self, scope: CancelScope, on_progress=None) -> CancelAllReport:
        self.calls.append(("cancel_all", scope))
        if self.cancel_all_error is not None:
            error, self.cancel_all_error = self.cancel_all_error, None
            raise error
        ids = sorted(self.scope_ids(scope))
        outcomes = []
        for done, order_id in enumerate(ids, 1):
            await self._wait()
            outcome = self._outcome(order_id, self.market_of.get(order_id, "?"))
            outcomes.append(outcome)
            if on_progress is not None:
                if self.progress_style == "outcome":
                    on_progress(outcome)
                else:
                    on_progress(done, len(ids))
            await asyncio.sleep(0)
        return CancelAllReport(tuple(outcomes))

    @property
    def market_of(self) -> dict[str, str]:
        return {o.id: o.ticker or "?" for o in self.orders}

    def scope_ids(self, scope: CancelScope) -> set[str]:
        return {
            o.id for o in self.orders
            if (scope.market is None or o.ticker == scope.market)
            and (scope.side is None or o.data.side == scope.side)
            and (scope.order_ids is None or o.id in scope.order_ids)
        }

    async def close_position(self, market: str) -> PlaceOutcome:
        self.calls.append(("close_position", market))
        await self._wait()
        return PlaceOutcome("00000def-0000-5000-8000-000000000def", "active", None, "closing")

    async def reconcile(self) -> ReconcileSummary:
        self.calls.append(("reconcile", None))
        return ReconcileSummary(open_on_indexer=5, settled=1, placed_elsewhere=2)


FREE_COLLATERAL = Decimal("1000")

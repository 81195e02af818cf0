"""What the controller reads from the indexer, behind a small interface.

`RestIndexerReader` asks the indexer's REST API (through the feed's `RestPoller`, which
handles 5xx retries); tests and the TUI may pass anything with the same methods. Answers
are the typed models of `tui_app.models`; a malformed entry is skipped, never guessed.

The REST API is rate limited per IP (dYdX: 100 requests per 10 s, /v4/orders in a bucket
of its own): the controller asks for lists, not order by order, wherever it can.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import httpx
from pydantic import ValidationError

from tui_app.controller.errors import NetworkError
from tui_app.feed.rest_poller import RestPoller, RestRateLimited, RestUnavailable
from tui_app.models import IndexerOrder, PerpetualMarket, Subaccount

log = logging.getLogger(__name__)

T = TypeVar("T")

# Indexer statuses of an order that may still rest or fill.
OPEN_INDEXER_STATUSES = ("OPEN", "BEST_EFFORT_OPENED", "UNTRIGGERED")
MAX_RATE_LIMIT_WAIT = 15.0
LIST_LIMIT = 1000


class IndexerReader(Protocol):
    async def height(self) -> int: ...

    async def open_orders(self, ticker: str | None = None) -> list[IndexerOrder]: ...

    async def latest_orders(self) -> list[IndexerOrder]:
        """The subaccount's most recently updated orders, any status."""
        ...

    async def order(self, order_id: str) -> IndexerOrder | None: ...

    async def subaccount(self) -> Subaccount | None: ...

    async def markets(self) -> dict[str, PerpetualMarket]: ...


class RestIndexerReader:
    def __init__(self, poller: RestPoller, *, rate_limit_budget: float = MAX_RATE_LIMIT_WAIT):
        self.poller = poller
        self.rate_limit_budget = rate_limit_budget

    async def aclose(self) -> None:
        """Close the poller's HTTP client; its owner calls this on the way out."""
        await self.poller.aclose()

    @property
    def _account(self) -> Any:
        return self.poller.client.account

    async def height(self) -> int:
        body = await self._call(self.poller.client.utility.get_height)
        return int(body["height"])

    async def open_orders(self, ticker: str | None = None) -> list[IndexerOrder]:
        filters: dict[str, Any] = {"status": ",".join(OPEN_INDEXER_STATUSES), "limit": LIST_LIMIT}
        if ticker is not None:
            filters["ticker"] = ticker
        return _orders(await self._orders(filters))

    async def latest_orders(self) -> list[IndexerOrder]:
        return _orders(await self._orders({"limit": LIST_LIMIT, "returnLatestOrders": "true"}))

    async def order(self, order_id: str) -> IndexerOrder | None:
        try:
            body = await self._call(self._account.get_order, order_id)
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code in (400, 404):
                return None
            raise NetworkError(f"indexer answered HTTP {exc.response.status_code}") from None
        found = _orders([body])
        return found[0] if found else None

    async def subaccount(self) -> Subaccount | None:
        try:
            body = await self._call(
                self._account.get_subaccount, self.poller.address, self.poller.subaccount_number
            )
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 404:
                return None
            raise NetworkError(f"indexer answered HTTP {exc.response.status_code}") from None
        try:
            return Subaccount.model_validate(body.get("subaccount", body))
        except ValidationError as exc:
            raise NetworkError(
                f"indexer sent an unreadable subaccount: {exc.errors()[0]}"
            ) from None

    async def markets(self) -> dict[str, PerpetualMarket]:
        body = await self._call(self.poller.client.markets.get_perpetual_markets)
        markets: dict[str, PerpetualMarket] = {}
        for ticker, raw in (body.get("markets") or {}).items():
            try:
                markets[ticker] = PerpetualMarket.model_validate(raw)
            except ValidationError:
                log.warning("indexer market %s is malformed; ignored", ticker)
        return markets

    async def _orders(self, filters: dict[str, Any]) -> list[Any]:
        # The package's helper drops unknown filters: call its REST layer directly.
        params = {
            "address": self.poller.address,
            "subaccountNumber": self.poller.subaccount_number,
            **filters,
        }
        return await self._call(self._account.get, "/v4/orders", params=params)

    async def _call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """A poller call; waits out 429s (within a budget); unreachable -> NetworkError."""
        waited = 0.0
        while True:
            try:
                return await self.poller._call(fn, *args, **kwargs)
            except RestRateLimited as exc:
                if waited + exc.retry_after > self.rate_limit_budget:
                    raise NetworkError(f"indexer: {exc}") from None
                log.info("indexer rate limit: waiting %.1f s", exc.retry_after)
                await asyncio.sleep(exc.retry_after)
                waited += exc.retry_after
            except RestUnavailable as exc:
                raise NetworkError(str(exc)) from None
            except httpx.HTTPStatusError:
                raise
            except httpx.HTTPError as exc:
                raise NetworkError(f"indexer: {type(exc).__name__}") from None


def _orders(raw: list[Any]) -> list[IndexerOrder]:
    orders = []
    for item in raw or []:
        try:
            orders.append(IndexerOrder.model_validate(item))
        except ValidationError:
            log.warning("indexer order is malformed; ignored")
    return orders

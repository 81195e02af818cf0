"""Polling the indexer's REST API, for when the WebSocket cannot be had.

Uses dydx-v4-client's `IndexerClient` (httpx). One `poll()` fetches what a
`v4_subaccounts` snapshot holds (subaccount, open and best-effort orders) plus the block
height and the markets, so the account state can be rebuilt from it exactly as from a
WebSocket snapshot.

dYdX answers 429 with `Retry-After` in **milliseconds** (not seconds, as HTTP says);
5xx answers and timeouts are retried with backoff up to a limit, then reported.

One long-lived `httpx.AsyncClient` per poller: the package's `RestClient.get` opens a
new `httpx.AsyncClient` for every request, and building one loads an SSL context
(`load_verify_locations`, 100-170 ms of CPU on the event loop, even for plain http) and
a fresh connection each time. `SharedHttp` keeps one client (created lazily, for the
running loop) and the IndexerClient's modules send their requests through it, so their
paths and parameters stay the package's own. Owners call `RestPoller.aclose()` when done.

The certificate store is loaded once per process (in a worker thread) and shared by every
client; a plain-http indexer (the local devnet) needs none, and gets a context that trusts
no certificate at all, so a stray https request fails instead of going unverified.

httpx and the IndexerClient are imported on first use (~60 ms): the feed is built before
the TUI's first frame, and needs REST only for probes and when the WebSocket fails.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tui_app.feed.background_imports import import_off_loop
from tui_app.feed.backoff import Backoff

if TYPE_CHECKING:
    import httpx
    from dydx_v4_client.indexer.rest.indexer_client import IndexerClient

log = logging.getLogger(__name__)

INDEXER_CLIENT_MODULE = "dydx_v4_client.indexer.rest.indexer_client"  # imports httpx
# What httpx's first request imports on the loop (httpcore loads anyio's asyncio backend
# lazily: 20-60 ms, which landed in the middle of a burst of order updates).
HTTP_BACKEND_MODULES = ("anyio._backends._asyncio", "anyio.streams.tls", "anyio.to_thread")
OPEN_STATUSES = "OPEN,UNTRIGGERED,BEST_EFFORT_OPENED"
# Best-effort cancelled short-term orders may still fill until their good-til-block.
BEST_EFFORT_WINDOW_BLOCKS = 40
MIN_RETRY_AFTER = 0.1
MAX_RETRY_AFTER = 60.0


class RestUnavailable(Exception):
    """The REST indexer failed every retry (5xx, timeouts, refused connections)."""


class RestRateLimited(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"indexer REST rate limit: retry in {retry_after:.1f} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class RestSnapshot:
    subaccount: dict[str, Any] | None  # None: the indexer has no such subaccount (404)
    orders: list[dict[str, Any]]
    height: dict[str, Any]
    markets: dict[str, Any]
    round_trip_ms: float


def retry_after_seconds(response: httpx.Response) -> float:
    """How long dYdX asks us to wait: Retry-After (ms), else RateLimit-Reset (epoch ms)."""
    header = response.headers.get("Retry-After")
    seconds = None
    if header is not None:
        try:
            seconds = float(header) / 1000
        except ValueError:
            seconds = None
    if seconds is None:
        reset = response.headers.get("RateLimit-Reset")
        try:
            seconds = float(reset) / 1000 - time.time() if reset is not None else None
        except ValueError:
            seconds = None
    if seconds is None:
        seconds = 1.0
    return min(MAX_RETRY_AFTER, max(MIN_RETRY_AFTER, seconds))


@cache
def verified_tls_context() -> ssl.SSLContext:
    """httpx's default context (certifi's CA bundle), built once: it costs 50-200 ms."""
    import httpx

    return httpx.create_ssl_context()


def tls_context_for(url: str) -> ssl.SSLContext | None:
    """No certificates to load for a plain-http URL: a context that trusts none (so TLS
    always fails verification); None when the shared verified one is needed."""
    if urlsplit(url).scheme == "http":
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies, with no trusted CA
    return None


class SharedHttp:
    """One `httpx.AsyncClient` reused for every request (see the module docstring)."""

    def __init__(self, timeout: float, base_url: str = "") -> None:
        self.timeout = timeout
        self._base_url = base_url
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None

    async def client(self) -> httpx.AsyncClient:
        import httpx

        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # A client belongs to one loop (its connections do): a new loop gets a new one.
            self._client, self._lock, self._loop = None, asyncio.Lock(), loop
        if self._client is None:
            assert self._lock is not None
            async with self._lock:
                if self._client is None:
                    await import_off_loop(*HTTP_BACKEND_MODULES)
                    context = tls_context_for(self._base_url)
                    if context is None:
                        # In a thread: the CA bundle's load would stall the loop.
                        context = await asyncio.to_thread(verified_tls_context)
                    self._client = httpx.AsyncClient(timeout=self.timeout, verify=context)
        return self._client

    async def get(self, host: str, request_path: str, params: dict | None = None) -> Any:
        """`RestClient.get`, through the shared client."""
        from dydx_v4_client.indexer.rest.utils.request_helpers import generate_query_path

        url = f"{host}{generate_query_path(request_path, params or {})}"
        client = await self.client()
        response = await client.get(url, timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.aclose()
            except RuntimeError:  # its loop is gone; nothing left to close
                pass


def _shared_indexer_client(rest_url: str, timeout: float, http: SharedHttp) -> IndexerClient:
    """An IndexerClient whose modules' `get` goes through `http`."""
    from dydx_v4_client.indexer.rest.indexer_client import IndexerClient

    client = IndexerClient(rest_url, api_timeout=timeout)
    for module in (client.markets, client.account, client.utility, client.megavault,
                   client.affiliate):  # fmt: skip
        host = module.host

        async def get(request_path: str, params: dict | None = None, _host: str = host) -> Any:
            return await http.get(_host, request_path, params)

        module.get = get  # type: ignore[method-assign]
    return client


class RestPoller:
    def __init__(
        self,
        rest_url: str,
        address: str,
        subaccount_number: int,
        *,
        timeout: float = 5.0,
        max_retries: int = 3,
        backoff: Backoff | None = None,
    ) -> None:
        self.http = SharedHttp(timeout, rest_url)
        self.rest_url = rest_url
        self.timeout = timeout
        self._client: IndexerClient | None = None
        self.address = address
        self.subaccount_number = subaccount_number
        self.max_retries = max_retries
        self.backoff = backoff or Backoff(initial=0.5, maximum=5.0)

    @property
    def client(self) -> IndexerClient:
        """dydx-v4-client's IndexerClient, its requests through the shared HTTP client."""
        if self._client is None:
            self._client = _shared_indexer_client(self.rest_url, self.timeout, self.http)
        return self._client

    async def rest_client(self) -> IndexerClient:
        """`client`, its modules imported in a worker thread the first time (~0.1 s, which
        would otherwise stall the loop, e.g. while the TUI draws its first frame)."""
        if self._client is None:
            await import_off_loop(INDEXER_CLIENT_MODULE)
        return self.client

    async def aclose(self) -> None:
        """Close the shared HTTP client (its connections); a later call opens a new one."""
        await self.http.aclose()

    async def poll(self) -> RestSnapshot:
        client = await self.rest_client()
        started = time.monotonic()
        height = await self._call(client.utility.get_height)
        subaccount = await self._subaccount()
        open_orders = await self._call(
            client.account.get_subaccount_orders,
            self.address,
            self.subaccount_number,
            status=OPEN_STATUSES,
        )
        latest = int(height.get("height", 0))
        best_effort = await self._call(
            self._best_effort_cancelled, max(0, latest - BEST_EFFORT_WINDOW_BLOCKS)
        )
        markets = await self._call(client.markets.get_perpetual_markets)
        elapsed_ms = (time.monotonic() - started) * 1000
        return RestSnapshot(
            subaccount=subaccount,
            orders=list(open_orders) + list(best_effort),
            height=height,
            markets=markets,
            round_trip_ms=elapsed_ms / 5,
        )

    async def time_round_trip_ms(self) -> float:
        """Round trip of one `/v4/time` request (the cheapest), in milliseconds."""
        client = await self.rest_client()
        started = time.monotonic()
        await self._call(client.utility.get_time)
        return round((time.monotonic() - started) * 1000, 1)

    async def orders(self, **filters: Any) -> list[dict[str, Any]]:
        """All orders matching the filters (for reconciliation)."""
        client = await self.rest_client()
        return await self._call(
            client.account.get_subaccount_orders,
            self.address,
            self.subaccount_number,
            **filters,
        )

    async def _subaccount(self) -> dict[str, Any] | None:
        import httpx

        client = await self.rest_client()
        try:
            body = await self._call(
                client.account.get_subaccount, self.address, self.subaccount_number
            )
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 404:
                return None
            raise
        return body.get("subaccount", body)

    async def _best_effort_cancelled(self, after_height: int) -> list[dict[str, Any]]:
        # The package's helper cannot pass goodTilBlockAfter: call its REST layer directly.
        return await self.client.account.get(
            "/v4/orders",
            params={
                "address": self.address,
                "subaccountNumber": self.subaccount_number,
                "status": "BEST_EFFORT_CANCELED",
                "goodTilBlockAfter": after_height,
            },
        )

    async def _call(self, fn, *args: Any, **kwargs: Any) -> Any:
        """One request, with 429 and transient-failure handling."""
        import httpx

        self.backoff.reset()
        for attempt in range(self.max_retries + 1):
            try:
                return await fn(*args, **kwargs)
            except httpx.HTTPStatusError as exc:
                status = exc.response.status_code
                if status == 429:
                    raise RestRateLimited(retry_after_seconds(exc.response)) from None
                if status < 500:
                    raise
                error = f"HTTP {status}"
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                error = type(exc).__name__
            if attempt < self.max_retries:
                delay = self.backoff.next_delay()
                log.info("indexer REST %s; retry %d in %.2f s", error, attempt + 1, delay)
                await asyncio.sleep(delay)
        raise RestUnavailable(f"indexer REST failed {self.max_retries + 1} times: {error}")

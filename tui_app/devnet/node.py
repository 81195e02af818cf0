"""A whole devnet (chain, validator gRPC, indexer, block clock) on its own thread and loop.

Why its own thread: dydx-v4-client's `NodeClient` calls *synchronous* gRPC stubs from its
async methods, so it blocks whatever event loop awaits it. A validator served on that same
loop could never answer and the call would hang (protocol notes, section 4.4). With its own
loop the devnet serves whatever its caller's loop is doing.

    async with Devnet(DevnetConfig(grpc_port=0, rest_port=0, ws_port=0)) as devnet:
        devnet.endpoints.grpc                            # "127.0.0.1:PORT"
        height = devnet.call(lambda: devnet.chain.height)  # read chain state safely

Chain state lives on the devnet loop and is not thread-safe: read or change it only through
`call()` / `acall()`. `faults` may be flipped from any thread (see faults.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import importlib.util
import inspect
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tui_app.devnet.accounts import DEMO_ACCOUNT
from tui_app.devnet.faults import Faults
from tui_app.devnet.markets import DEFAULT_MARKETS
from tui_app.devnet.params import CHAIN_ID, DEFAULT_SHORT_BLOCK_WINDOW, ChainParams

log = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
CALL_TIMEOUT_SECONDS = 10.0


class DevnetStartError(RuntimeError):
    """The devnet could not start; the message names the part and, for a bind, the port."""


@dataclass(frozen=True)
class DevnetConfig:
    """How to run a devnet. The defaults are the real dYdX localnet's ports; 0 picks a free one."""

    host: str = "127.0.0.1"
    grpc_port: int = 9090
    rest_port: int = 3002
    ws_port: int = 3003
    # The indexer's fault-injection endpoint; None: not served.
    admin_port: int | None = None
    block_time: Decimal = Decimal("1.0")
    seed: int = 0
    # Added to every gRPC call, REST request and WebSocket message.
    latency_ms: int = 0
    short_block_window: int = DEFAULT_SHORT_BLOCK_WINDOW
    synthetic_traders: bool = True

    def __post_init__(self) -> None:
        if Decimal(self.block_time) <= 0:
            raise ValueError(f"block_time must be positive, not {self.block_time}")
        for name in ("grpc_port", "rest_port", "ws_port", "admin_port"):
            port = getattr(self, name)
            if port is not None and not 0 <= port <= 65535:
                raise ValueError(f"{name} must be 0..65535, not {port}")
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms must not be negative, not {self.latency_ms}")
        if self.short_block_window < 1:
            raise ValueError(f"short_block_window must be positive, not {self.short_block_window}")

    def chain_params(self) -> ChainParams:
        return ChainParams(
            chain_id=CHAIN_ID,
            short_block_window=self.short_block_window,
            block_time_seconds=Decimal(self.block_time),
            synthetic_traders=self.synthetic_traders,
        )


@dataclass(frozen=True)
class DevnetEndpoints:
    """Where a running devnet listens. A part that is not built yet has None and is `missing`."""

    chain_id: str
    grpc: str | None  # "host:port" without a scheme, as NodeClient's channel wants it
    rest_url: str | None
    ws_url: str | None
    admin_url: str | None
    demo_address: str
    missing: tuple[str, ...] = ()

    def ready_event(self) -> dict[str, Any]:
        """The JSON object `dydx-tui sim` prints when it is ready."""
        event: dict[str, Any] = {
            "event": "ready",
            "chain_id": self.chain_id,
            "grpc": self.grpc,
            "rest": self.rest_url,
            "ws": self.ws_url,
            "admin": self.admin_url,
            "demo_address": self.demo_address,
        }
        if self.missing:
            event["missing"] = list(self.missing)
        return event


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _optional_class(module_name: str, class_name: str) -> type | None:
    """The class if its module exists yet (parts of the devnet are built in parallel).

    A module that exists but fails to import raises: only absence is tolerated.
    """
    if importlib.util.find_spec(module_name) is None:
        return None
    # A package folder may exist before the module that defines the class.
    return getattr(importlib.import_module(module_name), class_name, None)


class Devnet:
    """Owns the devnet thread and everything running on its loop."""

    def __init__(
        self,
        config: DevnetConfig | None = None,
        *,
        chain_factory: Callable[[DevnetConfig], Any] | None = None,
    ) -> None:
        """`chain_factory(config)` replaces the default Chain (tests that need a special one);
        it is called on the devnet loop."""
        self.config = config or DevnetConfig()
        self._chain_factory = chain_factory
        # Shared by validator and indexer; exists before start so tests can preset faults.
        self.faults = Faults(latency_ms=self.config.latency_ms)
        # The Chain, created on the devnet loop during start. Touch it only via call().
        self.chain: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._validator: Any = None
        self._indexer: Any = None
        self._block_task: asyncio.Task[None] | None = None
        self._endpoints: DevnetEndpoints | None = None
        # start/stop may come from different threads (a signal, a test's finally).
        self._lifecycle = threading.Lock()

    # ----- lifecycle, from any thread -------------------------------------------------

    @property
    def running(self) -> bool:
        return self._endpoints is not None

    @property
    def endpoints(self) -> DevnetEndpoints:
        if self._endpoints is None:
            raise RuntimeError("the devnet is not running")
        return self._endpoints

    def start_sync(self) -> DevnetEndpoints:
        """Start the devnet thread and its services; blocks until they listen."""
        with self._lifecycle:
            if self._thread is not None:
                raise RuntimeError("the devnet is already running")
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=self._run_loop, args=(loop,), name="dydx-devnet", daemon=True
            )
            thread.start()
            self._loop, self._thread = loop, thread
            future = asyncio.run_coroutine_threadsafe(self._start_services(), loop)
            try:
                endpoints = future.result(START_TIMEOUT_SECONDS)
            except BaseException as exc:
                future.cancel()
                self._shutdown()
                if isinstance(exc, concurrent.futures.TimeoutError):
                    raise DevnetStartError(
                        f"the devnet did not start within {START_TIMEOUT_SECONDS:.0f} s"
                    ) from None
                raise
            self._endpoints = endpoints
            log.info("devnet ready: %s", endpoints)
            return endpoints

    def stop_sync(self) -> None:
        """Stop the services and the loop and join the thread. Safe to call twice."""
        with self._lifecycle:
            if self._thread is None:
                return
            if threading.current_thread() is self._thread:
                raise RuntimeError("stop() from the devnet's own loop would deadlock")
            self._shutdown()

    async def start(self) -> DevnetEndpoints:
        # A worker thread waits, so the caller's loop keeps running meanwhile.
        return await asyncio.to_thread(self.start_sync)

    async def stop(self) -> None:
        await asyncio.to_thread(self.stop_sync)

    async def __aenter__(self) -> Devnet:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def __enter__(self) -> Devnet:
        self.start_sync()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop_sync()

    # ----- running code on the devnet loop ----------------------------------------------

    def call(
        self, fn: Callable[..., Any], *args: Any, timeout: float = CALL_TIMEOUT_SECONDS
    ) -> Any:
        """Run `fn(*args)` on the devnet loop and return its result (awaited if awaitable).

        Blocks the calling thread, never the devnet: fine from tests, also from async ones.
        """
        if threading.current_thread() is self._thread:
            raise RuntimeError("call() from the devnet's own loop would deadlock; call fn directly")
        return self._submit(fn, args).result(timeout)

    async def acall(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Like call(), but awaits instead of blocking the caller's loop."""
        return await asyncio.wrap_future(self._submit(fn, args))

    def _submit(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> concurrent.futures.Future:
        loop = self._loop
        if loop is None:
            raise RuntimeError("the devnet is not running")

        async def run() -> Any:
            result = fn(*args)
            return await result if inspect.isawaitable(result) else result

        return asyncio.run_coroutine_threadsafe(run(), loop)

    # ----- the devnet thread -----------------------------------------------------------

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            # Cancel what is left so that closing the loop warns about nothing.
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    def _shutdown(self) -> None:
        """Stop services, then the loop, then join. Caller holds the lifecycle lock."""
        loop, thread = self._loop, self._thread
        self._endpoints = None
        if loop is not None and thread is not None and thread.is_alive():
            future = asyncio.run_coroutine_threadsafe(self._stop_services(), loop)
            try:
                future.result(STOP_TIMEOUT_SECONDS)
            except Exception:
                log.exception("devnet: stopping the services failed")
            loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(STOP_TIMEOUT_SECONDS)
            if thread.is_alive():
                log.warning("devnet: thread still alive after %.0f s", STOP_TIMEOUT_SECONDS)
        self._loop = self._thread = None
        log.info("devnet stopped")

    # ----- on the devnet loop ----------------------------------------------------------

    async def _start_services(self) -> DevnetEndpoints:
        self.chain = self._make_chain()
        if self.chain is None:
            log.warning("devnet: tui_app.devnet.chain is not built yet; serving nothing")
            return self._make_endpoints(None, {}, missing=("chain", "validator", "indexer"))
        missing: list[str] = []
        try:
            grpc_port = await self._start_validator()
            if grpc_port is None:
                missing.append("validator")
            indexer_ports = await self._start_indexer()
            if indexer_ports is None:
                missing.append("indexer")
        except BaseException:
            await self._stop_services()
            raise
        self._block_task = asyncio.create_task(self._produce_blocks(), name="devnet-blocks")
        if missing:
            log.warning("devnet: not built yet, not served: %s", ", ".join(missing))
        return self._make_endpoints(grpc_port, indexer_ports or {}, missing=tuple(missing))

    def _make_chain(self) -> Any:
        if self._chain_factory is not None:
            return self._chain_factory(self.config)
        chain_cls = _optional_class("tui_app.devnet.chain", "Chain")
        if chain_cls is None:
            return None
        cfg = self.config
        return chain_cls(cfg.chain_params(), markets=DEFAULT_MARKETS, seed=cfg.seed)

    async def _start_validator(self) -> int | None:
        server_cls = _optional_class("tui_app.devnet.validator", "ValidatorServer")
        if server_cls is None:
            return None
        cfg = self.config
        server = server_cls(self.chain, self.faults, cfg.host, cfg.grpc_port)
        try:
            port = await server.start()
        except Exception as exc:
            await _stop_quietly(server, "validator")
            raise DevnetStartError(
                f"validator gRPC could not listen on {_host_port(cfg.host, cfg.grpc_port)} "
                f"(port in use? --grpc-port 0 picks a free one): {exc}"
            ) from exc
        self._validator = server
        return int(port)

    async def _start_indexer(self) -> dict[str, int] | None:
        indexer_cls = _optional_class("tui_app.devnet.indexer", "Indexer")
        if indexer_cls is None:
            return None
        cfg = self.config
        indexer = indexer_cls(
            self.chain, self.faults, cfg.host, cfg.rest_port, cfg.ws_port, admin_port=cfg.admin_port
        )
        try:
            ports = await indexer.start()
        except Exception as exc:
            await _stop_quietly(indexer, "indexer")
            wanted = f"REST {cfg.rest_port}, WebSocket {cfg.ws_port}"
            if cfg.admin_port is not None:
                wanted += f", admin {cfg.admin_port}"
            raise DevnetStartError(
                f"indexer could not listen on {cfg.host} ({wanted}; port in use? "
                f"0 picks a free one): {exc}"
            ) from exc
        self._indexer = indexer
        return dict(ports)

    async def _stop_services(self) -> None:
        # Reverse order of start: the clock first, so no block lands on a stopping server.
        if self._block_task is not None:
            self._block_task.cancel()
            try:
                await self._block_task
            except asyncio.CancelledError:
                pass
            self._block_task = None
        for name in ("_indexer", "_validator"):
            service = getattr(self, name)
            setattr(self, name, None)
            if service is not None:
                await _stop_quietly(service, name.strip("_"))

    async def _produce_blocks(self) -> None:
        loop = asyncio.get_running_loop()
        interval = float(self.config.block_time)
        deadline = loop.time()
        while True:
            # A fixed schedule, so block time does not drift by the time a block takes.
            deadline += interval
            delay = deadline - loop.time()
            if delay < 0:
                # Behind (a slow block, a suspended machine): carry on, don't burst to catch up.
                deadline = loop.time()
                delay = 0
            await asyncio.sleep(delay)
            if self.faults.freeze_blocks:
                continue
            try:
                self.chain.produce_block()
            except Exception:
                # A chain bug must not stop the clock; the log shows it at every block.
                log.exception("devnet: producing block %s failed", self.chain.height + 1)

    def _make_endpoints(
        self, grpc_port: int | None, ports: dict[str, int], missing: tuple[str, ...]
    ) -> DevnetEndpoints:
        host = self.config.host
        rest, ws, admin = ports.get("rest"), ports.get("ws"), ports.get("admin")
        return DevnetEndpoints(
            chain_id=self.chain.chain_id if self.chain is not None else CHAIN_ID,
            grpc=_host_port(host, grpc_port) if grpc_port is not None else None,
            rest_url=f"http://{_host_port(host, rest)}" if rest else None,
            ws_url=f"ws://{_host_port(host, ws)}/v4/ws" if ws else None,
            admin_url=f"http://{_host_port(host, admin)}" if admin else None,
            demo_address=DEMO_ACCOUNT.address,
            missing=missing,
        )


async def _stop_quietly(service: Any, name: str) -> None:
    try:
        await service.stop()
    except Exception:
        log.exception("devnet: stopping the %s failed", name)

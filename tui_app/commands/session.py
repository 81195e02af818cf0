"""Opening what a trading command needs: config, store, node gateway, indexer, controller.

Everything opened here is closed on the way out (an unclosed aiosqlite connection keeps
the process alive; the gateway owns threads). Nothing is started on the user's behalf: on
`local` with no devnet listening, the command says to run `dydx-tui sim` (a devnet started
here would die with this short-lived process).
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tui_app.controller.errors import ControllerError, ReadOnly

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 1.0


class CommandError(Exception):
    """A one-line reason to print before exiting non-zero."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Session:
    config: Any  # ResolvedConfig
    reader: Any  # RestIndexerReader
    store: Any = None  # OrderStore
    gateway: Any = None  # NodeGateway
    controller: Any = None  # OrderController


def load(args: Any) -> Any:
    from tui_app.config import STARTUP_ERRORS, config_from_args

    try:
        return config_from_args(args)
    except STARTUP_ERRORS as exc:
        raise CommandError(str(exc), exit_code=2) from None


@contextlib.asynccontextmanager
async def open_session(args: Any, *, trading: bool | None) -> AsyncIterator[Session]:
    """`trading`: the command signs (needs the key, the node and the store); None: it
    does if the account has a key, else it gets the indexer only (read-only)."""
    _quiet_package_logs()
    from tui_app.controller.indexer import RestIndexerReader
    from tui_app.feed.rest_poller import RestPoller

    config = load(args)
    if config.network == "local":
        _require_local_devnet(config)
    poller = RestPoller(
        config.endpoints.rest_url,
        config.address,
        config.subaccount_number,
        timeout=config.settings.feed.rest_timeout_seconds,
        max_retries=config.settings.feed.rest_max_retries,
    )
    session = Session(config=config, reader=RestIndexerReader(poller))
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(poller.aclose)  # its HTTP client's connections
        if trading is False or (trading is None and config.read_only):
            yield session
            return
        if config.read_only:
            raise CommandError(str(ReadOnly(config.credentials.reason or "no signing key")))
        session.store = await _open_store(args, config)
        stack.push_async_callback(session.store.close)
        session.gateway = await _connect(config)
        stack.push_async_callback(session.gateway.close)
        session.controller = _controller(session, config)
        log.info("session ready: %s, store %s", config.network, session.store.path)
        yield session


def _db_path(args: Any, config: Any) -> Path:
    return Path(args.db).expanduser() if args.db else config.paths.db_path


async def _open_store(args: Any, config: Any) -> Any:
    from tui_app.store import OrderStore, StoreError

    path = _db_path(args, config)
    try:
        return await OrderStore.open(path)
    except StoreError as exc:
        raise CommandError(str(exc)) from None


async def _connect(config: Any) -> Any:
    from tui_app.chain.errors import GatewayError
    from tui_app.chain.gateway import GatewayConfig, NodeGateway

    gateway_config = GatewayConfig(
        target=config.endpoints.grpc_addr,
        chain_id=config.chain_id,
        secure=config.tls,
        address=config.address,
        call_timeout=config.settings.trading.node_timeout_seconds,
    )
    try:
        # verify_chain_id: the node's chain must be the chosen network's, before any signing.
        return await NodeGateway.connect(
            gateway_config,
            config.credentials.mnemonic,
            verify_chain_id=True,
            prefetch_account=True,
        )
    except GatewayError as exc:
        raise CommandError(f"node {config.endpoints.grpc_addr}: {exc}") from None


def _controller(session: Session, config: Any) -> Any:
    from tui_app.controller.controller import OrderController
    from tui_app.controller.markets import IndexerMarkets
    from tui_app.controller.settings import ControllerSettings

    return OrderController(
        store=session.store,
        gateway=session.gateway,
        indexer=session.reader,
        markets=IndexerMarkets(session.reader),
        settings=ControllerSettings.from_config(config),
    )


def _require_local_devnet(config: Any) -> None:
    """Fail fast with the fix when nothing listens on the local endpoints."""
    grpc_host, _, grpc_port = config.endpoints.grpc_addr.rpartition(":")
    rest = urlsplit(config.endpoints.rest_url)
    targets = [
        ("validator gRPC", grpc_host.strip("[]"), int(grpc_port)),
        ("indexer REST", rest.hostname or "127.0.0.1", rest.port or 80),
    ]
    for what, host, port in targets:
        try:
            with socket.create_connection((host, port), timeout=PROBE_TIMEOUT):
                pass
        except OSError:
            raise CommandError(
                f"nothing is listening on {host}:{port} ({what} of network local): start the "
                "local devnet with `dydx-tui sim` in another terminal, or choose --network"
            ) from None


def _quiet_package_logs() -> None:
    # dydx_v4_client logs a warning about its own LOCAL constant's URL when imported.
    logging.getLogger("dydx_v4_client.network").setLevel(logging.ERROR)


def controller_error_message(exc: BaseException) -> str:
    if isinstance(exc, ControllerError | CommandError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"

"""The embedded devnet: on `local`, when nothing answers on the configured ports, run the
devnet in this process so that `dydx-tui` works out of the box.

    with embedded_devnet(config) as local:        # the TUI (sync, around asyncio.run)
        run(local.config)                          # endpoints to use; local.embedded: started?
    async with embedded_devnet_async(config) as local:   # async callers (`dydx-tui status`)
        ...

Never on testnet or mainnet: there the configured endpoints are used as they are, and an
unreachable network is an error to report, not something to stand in for.

"Answers" is a quick TCP connect to the gRPC and the REST port: anything listening there
(a `dydx-tui sim`, a real localnet) is used, never shadowed. The devnet takes the
configured ports when it can (so the config needs no change), else any free ports, and
the returned config then carries its endpoints.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from tui_app.config import ResolvedConfig

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 0.3
EMBEDDED_SOURCE = "embedded devnet"


@dataclass(frozen=True)
class LocalNetwork:
    """The config to use, and the devnet this process started (None: none was needed)."""

    config: ResolvedConfig
    devnet: Any = None  # tui_app.devnet.node.Devnet

    @property
    def embedded(self) -> bool:
        return self.devnet is not None


def _host_port(url_or_addr: str) -> tuple[str, int]:
    if "://" in url_or_addr:
        parts = urlsplit(url_or_addr)
        default = 443 if parts.scheme in ("https", "wss") else 80
        return parts.hostname or "127.0.0.1", parts.port or default
    host, _, port = url_or_addr.rpartition(":")
    return host.strip("[]"), int(port)


def answers(url_or_addr: str, timeout: float = PROBE_TIMEOUT) -> bool:
    """Something accepts TCP connections there."""
    try:
        with socket.create_connection(_host_port(url_or_addr), timeout=timeout):
            return True
    except OSError:
        return False


def local_node_answers(config: ResolvedConfig, timeout: float = PROBE_TIMEOUT) -> bool:
    endpoints = config.endpoints
    return answers(endpoints.grpc_addr, timeout) or answers(endpoints.rest_url, timeout)


def needs_embedded_devnet(config: ResolvedConfig, timeout: float = PROBE_TIMEOUT) -> bool:
    return config.network == "local" and not local_node_answers(config, timeout)


def start_devnet(config: ResolvedConfig, *, any_ports: bool = False) -> LocalNetwork:
    """Start the devnet (blocking until it listens); the caller stops `devnet`.

    `any_ports`: bind free ports rather than the configured ones (tests).
    """
    if config.network != "local":
        raise ValueError(f"the embedded devnet is only for network local, not {config.network}")
    from tui_app.devnet.node import Devnet, DevnetConfig, DevnetStartError

    endpoints = config.endpoints
    host, grpc_port = _host_port(endpoints.grpc_addr)
    wanted = (
        (0, 0, 0)
        if any_ports
        else (grpc_port, _host_port(endpoints.rest_url)[1], _host_port(endpoints.ws_url)[1])
    )
    devnet = Devnet(DevnetConfig(host=host, grpc_port=wanted[0], rest_port=wanted[1],
                                 ws_port=wanted[2]))  # fmt: skip
    try:
        devnet.start_sync()
    except DevnetStartError as exc:
        if wanted == (0, 0, 0):
            raise
        # A configured port is taken by something that does not answer: use free ones.
        log.warning("embedded devnet: %s; using free ports instead", exc)
        devnet = Devnet(DevnetConfig(host=host, grpc_port=0, rest_port=0, ws_port=0))
        devnet.start_sync()
    log.info("embedded devnet started: %s", devnet.endpoints)
    return LocalNetwork(config=_pointed_at(config, devnet), devnet=devnet)


def _pointed_at(config: ResolvedConfig, devnet: Any) -> ResolvedConfig:
    running = devnet.endpoints
    ws_path = urlsplit(config.endpoints.ws_url).path or "/v4/ws"
    ws_base = running.ws_url.rsplit("/v4/ws", 1)[0]
    endpoints = config.endpoints.model_copy(
        update={"grpc_addr": running.grpc, "rest_url": running.rest_url,
                "ws_url": ws_base + ws_path, "grpc_tls": False}
    )  # fmt: skip
    sources = {key: EMBEDDED_SOURCE for key in config.endpoint_sources}
    return config.model_copy(update={"endpoints": endpoints, "endpoint_sources": sources})


@contextlib.contextmanager
def embedded_devnet(
    config: ResolvedConfig, *, any_ports: bool = False, probe_timeout: float = PROBE_TIMEOUT
) -> Iterator[LocalNetwork]:
    """The devnet when `local` has none running (stopped on exit); else `config` as is."""
    if not needs_embedded_devnet(config, probe_timeout):
        yield LocalNetwork(config)
        return
    local = start_devnet(config, any_ports=any_ports)
    try:
        yield local
    finally:
        local.devnet.stop_sync()


@contextlib.asynccontextmanager
async def embedded_devnet_async(
    config: ResolvedConfig, *, any_ports: bool = False, probe_timeout: float = PROBE_TIMEOUT
) -> AsyncIterator[LocalNetwork]:
    """`embedded_devnet` for async code: starting and stopping wait on a worker thread."""
    import asyncio

    if config.network != "local" or await asyncio.to_thread(
        local_node_answers, config, probe_timeout
    ):
        yield LocalNetwork(config)
        return
    local = await asyncio.to_thread(start_devnet, config, any_ports=any_ports)
    try:
        yield local
    finally:
        await local.devnet.stop()

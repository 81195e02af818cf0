"""The three networks dydx-tui knows, and the guards that keep it on the one the trader meant.

- `local` (a dYdX localnet or the embedded devnet) talks to loopback only.
- `mainnet` is chosen only by `--network mainnet` on the command line, never by a config
  file alone; non-interactive commands also need `--i-understand-mainnet`.
- Before anything is signed, the node's chain id must equal the chosen network's: a chain id
  in a signed tx prevents replay on another chain, not sending to the wrong one.

Nothing here opens a connection: the caller passes the function that asks the node.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, get_args
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from dydx_v4_client.network import NodeConfig

log = logging.getLogger(__name__)

NetworkName = Literal["local", "testnet", "mainnet"]
NETWORK_NAMES: tuple[str, ...] = get_args(NetworkName)

USDC_DENOM = "ibc/8E27BA2D5493AF5636760E354E46004562C46AB7EC0CC4C1CA14E9E20E2545B5"


class NetworkRefused(Exception):
    """The app must not run on this network with these settings; the message says why."""


class MainnetRefused(NetworkRefused):
    """Mainnet was selected without the explicit command-line opt-in."""


class NetworkMismatch(NetworkRefused):
    """The node serves another chain than the chosen network."""

    def __init__(self, expected: str, actual: str, where: str = "") -> None:
        self.expected = expected
        self.actual = actual
        at = f" at {where}" if where else ""
        super().__init__(
            f"chain id mismatch: the node{at} serves {actual!r}, but the chosen network "
            f"expects {expected!r}; refusing to run (check --network and the endpoints)"
        )


@dataclass(frozen=True)
class NetworkSpec:
    """A network's chain id, denoms and default endpoints."""

    name: NetworkName
    chain_id: str
    native_denom: str
    rest_url: str
    ws_url: str
    grpc_addr: str
    """host:port, no scheme (grpc channels take it as is)."""
    grpc_tls: bool


NETWORKS: dict[str, NetworkSpec] = {
    # The localnet's ports. The real localnet serves its WebSocket on 3003 under any path,
    # the devnet under /v4/ws, so /v4/ws works for both.
    "local": NetworkSpec(
        name="local",
        chain_id="localdydxprotocol",
        native_denom="adv4tnt",
        rest_url="http://127.0.0.1:3002",
        ws_url="ws://127.0.0.1:3003/v4/ws",
        grpc_addr="127.0.0.1:9090",
        grpc_tls=False,
    ),
    # As dydx_v4_client.network.make_testnet names them.
    "testnet": NetworkSpec(
        name="testnet",
        chain_id="dydx-testnet-4",
        native_denom="adv4tnt",
        rest_url="https://indexer.v4testnet.dydx.exchange",
        ws_url="wss://indexer.v4testnet.dydx.exchange/v4/ws",
        grpc_addr="test-dydx-grpc.kingnodes.com:443",
        grpc_tls=True,
    ),
    # dydx_v4_client's make_mainnet has no default URLs. The indexer is dYdX's own; the
    # gRPC node is dYdX's order-entry gateway (OEGS). Any full node works: override
    # endpoints.grpc_addr (or DYDX_GRPC_ADDR), e.g. dydx-grpc.publicnode.com:443.
    "mainnet": NetworkSpec(
        name="mainnet",
        chain_id="dydx-mainnet-1",
        native_denom="adydx",
        rest_url="https://indexer.dydx.trade",
        ws_url="wss://indexer.dydx.trade/v4/ws",
        grpc_addr="oegs.dydx.trade:443",
        grpc_tls=True,
    ),
}


def network_spec(name: str) -> NetworkSpec:
    try:
        return NETWORKS[name]
    except KeyError:
        raise ValueError(
            f"unknown network {name!r}; expected one of {', '.join(NETWORK_NAMES)}"
        ) from None


# --- mainnet guard -----------------------------------------------------------------------


class _HasNetwork(Protocol):
    @property
    def network(self) -> str: ...


def resolve_network(cli_network: str | None, settings: _HasNetwork) -> NetworkName:
    """The network to use: the command line's `--network`, else the config's `network`.

    `settings` is a `tui_app.config.Settings`. A config file alone never selects mainnet:
    that takes `--network mainnet`.
    """
    if cli_network is not None:
        return network_spec(cli_network).name
    configured = network_spec(settings.network).name
    if configured == "mainnet":
        raise MainnetRefused(
            "the config file selects mainnet, but mainnet is only used when the command "
            "line says so: run with --network mainnet (a config file alone never selects "
            "real funds)"
        )
    return configured


def require_mainnet_ack(flag: bool, network: str = "mainnet") -> None:
    """For non-interactive commands: mainnet also needs `--i-understand-mainnet`.

    A no-op on other networks, so callers can call it unconditionally with the resolved
    network.
    """
    if network == "mainnet" and not flag:
        raise MainnetRefused(
            "refusing to act on mainnet (real funds) without --i-understand-mainnet"
        )


# --- chain id check ----------------------------------------------------------------------


async def check_chain_id(
    expected: str,
    fetch_node_chain_id: Callable[[], Awaitable[str]],
    where: str = "",
) -> str:
    """Ask the node for its chain id; raise `NetworkMismatch` unless it is `expected`.

    `fetch_node_chain_id` is e.g. a GetNodeInfo call through the node gateway (see
    `chain_id_from_node_info`). Errors from it propagate unchanged: an unreachable node is
    the caller's to report, not a mismatch. Returns the node's chain id.
    """
    actual = await fetch_node_chain_id()
    if actual != expected:
        raise NetworkMismatch(expected, actual, where)
    log.info("node%s serves the expected chain %s", f" at {where}" if where else "", actual)
    return actual


def chain_id_from_node_info(response: object) -> str:
    """The chain id in a tendermint `GetNodeInfoResponse` (`default_node_info.network`)."""
    return str(response.default_node_info.network)  # type: ignore[attr-defined]


# --- loopback check for `local` ----------------------------------------------------------


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 (also IPv4-mapped) or `localhost`. Names are not resolved."""
    host = host.strip().rstrip(".").lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # any other name could resolve anywhere
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def url_host(url: str) -> str:
    return urlsplit(url).hostname or ""


def grpc_host(addr: str) -> str:
    """The host of a `host:port` or `[v6]:port` gRPC address."""
    if addr.startswith("["):
        return addr[1 : addr.find("]")] if "]" in addr else addr
    host, _, _port = addr.rpartition(":")
    return host or addr


def check_local_endpoint(what: str, host: str) -> None:
    """Refuse a non-loopback host for network `local`; `what` names the setting."""
    if not is_loopback_host(host):
        raise NetworkRefused(
            f"{what}: network local only talks to this machine (127.0.0.0/8, ::1 or "
            f"localhost), not {host!r}; choose --network testnet or mainnet for a remote "
            "node, or point the endpoint at loopback"
        )


# --- dydx_v4_client glue -----------------------------------------------------------------


def make_node_config(
    chain_id: str, native_denom: str, grpc_addr: str, grpc_tls: bool
) -> NodeConfig:
    """A `dydx_v4_client` NodeConfig (with its gRPC channel) for `NodeClient.connect`."""
    import grpc

    # Importing dydx_v4_client.network builds its LOCAL constant, which logs a warning
    # about an http:// node URL; that would be noise in our log.
    package_log = logging.getLogger("dydx_v4_client.network")
    previous = package_log.level
    package_log.setLevel(logging.ERROR)
    try:
        from dydx_v4_client.network import NodeConfig
    finally:
        package_log.setLevel(previous)

    if grpc_tls:
        channel = grpc.secure_channel(grpc_addr, grpc.ssl_channel_credentials())
    else:
        channel = grpc.insecure_channel(grpc_addr)
    return NodeConfig(chain_id, native_denom, USDC_DENOM, channel)

"""Networks: defaults, overrides, loopback-only local, the mainnet guard, the chain id check."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tui_app.config import (
    ENV_GRPC_ADDR,
    ENV_REST_URL,
    ENV_WS_URL,
    ConfigError,
    EnvOverrides,
    Settings,
    load_config,
    parse_settings,
    resolve_config,
)
from tui_app.devnet.accounts import ALICE
from tui_app.networks import (
    NETWORKS,
    MainnetRefused,
    NetworkMismatch,
    NetworkRefused,
    chain_id_from_node_info,
    check_chain_id,
    is_loopback_host,
    require_mainnet_ack,
    resolve_network,
)

WATCH = "account:\n  address: " + ALICE.address + "\n"


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


# --- the networks ------------------------------------------------------------------------


def test_chain_ids():
    assert {name: spec.chain_id for name, spec in NETWORKS.items()} == {
        "local": "localdydxprotocol",
        "testnet": "dydx-testnet-4",
        "mainnet": "dydx-mainnet-1",
    }


def test_testnet_defaults_are_the_packages():
    from dydx_v4_client.network import TESTNET, make_testnet  # noqa: F401

    spec = NETWORKS["testnet"]
    assert spec.rest_url == TESTNET.rest_indexer
    assert spec.ws_url == TESTNET.websocket_indexer
    assert spec.grpc_addr.startswith("test-dydx-grpc.kingnodes.com")
    assert spec.grpc_tls
    assert TESTNET.node.chain_id == spec.chain_id


def test_local_defaults_are_the_localnet_ports_on_loopback():
    resolved = load_config(environ={})
    assert resolved.endpoints.rest_url == "http://127.0.0.1:3002"
    assert resolved.endpoints.ws_url == "ws://127.0.0.1:3003/v4/ws"
    assert resolved.endpoints.grpc_addr == "127.0.0.1:9090"
    assert resolved.tls is False


def test_mainnet_defaults_and_tls(tmp_path: Path):
    resolved = load_config(config_file(tmp_path, WATCH), cli_network="mainnet", environ={})
    assert resolved.chain_id == "dydx-mainnet-1"
    assert resolved.endpoints.rest_url == "https://indexer.dydx.trade"
    assert resolved.endpoints.ws_url == "wss://indexer.dydx.trade/v4/ws"
    assert resolved.endpoints.grpc_addr.endswith(":443")
    assert resolved.tls and resolved.is_mainnet


def test_db_path_is_per_network_under_xdg_data(tmp_path: Path, isolated_environment: Path):
    local = load_config(environ={})
    testnet = load_config(config_file(tmp_path, WATCH), cli_network="testnet", environ={})
    assert local.paths.db_path != testnet.paths.db_path
    for resolved in (local, testnet):
        assert resolved.paths.db_path.parent == isolated_environment / "data" / "dydx-tui"
        assert resolved.network in resolved.paths.db_path.name
    assert local.paths.log_file.is_relative_to(isolated_environment / "state")


def test_resolved_config_is_frozen():
    resolved = load_config(environ={})
    with pytest.raises(ValueError):
        resolved.network = "mainnet"  # type: ignore[misc]


def test_node_config_for_the_package():
    resolved = load_config(environ={})
    node = resolved.node_config()
    try:
        assert node.chain_id == "localdydxprotocol"
        assert node.chaintoken_denom == "adv4tnt"
    finally:
        node.channel.close()


# --- overrides ---------------------------------------------------------------------------


def test_file_overrides_the_defaults(tmp_path: Path):
    path = config_file(
        tmp_path,
        "endpoints:\n  rest_url: http://127.0.0.1:4002\n  grpc_addr: localhost:9191\n",
    )
    resolved = load_config(path, environ={})
    assert resolved.endpoints.rest_url == "http://127.0.0.1:4002"
    assert resolved.endpoints.grpc_addr == "localhost:9191"
    assert resolved.endpoints.ws_url == "ws://127.0.0.1:3003/v4/ws"
    assert resolved.endpoint_sources["rest_url"].startswith("endpoints.rest_url")


def test_environment_beats_the_file(tmp_path: Path):
    path = config_file(tmp_path, "endpoints:\n  rest_url: http://127.0.0.1:4002\n")
    environ = {
        ENV_REST_URL: "http://127.0.0.1:5002",
        ENV_WS_URL: "ws://127.0.0.1:5003/v4/ws",
        ENV_GRPC_ADDR: "127.0.0.1:5090",
    }
    resolved = load_config(path, environ=environ)
    assert resolved.endpoints.rest_url == "http://127.0.0.1:5002"
    assert resolved.endpoints.ws_url == "ws://127.0.0.1:5003/v4/ws"
    assert resolved.endpoints.grpc_addr == "127.0.0.1:5090"
    assert resolved.endpoint_sources["grpc_addr"].startswith(ENV_GRPC_ADDR)


def test_environment_overrides_read_from_os_environ(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(ENV_REST_URL, "http://localhost:6002")
    assert load_config().endpoints.rest_url == "http://localhost:6002"


def test_empty_environment_variable_means_unset():
    assert load_config(environ={ENV_REST_URL: " "}).endpoints.rest_url == "http://127.0.0.1:3002"


@pytest.mark.parametrize(
    ("variable", "value"),
    [(ENV_REST_URL, "127.0.0.1:3002"), (ENV_WS_URL, "http://x"), (ENV_GRPC_ADDR, "http://x")],
)
def test_bad_environment_value_names_the_variable(variable: str, value: str):
    with pytest.raises(ConfigError) as caught:
        load_config(environ={variable: value})
    assert str(caught.value).startswith(f"environment variable {variable}: ")


def test_file_endpoints_do_not_follow_a_network_chosen_on_the_command_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    # Endpoints written for testnet must not be used for mainnet (nor the reverse).
    path = config_file(
        tmp_path, "network: testnet\nendpoints:\n  grpc_addr: my-testnet-node:443\n" + WATCH
    )
    assert load_config(path, environ={}).endpoints.grpc_addr == "my-testnet-node:443"
    with caplog.at_level(logging.WARNING):
        mainnet = load_config(path, cli_network="mainnet", environ={})
    assert mainnet.endpoints.grpc_addr == NETWORKS["mainnet"].grpc_addr
    assert "ignoring the config file's endpoints" in caplog.text


def test_grpc_tls_override(tmp_path: Path):
    path = config_file(tmp_path, "endpoints:\n  grpc_tls: true\n")
    assert load_config(path, environ={}).tls is True


# --- local talks to loopback only --------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.3.2.1", "localhost", "LOCALHOST", "::1", "[::1]", "::ffff:127.0.0.1"]
)
def test_loopback_hosts(host: str):
    assert is_loopback_host(host)


@pytest.mark.parametrize(
    "host", ["10.0.0.1", "0.0.0.0", "192.168.1.2", "example.com", "localhost.evil.com", "::", ""]
)
def test_non_loopback_hosts(host: str):
    assert not is_loopback_host(host)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("rest_url", "http://10.1.2.3:3002"),
        ("ws_url", "wss://indexer.dydx.trade/v4/ws"),
        ("grpc_addr", "node.example.org:9090"),
        ("grpc_addr", "[2001:db8::1]:9090"),
    ],
)
def test_local_refuses_non_loopback_from_the_file(tmp_path: Path, key: str, value: str):
    path = config_file(tmp_path, f"endpoints:\n  {key}: '{value}'\n")
    with pytest.raises(NetworkRefused) as caught:
        load_config(path, environ={})
    message = str(caught.value)
    assert f"endpoints.{key}" in message
    assert "network local only talks to this machine" in message


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        (ENV_REST_URL, "https://indexer.dydx.trade"),
        (ENV_WS_URL, "ws://192.168.0.5:3003"),
        (ENV_GRPC_ADDR, "oegs.dydx.trade:443"),
    ],
)
def test_local_refuses_non_loopback_from_the_environment(variable: str, value: str):
    with pytest.raises(NetworkRefused) as caught:
        load_config(environ={variable: value})
    assert variable in str(caught.value)


def test_ipv6_loopback_is_fine_for_local():
    resolved = load_config(environ={ENV_GRPC_ADDR: "[::1]:9090", ENV_WS_URL: "ws://[::1]:3003"})
    assert resolved.endpoints.grpc_addr == "[::1]:9090"


def test_testnet_accepts_remote_endpoints(tmp_path: Path):
    path = config_file(tmp_path, "network: testnet\n" + WATCH)
    resolved = load_config(path, environ={ENV_GRPC_ADDR: "oegs-testnet.dydx.exchange:443"})
    assert resolved.endpoints.grpc_addr == "oegs-testnet.dydx.exchange:443"


# --- mainnet only from the command line --------------------------------------------------


def test_never_defaults_to_mainnet():
    assert Settings().network == "local"
    assert resolve_network(None, Settings()) == "local"
    assert resolve_config(Settings(), env=EnvOverrides()).network == "local"


def test_config_file_alone_cannot_select_mainnet(tmp_path: Path):
    path = config_file(tmp_path, "network: mainnet\n" + WATCH)
    with pytest.raises(MainnetRefused) as caught:
        load_config(path, environ={})
    assert "--network mainnet" in str(caught.value)
    assert "config file" in str(caught.value)


def test_resolve_network():
    on_mainnet = parse_settings("network: mainnet\n", "c.yaml")
    on_testnet = parse_settings("network: testnet\n", "c.yaml")
    assert resolve_network("mainnet", on_mainnet) == "mainnet"
    assert resolve_network("mainnet", on_testnet) == "mainnet"
    assert resolve_network("local", on_mainnet) == "local"
    assert resolve_network(None, on_testnet) == "testnet"
    with pytest.raises(MainnetRefused):
        resolve_network(None, on_mainnet)
    with pytest.raises(ValueError, match="unknown network"):
        resolve_network("moon", on_testnet)


def test_mainnet_from_the_command_line_with_file_saying_mainnet(tmp_path: Path):
    path = config_file(
        tmp_path,
        "network: mainnet\nendpoints:\n  grpc_addr: dydx-grpc.publicnode.com:443\n" + WATCH,
    )
    resolved = load_config(path, cli_network="mainnet", environ={})
    assert resolved.network == "mainnet"
    assert resolved.endpoints.grpc_addr == "dydx-grpc.publicnode.com:443"


def test_non_interactive_mainnet_needs_the_acknowledgement():
    with pytest.raises(MainnetRefused, match="--i-understand-mainnet"):
        require_mainnet_ack(False)
    with pytest.raises(MainnetRefused):
        require_mainnet_ack(False, "mainnet")
    require_mainnet_ack(True)
    require_mainnet_ack(False, "testnet")
    require_mainnet_ack(False, "local")


# --- chain id ----------------------------------------------------------------------------


async def test_chain_id_match_passes():
    async def node_says() -> str:
        return "dydx-testnet-4"

    assert await check_chain_id("dydx-testnet-4", node_says) == "dydx-testnet-4"


async def test_chain_id_mismatch_is_refused_naming_both():
    async def node_says() -> str:
        return "dydx-mainnet-1"

    with pytest.raises(NetworkMismatch) as caught:
        await check_chain_id("dydx-testnet-4", node_says, where="node.example:443")
    message = str(caught.value)
    assert "dydx-mainnet-1" in message and "dydx-testnet-4" in message
    assert "node.example:443" in message
    assert isinstance(caught.value, NetworkRefused)
    assert (caught.value.expected, caught.value.actual) == ("dydx-testnet-4", "dydx-mainnet-1")


async def test_chain_id_fetch_errors_propagate():
    async def node_down() -> str:
        raise ConnectionError("unreachable")

    with pytest.raises(ConnectionError):
        await check_chain_id("localdydxprotocol", node_down)


def test_chain_id_from_node_info():
    from v4_proto.cosmos.base.tendermint.v1beta1.query_pb2 import GetNodeInfoResponse

    response = GetNodeInfoResponse()
    response.default_node_info.network = "localdydxprotocol"
    assert chain_id_from_node_info(response) == "localdydxprotocol"


# --- command-line glue -------------------------------------------------------------------


def _parser(non_interactive: bool):
    import argparse

    from tui_app.config import add_config_arguments

    parser = argparse.ArgumentParser()
    add_config_arguments(parser, non_interactive=non_interactive)
    return parser


def test_command_line_glue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from tui_app.config import config_from_args

    path = config_file(tmp_path, WATCH)
    status = _parser(non_interactive=True)
    assert config_from_args(status.parse_args(["--config", str(path)])).network == "local"
    with pytest.raises(MainnetRefused, match="--i-understand-mainnet"):
        config_from_args(status.parse_args(["--config", str(path), "--network", "mainnet"]))
    acknowledged = status.parse_args(
        ["--config", str(path), "--network", "mainnet", "--i-understand-mainnet"]
    )
    assert config_from_args(acknowledged).network == "mainnet"

    # The TUI has no such flag: its typed confirmation comes later.
    tui = _parser(non_interactive=False)
    resolved = config_from_args(tui.parse_args(["--config", str(path), "--network", "mainnet"]))
    assert resolved.is_mainnet
    with pytest.raises(SystemExit):
        tui.parse_args(["--network", "moon"])

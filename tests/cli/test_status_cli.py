"""`dydx-tui status`: against a `dydx-tui sim` subprocess, a devnet with another chain id,
mainnet without the flags, nothing running (embedded devnet), an unreachable network."""

from __future__ import annotations

import socket
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from tui_app.commands.status import collect_status
from tui_app.config import ENV_GRPC_ADDR, ENV_MNEMONIC, ENV_REST_URL, ENV_WS_URL, load_config
from tui_app.devnet.accounts import ALICE
from tui_app.devnet.chain import Chain
from tui_app.devnet.markets import DEFAULT_MARKETS
from tui_app.devnet.node import Devnet, DevnetConfig
from tui_app.feed.embedded import embedded_devnet

from .conftest import Cli

pytestmark = pytest.mark.timeout(90)

FIELDS = (
    "network", "chain_id", "ws_state", "last_message_age_s", "messages_per_second",
    "block_height", "block_age_s", "indexer_lag_blocks", "round_trip_ms", "rest_rate_limited",
    "rejected_messages",
)  # fmt: skip


def status_cli(endpoints: dict, tmp_path: Path) -> Cli:
    return Cli(endpoints, tmp_path, tmp_path / "unused.sqlite3")


def test_status_json_against_a_sim_subprocess(sim, tmp_path):
    result = status_cli(sim.ready, tmp_path)("status", "--json", db=False)
    assert result.code == 0, result.err
    data = result.json
    for name in FIELDS:
        assert name in data, name
    assert data["ok"] and data["problems"] == []
    assert data["network"] == "local" and data["chain_id"] == "localdydxprotocol"
    assert data["node_chain_id"] == "localdydxprotocol"
    assert data["embedded_devnet"] is False  # the sim answered: used, not shadowed
    assert data["ws_state"] == "live"
    assert data["block_height"] >= 1 and data["block_age_s"] >= 0
    assert data["indexer_lag_blocks"] >= 0
    assert data["round_trip_ms"] > 0 and data["messages_per_second"] > 0
    assert data["last_message_age_s"] >= 0
    assert data["rest_rate_limited"] is False and data["rejected_messages"] == 0
    assert data["endpoints"]["rest"] == sim.ready["rest"]


def test_status_human_output_names_every_field(sim, tmp_path):
    result = status_cli(sim.ready, tmp_path).inline("status", db=False)
    assert result.code == 0, result.err
    for label in ("network", "websocket", "last message", "message rate", "block",
                  "indexer lag", "latency", "rest limit", "rejected msgs"):  # fmt: skip
        assert label in result.out
    assert "live" in result.out and "result         ok" in result.out


def other_chain(config: DevnetConfig) -> Chain:
    params = replace(config.chain_params(), chain_id="other-1", synthetic_traders=False)
    return Chain(params, markets=DEFAULT_MARKETS)


def test_a_node_with_another_chain_id_is_refused(tmp_path):
    config = DevnetConfig(grpc_port=0, rest_port=0, ws_port=0, block_time=Decimal("0.2"))
    with Devnet(config, chain_factory=other_chain) as devnet:
        endpoints = devnet.endpoints
        cli = status_cli(
            {"grpc": endpoints.grpc, "rest": endpoints.rest_url, "ws": endpoints.ws_url},
            tmp_path,
        )
        result = cli.inline("status", "--json", db=False)
        human = cli.inline("status", db=False)
    assert result.code == 2
    assert result.json["ok"] is False and result.json["node_chain_id"] == "other-1"
    assert "chain id mismatch" in result.err
    assert "'other-1'" in result.err and "'localdydxprotocol'" in result.err
    assert human.code == 2 and "refusing to run" in human.err


def test_mainnet_needs_the_flag(tmp_path):
    cli = status_cli({"grpc": "127.0.0.1:1", "rest": "http://127.0.0.1:1",
                      "ws": "ws://127.0.0.1:1"}, tmp_path)  # fmt: skip
    result = cli.inline("status", "--network", "mainnet", db=False)
    assert result.code == 2
    assert "--i-understand-mainnet" in result.err and "mainnet" in result.err
    # A config file alone never selects mainnet, flag or not.
    config = tmp_path / "mainnet.yaml"
    config.write_text("network: mainnet\n")
    result = cli.inline("status", "--config", str(config), "--i-understand-mainnet", db=False)
    assert result.code == 2 and "--network mainnet" in result.err


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_endpoints() -> dict[str, str]:
    return {
        ENV_GRPC_ADDR: f"127.0.0.1:{free_port()}",
        ENV_REST_URL: f"http://127.0.0.1:{free_port()}",
        ENV_WS_URL: f"ws://127.0.0.1:{free_port()}/v4/ws",
    }


async def test_nothing_running_on_local_starts_the_embedded_devnet():
    config = load_config(environ=closed_endpoints())
    report = await collect_status(config, seconds=10, any_ports=True)
    assert report.exit_code == 0, report.problems
    assert report.embedded_devnet
    assert report.endpoints["rest"] != config.endpoints.rest_url  # free ports were taken
    assert report.status is not None and report.status.block_height
    data = report.as_dict()
    assert data["embedded_devnet"] is True and data["ws_state"] == "live"


def test_the_embedded_devnet_is_never_started_for_testnet():
    environ = {**closed_endpoints(), ENV_MNEMONIC: ALICE.mnemonic}
    config = load_config(cli_network="testnet", environ=environ)
    with embedded_devnet(config) as local:
        assert not local.embedded and local.config is config


async def test_an_unreachable_network_exits_1(tmp_path):
    settings = tmp_path / "config.yaml"
    settings.write_text("feed:\n  rest_max_retries: 0\n  rest_timeout_seconds: 1\n")
    environ = {**closed_endpoints(), ENV_MNEMONIC: ALICE.mnemonic}
    config = load_config(str(settings), cli_network="testnet", environ=environ)
    # testnet wants TLS; these loopback ports refuse either way.
    report = await collect_status(config, seconds=1)
    assert report.exit_code == 1
    assert not report.embedded_devnet
    assert any("node unreachable" in p for p in report.problems)
    assert any("WebSocket unreachable" in p and "REST does not answer" in p
               for p in report.problems)  # fmt: skip

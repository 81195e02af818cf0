"""`dydx-tui status [--json]`: check the network once and print the connection status.

Resolves the config (mainnet needs `--network mainnet --i-understand-mainnet`), asks the
node for its chain id (a mismatch is refused), runs the indexer feed for a few seconds and
prints the ConnectionStatus fields. On `local` with nothing listening it starts the
embedded devnet for the check and says so.

Exit codes: 0 all reachable; 1 unreachable (node or indexer); 2 misconfigured or refused
(config error, mainnet without the flags, chain id mismatch).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tui_app.feed.status import ConnectionStatus, WsState

log = logging.getLogger(__name__)

EXIT_OK, EXIT_UNREACHABLE, EXIT_REFUSED = 0, 1, 2
DEFAULT_SECONDS = 5.0


def add_status_command(commands: Any) -> None:
    from tui_app.config import add_config_arguments

    parser = commands.add_parser(
        "status",
        help="check the network once and print the connection status",
        description="Resolve the config, check the node's chain id, connect the indexer feed "
        "for a few seconds and print the connection status. Exits 1 when the network is "
        "unreachable, 2 when it is misconfigured or refused.",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument(
        "--seconds",
        type=float,
        default=DEFAULT_SECONDS,
        help="longest time to watch the feed (default %(default)s; it stops once every "
        "field is known)",
    )
    parser.add_argument("--log-file", default=None, help="log file (default: the XDG state dir)")
    add_config_arguments(parser, non_interactive=True)


@dataclass
class StatusReport:
    network: str
    chain_id: str
    node_chain_id: str | None = None
    embedded_devnet: bool = False
    endpoints: dict[str, str] = field(default_factory=dict)
    account: str = ""
    status: ConnectionStatus | None = None
    problems: list[str] = field(default_factory=list)
    exit_code: int = EXIT_OK

    def as_dict(self, now: float | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ok": self.exit_code == EXIT_OK,
            "exit_code": self.exit_code,
            "network": self.network,
            "chain_id": self.chain_id,
            "node_chain_id": self.node_chain_id,
            "embedded_devnet": self.embedded_devnet,
            "endpoints": self.endpoints,
            "account": self.account,
            "problems": self.problems,
        }
        if self.status is not None:
            data.update(status_fields(self.status, now))
        return data


def status_fields(status: ConnectionStatus, now: float | None = None) -> dict[str, Any]:
    """The ConnectionStatus as plain JSON-ready values (ages in seconds, from `now`)."""
    now = time.monotonic() if now is None else now
    age = status.message_age(now)
    block_age = None
    if status.block_time is not None:
        block_age = max(0.0, (datetime.now(UTC) - status.block_time).total_seconds())
    limited = status.rest_rate_limited_until
    return {
        "ws_state": status.ws_state.value,
        "ws_state_label": status.state_label,
        "reconnect_attempt": status.reconnect_attempt,
        "last_message_age_s": None if age is None else round(age, 3),
        "messages_per_second": status.messages_per_second,
        "block_height": status.block_height,
        "block_time": status.block_time.isoformat() if status.block_time else None,
        "block_age_s": None if block_age is None else round(block_age, 3),
        "indexer_lag_blocks": status.indexer_lag_blocks,
        "round_trip_ms": status.round_trip_ms,
        "round_trip_source": status.extra.get("rtt_source"),
        "rest_rate_limited": limited is not None and limited > now,
        "rest_retry_in_s": round(limited - now, 3) if limited and limited > now else None,
        "rejected_messages": status.rejected_messages,
        "resyncs": status.resyncs,
        "last_error": status.last_error,
    }


def run_status(args: argparse.Namespace) -> int:
    from tui_app.config import STARTUP_ERRORS, config_from_args
    from tui_app.logging_setup import configure_logging

    try:
        config = config_from_args(args)
    except STARTUP_ERRORS as exc:
        return _refused(args, str(exc))
    configure_logging(config.settings.log_level, args.log_file or config.paths.log_file)
    logging.getLogger("dydx_v4_client.network").setLevel(logging.ERROR)
    report = asyncio.run(collect_status(config, seconds=args.seconds))
    _print(args, report)
    return report.exit_code


async def collect_status(
    config: Any, *, seconds: float = DEFAULT_SECONDS, any_ports: bool = False
) -> StatusReport:
    """Check the network of `config`: chain id, then the feed for up to `seconds`."""
    from tui_app.feed.embedded import embedded_devnet_async

    async with embedded_devnet_async(config, any_ports=any_ports) as local:
        config = local.config
        endpoints = config.endpoints
        report = StatusReport(
            network=config.network,
            chain_id=config.chain_id,
            embedded_devnet=local.embedded,
            endpoints={
                "rest": endpoints.rest_url,
                "ws": endpoints.ws_url,
                "grpc": endpoints.grpc_addr,
            },  # fmt: skip
            account=f"{config.address}/{config.subaccount_number}",
        )
        await _check(config, report, seconds)
        return report


async def _check(config: Any, report: StatusReport, seconds: float) -> None:
    from tui_app.feed.feed import IndexerFeed
    from tui_app.feed.node_probe import NodeProbe, NodeUnreachable
    from tui_app.networks import NetworkMismatch, check_chain_id

    endpoints = config.endpoints
    probe = NodeProbe(endpoints.grpc_addr, secure=endpoints.grpc_tls)
    try:
        try:
            report.node_chain_id = await check_chain_id(
                config.chain_id, probe.chain_id, where=endpoints.grpc_addr
            )
        except NetworkMismatch as exc:
            report.node_chain_id = exc.actual
            report.problems.append(str(exc))
            report.exit_code = EXIT_REFUSED
            return  # nothing more to learn from the wrong chain
        except NodeUnreachable as exc:
            report.problems.append(f"node unreachable: {exc}")
            report.exit_code = EXIT_UNREACHABLE
        node_height = probe.latest_height if report.node_chain_id else None
        feed = IndexerFeed.from_config(config, node_height=node_height, probe_interval=0.5)
        async with feed:
            await _watch(feed, seconds, want_lag=node_height is not None)
            if feed.status.ws_state is not WsState.LIVE:
                await _try_rest(feed)
            report.status = feed.status
        _judge(feed, report)
    finally:
        probe.close()


async def _watch(feed: Any, seconds: float, *, want_lag: bool) -> None:
    """Until every field is known (or `seconds` pass): live, snapshot, height, lag, RTT."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        status = feed.status
        if (
            status.ws_state is WsState.LIVE
            and feed.state.snapshot_received
            and status.block_height is not None
            and status.round_trip_ms is not None
            and (status.indexer_lag_blocks is not None or not want_lag)
        ):
            return
        await asyncio.sleep(0.05)


async def _try_rest(feed: Any) -> None:
    """The WebSocket never came up: does REST answer at least?"""
    from tui_app.feed.rest_poller import RestRateLimited

    try:
        await feed.poll_once()
    except RestRateLimited:
        pass  # noted in the status


def _judge(feed: Any, report: StatusReport) -> None:
    status = report.status
    assert status is not None
    if status.ws_state is not WsState.LIVE:
        rest = "REST answers" if feed.polls else "REST does not answer either"
        detail = f" ({status.last_error})" if status.last_error else ""
        report.problems.append(f"indexer WebSocket unreachable{detail}; {rest}")
        report.exit_code = report.exit_code or EXIT_UNREACHABLE
    elif not feed.state.snapshot_received:
        report.problems.append("no subaccount snapshot from the indexer")
        report.exit_code = report.exit_code or EXIT_UNREACHABLE


def _refused(args: argparse.Namespace, message: str) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"ok": False, "exit_code": EXIT_REFUSED, "problems": [message]}))
    print(f"dydx-tui status: {message}", file=sys.stderr)
    return EXIT_REFUSED


def _print(args: argparse.Namespace, report: StatusReport) -> None:
    data = report.as_dict()
    if args.json:
        print(json.dumps(data))
    else:
        print(format_report(data))
    for problem in report.problems:
        print(f"dydx-tui status: {problem}", file=sys.stderr)


def format_report(data: dict[str, Any]) -> str:
    def value(key: str, unit: str = "") -> str:
        v = data.get(key)
        return "-" if v is None else f"{v}{unit}"

    node = data.get("node_chain_id") or "unknown"
    lines = [
        f"network        {data['network']} (chain id {data['chain_id']}; node says {node})",
    ]
    if data["embedded_devnet"]:
        lines.append(
            "devnet         embedded: nothing answered on the local ports, so this "
            "command started one in-process (it stops on exit)"
        )
    lines += [
        f"account        {data['account']}",
        f"endpoints      REST {data['endpoints']['rest']}  WS {data['endpoints']['ws']}  "
        f"gRPC {data['endpoints']['grpc']}",
    ]
    if "ws_state" in data:
        limited = (
            f"limited, retry in {data['rest_retry_in_s']} s" if data["rest_rate_limited"] else "ok"
        )
        lines += [
            f"websocket      {data['ws_state_label']}",
            f"last message   {value('last_message_age_s', ' s ago')}",
            f"message rate   {value('messages_per_second', '/s')}",
            f"block          {value('block_height')} ({value('block_age_s', ' s old')})",
            f"indexer lag    {value('indexer_lag_blocks', ' blocks')}",
            f"latency        {value('round_trip_ms', ' ms')} ({data['round_trip_source']})",
            f"rest limit     {limited}",
            f"rejected msgs  {data['rejected_messages']}",
        ]
    result = "ok" if data["ok"] else f"PROBLEM (exit {data['exit_code']})"
    lines.append(f"result         {result}")
    return "\n".join(lines)

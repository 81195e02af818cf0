"""The `dydx-tui` command: the TUI (no command) and `dydx-tui sim`, the standalone devnet.

Kept thin: parsing here, the work in tui_app.devnet.node and tui_app.logging_setup. The TUI
and Textual must be imported lazily, inside the command that needs them, so that `sim`
starts fast and imports no UI (tests/test_import_hygiene.py checks it).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import re
import signal
import sys
import threading
from collections.abc import Sequence
from decimal import Decimal

from tui_app import __version__
from tui_app.commands.status import add_status_command, run_status
from tui_app.commands.trading import TRADING_COMMANDS, add_trading_commands, run_trading
from tui_app.devnet.params import DEFAULT_SHORT_BLOCK_WINDOW
from tui_app.logging_setup import LOG_LEVELS, configure_logging

log = logging.getLogger(__name__)


# Strict ASCII: int() and Decimal() also take full-width or Arabic-Indic digits,
# underscores and surrounding spaces, which a command line should refuse.
_ASCII_INT = re.compile(r"[0-9]{1,10}")
_ASCII_SECONDS = re.compile(r"[0-9]{1,6}(\.[0-9]{1,6})?")


def _port(text: str) -> int:
    if not _ASCII_INT.fullmatch(text):
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}")
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535 (0 picks a free one): {port}")
    return port


def _seconds(text: str) -> Decimal:
    if not _ASCII_SECONDS.fullmatch(text):
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}")
    value = Decimal(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text}")
    return value


def _non_negative(text: str) -> int:
    if not _ASCII_INT.fullmatch(text):
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dydx-tui",
        description="A keyboard-driven terminal trading app for dYdX v4.",
    )
    parser.add_argument("--version", action="version", version=f"dydx-tui {__version__}")
    # The TUI's options (no command): network, config file and order store.
    from tui_app.config import add_config_arguments

    add_config_arguments(parser, non_interactive=False)
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=None,
        help="order metadata store (default: one file per network in the XDG data dir)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    sim = commands.add_parser(
        "sim",
        help="run the local dYdX devnet standalone (validator gRPC and indexer)",
        description="Run the local dYdX devnet on loopback until Ctrl-C or SIGTERM. "
        "When it serves, one JSON line with its endpoints is printed on stdout.",
    )
    sim.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default %(default)s)",
    )
    sim.add_argument(
        "--grpc-port",
        type=_port,
        default=9090,
        help="validator gRPC (default %(default)s; 0: any free port)",
    )
    sim.add_argument(
        "--rest-port",
        type=_port,
        default=3002,
        help="indexer REST (default %(default)s; 0: any free port)",
    )
    sim.add_argument(
        "--ws-port",
        type=_port,
        default=3003,
        help="indexer WebSocket (default %(default)s; 0: any free port)",
    )
    sim.add_argument(
        "--admin-port",
        type=_port,
        default=None,
        help="fault-injection admin endpoint (default: off; 0: any free port)",
    )
    sim.add_argument(
        "--block-time",
        type=_seconds,
        default=Decimal("1.0"),
        help="seconds per block (default %(default)s)",
    )
    sim.add_argument(
        "--seed",
        type=_non_negative,
        default=0,
        help="seed of oracle prices and synthetic traders (default %(default)s)",
    )
    sim.add_argument(
        "--latency-ms",
        type=_non_negative,
        default=0,
        help="delay added to every gRPC, REST and WebSocket message (default %(default)s)",
    )
    sim.add_argument(
        "--short-block-window",
        type=_non_negative,
        default=DEFAULT_SHORT_BLOCK_WINDOW,
        help="blocks a short-term order may live (default %(default)s, as the Python client "
        "assumes; the chain uses 40 since late 2025)",
    )
    sim.add_argument("--no-traders", action="store_true", help="no synthetic makers and takers")
    _add_logging_arguments(sim, file_help="log file, or - for stderr (default: the XDG state dir)")
    add_trading_commands(commands)
    add_status_command(commands)
    return parser


def _add_logging_arguments(parser: argparse.ArgumentParser, file_help: str) -> None:
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default="INFO",
        help="default %(default)s",
    )
    parser.add_argument("--log-file", default=None, help=file_help)


def main(argv: Sequence[str] | None = None) -> int:
    # Starting is mostly imports: many objects and no garbage, so the collector's passes
    # are wasted (~10% of the TUI's start). The TUI turns it back on once its first rows
    # are on screen (tui_app.launch.resume_gc); the commands right after parsing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        args = build_parser().parse_args(argv)
        if args.command is not None and collecting:
            gc.enable()
        if args.command == "sim":
            return run_sim(args)
        if args.command in TRADING_COMMANDS:
            return run_trading(args)
        if args.command == "status":
            return run_status(args)
        return run_tui_command(args)
    finally:
        if collecting:
            gc.enable()  # as it was (main is also called in-process, by tests)


def run_tui_command(args: argparse.Namespace) -> int:
    """The TUI: on `local` with nothing listening, the embedded devnet and demo account."""
    from tui_app.config import STARTUP_ERRORS, config_from_args

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Without a terminal the TUI would wait for keys that never come.
        print(
            "dydx-tui: the TUI needs a terminal. For scripts use the commands "
            "(orders, positions, place, cancel, cancel-all, close, status) or "
            "`dydx-tui sim` for the devnet; `dydx-tui --help` lists them.",
            file=sys.stderr,
        )
        return 2
    try:
        config = config_from_args(args)
    except STARTUP_ERRORS as exc:
        print(f"dydx-tui: {exc}", file=sys.stderr)
        return 2
    # Logs go to a file: anything on stderr would draw over the TUI.
    log_target = configure_logging(config.settings.log_level, config.paths.log_file)
    log.info("dydx-tui %s starting the TUI on %s (logs: %s)", __version__, config.network,
             log_target)
    from tui_app.launch import run_tui

    try:
        return run_tui(config, args.db)
    except Exception as exc:  # startup failed before the app ran (devnet, store, node)
        log.exception("the TUI could not start")
        print(f"dydx-tui: error: {exc}", file=sys.stderr)
        return 1


def run_sim(args: argparse.Namespace) -> int:
    # Imported here so that `dydx-tui --version` needs no devnet.
    from tui_app.devnet.node import Devnet, DevnetConfig, DevnetStartError

    log_target = configure_logging(args.log_level, args.log_file)
    config = DevnetConfig(
        host=args.host,
        grpc_port=args.grpc_port,
        rest_port=args.rest_port,
        ws_port=args.ws_port,
        admin_port=args.admin_port,
        block_time=args.block_time,
        seed=args.seed,
        latency_ms=args.latency_ms,
        short_block_window=args.short_block_window,
        synthetic_traders=not args.no_traders,
    )
    log.info("dydx-tui %s sim starting: %s (logs: %s)", __version__, config, log_target)

    # Signals only set a flag: the main thread then stops the devnet in an orderly way.
    stop_requested = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    devnet = Devnet(config)
    try:
        endpoints = devnet.start_sync()
    except (DevnetStartError, ValueError) as exc:
        log.error("devnet did not start: %s", exc)
        print(f"dydx-tui sim: error: {exc}", file=sys.stderr)
        return 1
    try:
        print(json.dumps(endpoints.ready_event()), flush=True)
        # A timeout keeps the main thread responsive to signals on every platform.
        while not stop_requested.wait(0.5):
            pass
    finally:
        devnet.stop_sync()
    return 0


if __name__ == "__main__":
    sys.exit(main())

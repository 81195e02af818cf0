"""`dydx-tui orders | positions | place | cancel | cancel-all | close`: the controller for
scripts and SSH one-liners.

Each prints a short human summary, or one JSON document with `--json`; on failure it
prints one line `dydx-tui CMD: error: REASON` on stderr and exits non-zero:
1 failed, 2 refused before anything was done (usage, config, missing --yes),
3 outcome unknown (the node did not answer in time; `dydx-tui orders` settles it later).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tui_app.commands.session import CommandError, controller_error_message, open_session

EXIT_FAILED = 1
EXIT_REFUSED = 2
EXIT_UNKNOWN = 3


# ----- parsers -------------------------------------------------------------------------------


def add_trading_commands(commands: Any) -> None:
    """Register the subcommands on the `dydx-tui` subparsers object."""
    orders = _command(commands, "orders", "list orders from the order store, reconciled first")
    orders.add_argument("--status", choices=("open", "all"), default="open")
    orders.add_argument("--market", metavar="M", help="only this market, e.g. BTC-USD")

    _command(commands, "positions", "list open positions of the subaccount (from the indexer)")

    place = _command(commands, "place", "place an order")
    place.add_argument("--market", required=True, metavar="M", help="e.g. BTC-USD")
    place.add_argument("--side", required=True, type=str.lower, choices=("buy", "sell"))
    place.add_argument("--size", required=True, type=_decimal, metavar="S")
    place.add_argument("--price", type=_decimal, metavar="P",
                       help="limit price; for --type market the worst price accepted")  # fmt: skip
    place.add_argument("--type", dest="order_type", type=str.lower,
                       choices=("limit", "market"), default="limit")  # fmt: skip
    place.add_argument("--tif", type=str.lower, choices=("gtt", "ioc", "fok"), default="gtt",
                       help="time in force (fok is deprecated on dYdX and refused)")  # fmt: skip
    place.add_argument("--post-only", action="store_true")
    place.add_argument("--reduce-only", action="store_true", help="short-term IOC orders only")
    place.add_argument(
        "--long-term",
        action="store_true",
        help="a stateful order (good til a time) instead of a short-term one",
    )

    cancel = _command(commands, "cancel", "cancel one order")
    cancel.add_argument("order_id", metavar="ORDER_ID", help="the order's id (see `orders`)")

    cancel_all = _command(commands, "cancel-all", "cancel every open order (of one market)")
    cancel_all.add_argument("--market", metavar="M")
    cancel_all.add_argument("--yes", action="store_true", help="required: really cancel them")

    close = _command(commands, "close", "close a position with a reduce-only market order")
    close.add_argument("market", metavar="MARKET")
    close.add_argument("--yes", action="store_true", help="required: really close it")


def _command(commands: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    from tui_app.config import add_config_arguments
    from tui_app.logging_setup import LOG_LEVELS

    parser = commands.add_parser(name, help=help_text, description=help_text + ".")
    add_config_arguments(parser, non_interactive=True)
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=None,
        help="order store (default: one file per network in the XDG data dir)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--log-level", type=str.upper, choices=LOG_LEVELS, default="INFO")
    parser.add_argument("--log-file", default=None, help="log file, or - for stderr")
    return parser


def _decimal(text: str) -> Decimal:
    from tui_app.chain.quantize import QuantizeError, parse_decimal

    try:
        return parse_decimal(text, "value")
    except QuantizeError:
        raise argparse.ArgumentTypeError(f"not a plain decimal number: {text!r}") from None


TRADING_COMMANDS = ("orders", "positions", "place", "cancel", "cancel-all", "close")


# ----- running -------------------------------------------------------------------------------


def run_trading(args: argparse.Namespace) -> int:
    from tui_app.logging_setup import configure_logging

    configure_logging(args.log_level, args.log_file)
    handler = _HANDLERS[args.command]
    try:
        return asyncio.run(handler(args))
    except CommandError as exc:
        return _fail(args, str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return _fail(args, "interrupted", EXIT_FAILED)
    except Exception as exc:
        import logging

        logging.getLogger(__name__).exception("dydx-tui %s failed", args.command)
        return _fail(args, controller_error_message(exc), EXIT_FAILED)


def _fail(args: argparse.Namespace, message: str, code: int) -> int:
    line = " ".join(message.split())  # one line, whatever the message held
    if getattr(args, "json", False):
        print(json.dumps({"ok": False, "error": line, "exit_code": code}))
    print(f"dydx-tui {args.command}: error: {line}", file=sys.stderr)
    return code


async def cmd_orders(args: argparse.Namespace) -> int:
    from tui_app.store import OPEN_STATUSES

    async with open_session(args, trading=None) as s:
        if s.controller is None:
            return await _indexer_orders(args, s)
        summary = await s.controller.reconcile()
        statuses = OPEN_STATUSES if args.status == "open" else None
        rows = await s.store.list_orders(statuses=statuses, symbol=args.market)
    if args.json:
        _print_json({"ok": True, "orders": [_order_json(r) for r in rows],
                     "reconcile": _reconcile_json(summary)})  # fmt: skip
        return 0
    if not rows:
        print("no orders" + (f" in {args.market}" if args.market else ""))
    for r in rows:
        until = f"GTB {r.good_til_block}" if r.is_short_term else _time(r.good_til_block_time)
        print(f"{r.order_id}  {r.symbol:<9} {r.side:<4} {r.quantity} @ {r.price} "
              f"{r.order_type}/{r.time_in_force}  {r.status.value:<21} {until}")  # fmt: skip
    return 0


async def _indexer_orders(args: argparse.Namespace, s: Any) -> int:
    """Read-only (no key, so no store of ours): the indexer's view of the account."""
    if args.status == "open":
        orders = await s.reader.open_orders(ticker=args.market)
    else:
        orders = [o for o in await s.reader.latest_orders() if args.market in (None, o.ticker)]
    if args.json:
        _print_json({"ok": True, "read_only": True,
                     "orders": [o.model_dump(mode="json") for o in orders]})  # fmt: skip
        return 0
    print(f"read-only: the indexer's orders of {s.config.address}")
    for o in orders:
        print(f"{o.id}  {o.ticker or '?':<9} {o.side or '?':<4} {o.size} @ {o.price} "
              f"{o.type or ''}/{o.time_in_force or ''}  {o.status}")  # fmt: skip
    return 0


async def cmd_positions(args: argparse.Namespace) -> int:
    async with open_session(args, trading=False) as s:
        subaccount = await s.reader.subaccount()
    positions = [] if subaccount is None else [
        p for p in subaccount.open_perpetual_positions.values() if p.status.upper() == "OPEN"
    ]  # fmt: skip
    if args.json:
        _print_json({
            "ok": True,
            "equity": subaccount.equity if subaccount else None,
            "free_collateral": subaccount.free_collateral if subaccount else None,
            "positions": [
                {"market": p.market, "side": p.side, "size": p.size, "entry_price": p.entry_price,
                 "unrealized_pnl": p.unrealized_pnl} for p in positions
            ],
        })  # fmt: skip
        return 0
    if subaccount is None:
        print("the indexer knows no such subaccount (no deposit yet?)")
        return 0
    print(f"equity {subaccount.equity}  free collateral {subaccount.free_collateral}")
    if not positions:
        print("no open positions")
    for p in positions:
        print(f"{p.market:<9} {p.side:<5} {p.size} @ {p.entry_price}  uPnL {p.unrealized_pnl}")
    return 0


async def cmd_place(args: argparse.Namespace) -> int:
    from tui_app.controller.requests import OrderType, PlaceRequest, TimeInForceChoice

    request = PlaceRequest(
        market=args.market.upper(),
        side=args.side.upper(),
        size=args.size,
        price=args.price,
        order_type=OrderType(args.order_type),
        time_in_force=TimeInForceChoice(args.tif),
        post_only=args.post_only,
        reduce_only=args.reduce_only,
        long_term=args.long_term,
    )
    async with open_session(args, trading=True) as s:
        outcome = await s.controller.place(request)
    return _place_result(args, outcome)


async def cmd_close(args: argparse.Namespace) -> int:
    if not args.yes:
        raise CommandError(
            f"refusing to close the {args.market} position without --yes", EXIT_REFUSED
        )
    async with open_session(args, trading=True) as s:
        outcome = await s.controller.close_position(args.market.upper())
    return _place_result(args, outcome)


def _place_result(args: argparse.Namespace, outcome: Any) -> int:
    code = 0 if outcome.status == "active" else EXIT_UNKNOWN
    if args.json:
        _print_json({"ok": code == 0, "order_id": outcome.order_id, "status": outcome.status,
                     "tx_hash": outcome.tx_hash, "message": outcome.message})  # fmt: skip
    else:
        print(f"{outcome.order_id} {outcome.status} {outcome.tx_hash or ''}".rstrip())
    if code:
        print(f"dydx-tui {args.command}: outcome unknown: {outcome.message}", file=sys.stderr)
    return code


async def cmd_cancel(args: argparse.Namespace) -> int:
    async with open_session(args, trading=True) as s:
        outcome = await s.controller.cancel(args.order_id)
    return _cancel_results(args, [outcome], single=True)


async def cmd_cancel_all(args: argparse.Namespace) -> int:
    from tui_app.controller.requests import CancelScope

    if not args.yes:
        which = f"all {args.market} orders" if args.market else "all open orders"
        raise CommandError(f"refusing to cancel {which} without --yes", EXIT_REFUSED)
    async with open_session(args, trading=True) as s:
        # Settle rows left pending by an earlier run (a crash, a timeout) first.
        await s.controller.reconcile()
        market = args.market.upper() if args.market else None
        report = await s.controller.cancel_all(CancelScope(market=market))
    return _cancel_results(args, list(report.outcomes), single=False)


def _cancel_results(args: argparse.Namespace, outcomes: list[Any], *, single: bool) -> int:
    from tui_app.controller.requests import CancelResult

    failed = [o for o in outcomes if o.result is CancelResult.FAILED]
    unknown = [o for o in outcomes if o.result is CancelResult.UNKNOWN]
    code = EXIT_FAILED if failed else EXIT_UNKNOWN if unknown else 0
    if args.json:
        _print_json({"ok": code == 0, "outcomes": [_cancel_json(o) for o in outcomes]})
    else:
        if not outcomes:
            print("no open orders")
        for o in outcomes:
            print(f"{o.order_id}  {o.market:<9} {o.result.value:<12} {o.message}")
        if not single and outcomes:
            counts: dict[str, int] = {}
            for o in outcomes:
                counts[o.result.value] = counts.get(o.result.value, 0) + 1
            print(", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    if code:
        first = (failed or unknown)[0]
        print(f"dydx-tui {args.command}: error: {len(failed) + len(unknown)} not cancelled "
              f"({first.order_id}: {first.message})", file=sys.stderr)  # fmt: skip
    return code


_HANDLERS: dict[str, Callable[[argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "orders": cmd_orders,
    "positions": cmd_positions,
    "place": cmd_place,
    "cancel": cmd_cancel,
    "cancel-all": cmd_cancel_all,
    "close": cmd_close,
}


# ----- output --------------------------------------------------------------------------------


def _print_json(value: Any) -> None:
    print(json.dumps(value, default=_json_default, sort_keys=True))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # exact: never through a float
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    raise TypeError(f"not JSON: {type(value).__name__}")


def _time(unix: int | None) -> str:
    if unix is None:
        return ""
    return datetime.fromtimestamp(unix, UTC).strftime("until %Y-%m-%d %H:%M:%SZ")


def _order_json(r: Any) -> dict[str, Any]:
    return {
        "order_id": r.order_id, "market": r.symbol, "side": r.side, "size": r.quantity,
        "price": r.price, "type": r.order_type, "time_in_force": r.time_in_force,
        "post_only": r.post_only, "reduce_only": r.reduce_only, "status": r.status,
        "client_id": r.client_id, "order_flags": r.order_flags, "clob_pair_id": r.clob_pair_id,
        "good_til_block": r.good_til_block, "good_til_block_time": r.good_til_block_time,
        "placed_at": r.placed_at, "tx_hash": r.tx_hash, "cancel_tx_hash": r.cancel_tx_hash,
        "last_error": r.last_error,
    }  # fmt: skip


def _cancel_json(o: Any) -> dict[str, Any]:
    return {"order_id": o.order_id, "market": o.market, "result": o.result, "message": o.message,
            "tx_hash": o.tx_hash, "blocks_left": o.blocks_left}  # fmt: skip


def _reconcile_json(s: Any) -> dict[str, Any]:
    return {"open_on_indexer": s.open_on_indexer, "settled": s.settled,
            "placed_elsewhere": s.placed_elsewhere, "still_unknown": s.still_unknown}  # fmt: skip

"""Bad input, property-based (issue 8, item 4): indexer messages (10,000+ per run), order
form input, CLI arguments and config files. No crash, a specific error, nothing lost, no
order sent. Python's traps are part of the alphabet: NaN/Infinity in JSON and in
Decimal, deep nesting (RecursionError), NaN passing `size <= 0`, and Decimal's acceptance
of full-width and Arabic-Indic digits, underscores and spaces.

Reuses the generators of tests/app/test_fuzz.py (which runs ~2,500 frames); here the
extra promise is "nothing lost": a rejected frame leaves the state exactly as it was,
and a fresh snapshot after any amount of garbage gives exactly the snapshot's orders.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.app.builders import ADDRESS, Frames, order
from tests.app.test_fuzz import BASELINE, garbage, mutated_samples, odd_but_valid_updates
from tests.config.helpers import MARKER_MNEMONIC, marker_leaks
from tests.controller.test_validation import SETTINGS
from tests.controller.test_validation import market as market_info
from tests.ui.fakes import markets as form_markets
from tui_app.chain.quantize import quantums_to_size
from tui_app.controller.errors import InvalidOrder
from tui_app.controller.requests import OrderType, PlaceRequest, TimeInForceChoice
from tui_app.controller.validation import validate
from tui_app.models import MessageRejected, RejectCounter, parse_message
from tui_app.screens.order_form import FormValues, check_order
from tui_app.state import AccountState

from .conftest import add_figure

PLAIN = re.compile(r"[0-9]+(\.[0-9]+)?|\.[0-9]+")
FUZZ = dict(deadline=None, database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip


# ----- indexer messages --------------------------------------------------------------------------


def fingerprint(state: AccountState) -> tuple:
    orders = tuple(sorted((o.id, o.status.value, str(o.data.size), str(o.data.price),
                           str(o.data.total_filled)) for o in state.orders.values()))  # fmt: skip
    return (orders, tuple(sorted(state.positions)), tuple(sorted(state.markets)),
            state.block_height, state.equity, state.free_collateral, state.needs_resync,
            len(state.fills()))  # fmt: skip


FRESH = [order(7), order(8, flags=64)]


@pytest.mark.timeout(900)
def test_hostile_frames_lose_nothing(figures):
    tally = {"frames": 0, "rejected": 0}

    # Hypothesis is the costly part (~8 ms a frame here); tests/feed's hostile-frames test
    # sends another 10,000 seeded frames through the whole feed, so this one stays smaller.
    @settings(max_examples=200, **FUZZ)
    @given(st.lists(st.one_of(mutated_samples(), garbage(), odd_but_valid_updates()),
                    min_size=10, max_size=12))  # fmt: skip
    def run(raws: list[bytes]) -> None:
        state = AccountState(ADDRESS, 0)
        for message in BASELINE:
            state.apply(message)
        counter = RejectCounter()
        for raw in raws:
            before = fingerprint(state)
            message = parse_message(raw, counter)
            state.apply(message)
            if isinstance(message, MessageRejected):
                tally["rejected"] += 1
                # A refused frame changes nothing but the counters and, for the own
                # subaccount, the request for a fresh snapshot.
                assert fingerprint(state)[:-2] == before[:-2]
            for tracked in state.orders.values():  # no NaN/Infinity ever got in
                for value in (tracked.data.size, tracked.data.price, tracked.data.total_filled):
                    assert value is None or value.is_finite()
        assert state.apply_errors == 0
        # Whatever came before, a fresh snapshot gives exactly its orders.
        frames = Frames("fresh-connection")
        state.apply(frames.connected())
        state.apply(frames.snapshot(orders=FRESH))
        assert {o.id for o in state.orders.values() if o.seen} == {o["id"] for o in FRESH}
        assert not state.needs_resync and state.apply_errors == 0
        tally["frames"] += len(raws)

    run()
    assert tally["frames"] >= 2_000 and tally["rejected"] >= 400, tally
    figures("indexer_messages_fuzzed", tally["frames"])


# ----- order form and controller validation ------------------------------------------------------

TRAPS = ["NaN", "-NaN", "sNaN", "Infinity", "-inf", "1e3", "1E-2", "1_000", " 1", "1 ", "+1",
         "-0.001", "0", "0.0", "１", "０.００１", "١", "٠٫٠٠١", "۱", "१", "0x10", "1,5", "1e999999",
         "", ".", "1.", ".5", "00.001", "\u200b1", "1\n", "9" * 400,
         "0." + "0" * 300 + "1"]  # fmt: skip
number_text = st.one_of(
    st.sampled_from(TRAPS),
    st.text(alphabet="0123456789._ eE+-١２", max_size=12),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.text(max_size=8),
)
FORM_MARKETS = form_markets()


@settings(max_examples=1_500, **FUZZ)
@given(size=number_text, price=number_text, market=st.sampled_from(["BTC-USD", "ETH-USD", "X"]),
       order_type=st.sampled_from(list(OrderType)), tif=st.sampled_from(list(TimeInForceChoice)),
       flags=st.tuples(st.booleans(), st.booleans(), st.booleans()))  # fmt: skip
def test_order_form_input_is_refused_or_exact(size, price, market, order_type, tif, flags):
    post_only, reduce_only, long_term = flags
    values = FormValues(market, "BUY", order_type, size, price, tif, post_only, reduce_only,
                        long_term)  # fmt: skip
    check = check_order(values, FORM_MARKETS.get(market), Decimal("1000"), Decimal("-1"))
    add_figure("order_form_inputs_fuzzed", 1)
    if check.request is None:
        assert check.errors  # refused, and it says which field and why
        assert all(isinstance(v, str) and v for v in check.errors.values())
        return
    # Accepted: only plain ASCII decimals, finite and positive, got through...
    assert PLAIN.fullmatch(size) and (not price or PLAIN.fullmatch(price))
    request = check.request
    assert request.size.is_finite() and request.size > 0
    # ...and the controller either takes the exact same number or names the field.
    try:
        order = validate(request, market_info(market), SETTINGS)
    except InvalidOrder as exc:
        assert exc.field and exc.reason
        return
    assert quantums_to_size(order.quantums, order.market.spec) == request.size


@settings(max_examples=500, **FUZZ)
@given(size=st.decimals(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [Decimal("NaN"), Decimal("sNaN"), Decimal("-Infinity"), Decimal("-0"), Decimal("1e999999")]),
    price=st.none() | st.decimals(allow_nan=True, allow_infinity=True))  # fmt: skip
def test_controller_validation_refuses_odd_decimals_by_field(size, price):
    request = PlaceRequest("BTC-USD", "BUY", size, price, order_type=OrderType.MARKET
                           if price is None else OrderType.LIMIT)  # fmt: skip
    try:
        order = validate(request, market_info("BTC-USD"), SETTINGS)
    except InvalidOrder as exc:
        assert exc.field in ("size", "price")
        return
    assert size.is_finite() and size > 0 and order.quantums > 0  # NaN never passes


# ----- CLI arguments -----------------------------------------------------------------------------

cli_word = st.one_of(st.sampled_from(TRAPS), st.text(max_size=10),
                     st.sampled_from(["--size", "--price", "--market", "--side", "--yes",
                                      "--long-term", "--tif", "--type", "--json", "buy",
                                      "BTC-USD", "ioc", "fok", "market"]))  # fmt: skip


def parse(argv: list[str]) -> argparse.Namespace | int:
    from tui_app.cli import build_parser

    sink = io.StringIO()
    with contextlib.redirect_stderr(sink), contextlib.redirect_stdout(sink):
        try:
            return build_parser().parse_args(argv)
        except SystemExit as exc:
            return int(exc.code or 0)


@settings(max_examples=800, **FUZZ)
@given(size=number_text, price=number_text, extra=st.lists(cli_word, max_size=4),
       market=st.sampled_from(["BTC-USD", "eth-usd", "NOPE", ""]))  # fmt: skip
def test_cli_place_arguments_are_refused_or_exact(size, price, extra, market):
    from tui_app.commands.trading import EXIT_REFUSED

    argv = ["place", "--market", market, "--side", "buy", "--size", size, "--price", price,
            *extra]  # fmt: skip
    args = parse(argv)
    add_figure("cli_argument_sets_fuzzed", 1)
    if isinstance(args, int):
        assert args in (0, EXIT_REFUSED)  # argparse's usage error (0: --help)
        return
    assert isinstance(args.size, Decimal) and PLAIN.fullmatch(size)
    request = PlaceRequest(args.market.upper(), args.side.upper(), args.size, args.price,
                           order_type=OrderType(args.order_type),
                           time_in_force=TimeInForceChoice(args.tif), post_only=args.post_only,
                           reduce_only=args.reduce_only, long_term=args.long_term)  # fmt: skip
    if request.market not in ("BTC-USD", "ETH-USD"):
        return  # the controller says "no market" (tests/controller/test_place_cancel.py)
    try:
        order = validate(request, market_info(request.market), SETTINGS)
    except InvalidOrder as exc:
        assert exc.field and exc.reason
        return
    assert quantums_to_size(order.quantums, order.market.spec) == request.size


@settings(max_examples=300, **FUZZ)
@given(
    argv=st.lists(
        cli_word
        | st.sampled_from(
            [
                "sim",
                "status",
                "cancel",
                "cancel-all",
                "orders",
                "close",
                "--block-time",
                "--grpc-port",
                "--seed",
                "--latency-ms",
                "--network",
                "mainnet",
                "--config",
                "--db",
            ]
        ),
        max_size=6,
    )
)
def test_any_command_line_parses_or_is_a_usage_error(argv):
    result = parse(argv)
    assert isinstance(result, argparse.Namespace) or result in (0, 2)
    add_figure("cli_argument_sets_fuzzed", 1)


# ----- config files ------------------------------------------------------------------------------

_keys = st.sampled_from(
    [
        "network",
        "endpoints",
        "account",
        "trading",
        "feed",
        "keys",
        "address",
        "rest_url",
        "ws_url",
        "grpc_addr",
        "grpc_tls",
        "subaccount_number",
        "mnemonic_file",
        "mnemonic",
        "seed",
        "private_key",
        "log_level",
    ]
)
_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(
        [
            MARKER_MNEMONIC,
            "mainnet",
            "testnet",
            "local",
            "http://10.0.0.1:3002",
            "http://127.0.0.1:3002",
            "/dev/null",
            "dydx199tqg4wdlnu4qjlxchpd7seg454937hjrknju4",
            ".nan",
            "1e999",
        ]
    ),
)
_doc = st.recursive(
    _leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(_keys, c, max_size=4), max_leaves=15
)


@settings(max_examples=300, **FUZZ)
@given(document=_doc, network=st.sampled_from([None, "local", "testnet", "mainnet"]))
def test_any_config_file_resolves_or_is_refused_without_the_phrase(tmp_path_factory, document,
                                                                    network):  # fmt: skip
    from tui_app.config import STARTUP_ERRORS, load_config

    path: Path = tmp_path_factory.mktemp("cfg") / "config.yaml"
    path.write_text(yaml.safe_dump(document))
    add_figure("config_files_fuzzed", 1)
    try:
        config = load_config(path, network, {})
    except STARTUP_ERRORS as exc:
        assert marker_leaks(str(exc)) == []
        return
    # Accepted: the phrase never sits in a config file, and local stays on loopback.
    assert MARKER_MNEMONIC not in path.read_text() or "mnemonic" not in str(document)
    assert marker_leaks(repr(config)) == []
    if config.network == "local":
        assert "10.0.0.1" not in config.endpoints.rest_url


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_a_rejection_not_a_recursion_error(depth):
    raw = b"[" * depth + b"]" * depth
    assert isinstance(parse_message(raw), MessageRejected)
    assert isinstance(parse_message(b'{"a":' * depth + b"1" + b"}" * depth), MessageRejected)

"""Fuzzing: thousands of malformed frames through parse_message and AccountState.apply.

Frames are real captured samples mutated (fields removed, added, retyped; NaN, Infinity,
huge and negative numbers; unknown statuses, markets, types and channels), plus raw
garbage (invalid UTF-8, deep nesting, bare NaN constants, truncated JSON). The promise:
no exception escapes, every frame is either a typed message or a counted rejection, and
the state never hits its own last-resort error handler.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.app.builders import ADDRESS, Frames, order
from tests.app.conftest import SAMPLES
from tui_app.models import MessageRejected, RejectCounter, parse_message
from tui_app.state import AccountState

SAMPLE_DATA = [json.loads(p.read_bytes()) for p in sorted(SAMPLES.glob("*.json"))]
for sample in SAMPLE_DATA:  # aim the subaccount samples at the fuzzed state's account
    if sample.get("channel") == "v4_subaccounts":
        sample["id"] = f"{ADDRESS}/0"

# Parsed once and shared by every example: applying must not change a parsed message.
_frames = Frames()
BASELINE = [
    _frames.connected(),
    _frames.markets({"ETH-USD": "2500", "BTC-USD": "60000"}),
    _frames.snapshot(orders=[order(1), order(2, flags=64)]),
]

NASTY_STRINGS = [
    "NaN",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1e999999",
    "-1e999999",
    "1e-999999",
    "-1",
    "-0",
    "0",
    "99999999999999999999999999999999999999999",
    "1_000",
    " 1",
    "１２",
    "١٢",
    "",
    "\x00",
    "\ud800",
    "OPEN",
    "FILLED",
    "WHATEVER_NEW_STATUS",
    "ZZZ-USD",
    "v4_nope",
    "channel_data",
    "subscribed",
    "2024-13-45T99:99:99Z",
    "2024-08-12T14:06:01.172Z",
    "2024-08-12T14:06:01",
    "x" * 5000,
]
NASTY_NUMBERS = [
    float("nan"),
    float("inf"),
    float("-inf"),
    1e308,
    -1.5,
    0.1,
    10**30,
    -(10**30),
    2**64,
    -1,
    0,
    1,
    10**4000,
]

json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(NASTY_STRINGS),
    st.sampled_from(NASTY_NUMBERS),
)
json_values = st.recursive(
    json_leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node[:20]):
            found += _paths(value, prefix + (index,))
    return found


def _parent(root: Any, path: tuple) -> Any:
    for part in path[:-1]:
        root = root[part]
    return root


@st.composite
def mutated_samples(draw) -> bytes:
    data = copy.deepcopy(draw(st.sampled_from(SAMPLE_DATA)))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(data, path)
        action = draw(st.sampled_from(["delete", "replace", "nasty", "add", "wrap"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = draw(json_values)
        elif action == "nasty":
            parent[path[-1]] = draw(st.sampled_from(NASTY_STRINGS + NASTY_NUMBERS))
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = draw(json_values)
        else:
            parent[path[-1]] = [parent[path[-1]]]
    try:
        text = json.dumps(data, allow_nan=True)  # NaN/Infinity become bare constants
    except ValueError:  # an integer too long to print: send it as text instead
        text = json.dumps(data, default=str).replace("Infinity", "1e999999")
    raw = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 9)) == 0:  # sometimes break the UTF-8 too
        cut = draw(st.integers(0, len(raw)))
        raw = raw[:cut] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"])) + raw[cut:]
    return raw


@st.composite
def garbage(draw) -> bytes:
    kind = draw(st.sampled_from(["bytes", "deep", "truncated", "constant", "scalar"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "deep":
        depth = draw(st.sampled_from([199, 201, 1_000, 50_000, 200_000]))
        opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
        inner = b'{"type":"connected","connection_id":"c","message_id":1}'
        return opener * depth + inner + closer * depth
    if kind == "truncated":
        raw = json.dumps(draw(st.sampled_from(SAMPLE_DATA))).encode()
        return raw[: draw(st.integers(0, len(raw) - 1))]
    if kind == "constant":
        constant = draw(st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e999999"]))
        return b'{"type":"connected","connection_id":"c","message_id":' + constant + b"}"
    return json.dumps(draw(json_values), allow_nan=True).encode()


decimal_text = st.one_of(
    st.sampled_from(
        [
            "0",
            "1",
            "0.001",
            "99999999999999999999999999999999999999.9",
            "1e-99",
            "1E+99",
            "-5",
            "-0.000000001",
        ]
    ),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=6, min_value=-(10**12), max_value=10**12
    ).map(str),
)
int_text = st.one_of(st.integers(-(10**19) + 1, 10**19 - 1).map(str), st.integers(0, 10**6))


@st.composite
def odd_but_valid_updates(draw) -> bytes:
    """Frames that parse, with surprising content: unknown statuses and markets, fills for
    unknown orders, partial updates, totals above sizes, heights far away."""
    orders = []
    for _ in range(draw(st.integers(0, 3))):
        fields = order(
            draw(st.integers(0, 5)),
            status=draw(
                st.sampled_from(
                    [
                        "OPEN",
                        "FILLED",
                        "CANCELED",
                        "BEST_EFFORT_OPENED",
                        "BEST_EFFORT_CANCELED",
                        "UNTRIGGERED",
                        "ERROR",
                        "SOMETHING_NEW",
                    ]
                )
            ),
            size=draw(decimal_text.filter(lambda t: not t.startswith("-"))),
            filled=draw(decimal_text.filter(lambda t: not t.startswith("-"))),
            flags=draw(st.sampled_from([0, 32, 64, 128])),
            gtb=draw(st.integers(0, 2**32)),
            ticker=draw(st.sampled_from(["ETH-USD", "BTC-USD", "NOPE-USD", ""])),
        )
        keep = draw(st.sets(st.sampled_from(sorted(fields)), max_size=len(fields)))
        orders.append({k: v for k, v in fields.items() if k in keep or k == "id"})
    contents: dict[str, Any] = {"orders": orders, "blockHeight": draw(int_text.map(str))}
    if draw(st.booleans()):
        side = draw(st.sampled_from(["BUY", "SELL"]))
        contents["fills"] = [
            {
                "id": draw(st.uuids()).hex,
                "side": side,
                "liquidity": "MAKER",
                "size": draw(decimal_text.filter(lambda t: not t.startswith("-"))),
                "price": draw(decimal_text.filter(lambda t: not t.startswith("-"))),
                "fee": draw(decimal_text),
                "ticker": draw(st.sampled_from(["ETH-USD", "ZZZ-USD"])),
            }
        ]
    if draw(st.booleans()):
        contents["perpetualPositions"] = [
            {
                "market": draw(st.sampled_from(["ETH-USD", "ZZZ-USD"])),
                "status": draw(st.sampled_from(["OPEN", "CLOSED", "LIQUIDATED", "NEW"])),
                "side": draw(st.sampled_from(["LONG", "SHORT"])),
                "size": draw(decimal_text),
                "entryPrice": draw(decimal_text.filter(lambda t: not t.startswith("-"))),
            }
        ]
    envelope = {
        "type": draw(st.sampled_from(["channel_data", "channel_batch_data"])),
        "channel": "v4_subaccounts",
        "id": f"{ADDRESS}/0",
        "connection_id": "c",
        "message_id": draw(st.integers(0, 10**6)),
        "contents": contents,
    }
    if envelope["type"] == "channel_batch_data":
        envelope["contents"] = [contents, contents]
    if draw(st.booleans()):
        envelope = {
            "type": "channel_data",
            "channel": "v4_markets",
            "connection_id": "c",
            "message_id": draw(st.integers(0, 10**6)),
            "contents": {
                "oraclePrices": {
                    draw(st.sampled_from(["ETH-USD", "NEW-USD"])): {
                        "oraclePrice": draw(decimal_text.filter(lambda t: not t.startswith("-")))
                    }
                }
            },
        }
    return json.dumps(envelope).encode()


frames_strategy = st.lists(
    st.one_of(mutated_samples(), mutated_samples(), garbage(), odd_but_valid_updates()),
    min_size=2,
    max_size=3,
)


def test_fuzzed_frames_never_raise_and_are_all_counted():
    tally: Counter[str] = Counter()

    @settings(
        max_examples=1_000,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(frames_strategy)
    def run(raws: list[bytes]) -> None:
        state = AccountState(ADDRESS, 0)
        for message in BASELINE:
            state.apply(message)
        counter = RejectCounter()
        rejected = 0
        for raw in raws:
            message = parse_message(raw, counter)
            if isinstance(message, MessageRejected):
                rejected += 1
                assert len(message.excerpt) <= 200
            state.apply(message)
            state.position_view("ETH-USD")  # reading after bad input must work too
            state.total_unrealized_pnl()
            state.estimated_equity()
        assert counter.total == rejected
        assert state.apply_errors == 0
        tally["frames"] += len(raws)
        tally["rejected"] += rejected
        tally["parsed"] += len(raws) - rejected

    run()
    assert tally["frames"] >= 2_000, tally
    assert tally["frames"] == tally["parsed"] + tally["rejected"]
    # The generators really produce both bad frames and odd good ones.
    assert tally["rejected"] >= 1_000 and tally["parsed"] >= 300, tally
    print(dict(tally))

"""The indexer models: real samples parse, numbers are strict, updates may be partial."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from tests.app.conftest import SAMPLES, sample_bytes, sample_json
from tui_app import models
from tui_app.models import (
    IndexerOrder,
    MessageRejected,
    PerpetualMarket,
    RejectCounter,
    RejectReason,
    parse_message,
)

EXPECTED_TYPES = {
    "connected.json": models.Connected,
    "docs_connected.json": models.Connected,
    "docs_v4_markets_subscribed.json": models.MarketsSubscribed,
    "docs_v4_subaccounts_channel_data.json": models.SubaccountsChannelData,
    "docs_v4_subaccounts_subscribed.json": models.SubaccountsSubscribed,
    "error.json": models.ErrorMessage,
    "unsubscribed.json": models.Unsubscribed,
    "v4_block_height_channel_data.json": models.BlockHeightChannelData,
    "v4_block_height_subscribed.json": models.BlockHeightSubscribed,
    "v4_candles_channel_data.json": models.CandlesChannelData,
    "v4_markets_channel_data_oracle_prices.json": models.MarketsChannelData,
    "v4_markets_subscribed.json": models.MarketsSubscribed,
    "v4_orderbook_channel_batch_data.json": models.OrderbookBatchData,
    "v4_orderbook_channel_data.json": models.OrderbookChannelData,
    "v4_orderbook_subscribed.json": models.OrderbookSubscribed,
    "v4_subaccounts_channel_data_fill.json": models.SubaccountsChannelData,
    "v4_subaccounts_channel_data_order_best_effort_canceled.json": models.SubaccountsChannelData,
    "v4_subaccounts_channel_data_order_best_effort_opened.json": models.SubaccountsChannelData,
    "v4_subaccounts_channel_data_order_canceled.json": models.SubaccountsChannelData,
    "v4_subaccounts_channel_data_order_open_long_term.json": models.SubaccountsChannelData,
    "v4_subaccounts_channel_data_trading_reward.json": models.SubaccountsChannelData,
    "v4_subaccounts_channel_data_transfer.json": models.SubaccountsChannelData,
    "v4_subaccounts_subscribed.json": models.SubaccountsSubscribed,
}


def test_every_sample_is_listed():
    assert {p.name for p in SAMPLES.glob("*.json")} == set(EXPECTED_TYPES)


@pytest.mark.parametrize("name", sorted(EXPECTED_TYPES))
def test_every_sample_parses(name):
    counter = RejectCounter()
    message = parse_message(sample_bytes(name), counter)
    assert isinstance(message, EXPECTED_TYPES[name]), message
    assert counter.total == 0
    # str input and compact re-serialisation parse the same way.
    compact = json.dumps(sample_json(name), separators=(",", ":"))
    assert parse_message(compact) == message


def test_fill_sample_fields():
    message = parse_message(sample_bytes("v4_subaccounts_channel_data_fill.json"))
    assert isinstance(message, models.SubaccountsChannelData)
    contents = message.contents
    assert contents.block_height == 18794557
    first = contents.fills[0]
    assert first.price == Decimal("2620.1") and first.size == Decimal("0.001")
    assert first.fee == Decimal("0.001311")
    assert first.ticker == "ETH-USD" and first.liquidity == "TAKER" and first.side == "BUY"
    assert first.event_id == "011ec83d000000020000000b"
    assert first.created_at == datetime(2024, 8, 12, 14, 6, 1, 172000, tzinfo=UTC)
    order = contents.orders[0]
    assert order.status == "FILLED" and order.total_filled == Decimal("0.002")
    assert order.good_til_block == 18794564 and order.good_til_block_time is None
    assert order.client_id == 1497046405 and order.order_flags == 0
    position = contents.perpetual_positions[0]
    assert position.signed_size == Decimal("0.005")
    assert position.unrealized_pnl == Decimal("-1.683806695")


def test_old_buffer_event_id_becomes_hex():
    message = parse_message(sample_bytes("docs_v4_subaccounts_channel_data.json"))
    assert message.contents.fills[0].event_id == "0000eef1000000020000004d"


def test_snapshot_and_block_height_shapes():
    sub = parse_message(sample_bytes("v4_subaccounts_subscribed.json"))
    usdc = sub.contents.subaccount.asset_positions["USDC"]
    assert usdc.signed_size == Decimal("11.623325")
    assert sub.contents.subaccount.equity == Decimal("11.623325")
    assert sub.contents.orders[0].subaccount_number == 0
    snap = parse_message(sample_bytes("v4_block_height_subscribed.json"))
    assert snap.contents.height == 26543048
    update = parse_message(sample_bytes("v4_block_height_channel_data.json"))
    assert update.contents.block_height == 26543049
    assert update.contents.time.tzinfo is not None


def test_markets_and_orderbook_shapes():
    markets = parse_message(sample_bytes("v4_markets_subscribed.json")).contents.markets
    btc = markets["BTC-USD"]
    assert btc.clob_pair_id == 0 and btc.atomic_resolution == -10
    assert isinstance(btc.oracle_price, Decimal) and btc.price_change_24h is not None
    assert btc.trades_24h is not None
    oracle = parse_message(sample_bytes("v4_markets_channel_data_oracle_prices.json"))
    assert oracle.contents.oracle_prices["FTM-USD"].oracle_price == Decimal("0.3866273177")
    batch = parse_message(sample_bytes("v4_orderbook_channel_batch_data.json"))
    assert batch.contents[0].bids == ((Decimal("2396.1"), Decimal("3.123")),)
    book = parse_message(sample_bytes("v4_orderbook_subscribed.json")).contents
    assert book.asks[0].price == Decimal("3393.5")


GOOD_DECIMALS = ["0", "1", "-1", "2620.1", "0.000406735266535702", "1e-7", "12.5E+3", "007"]
BAD_DECIMALS = [
    "NaN",
    "nan",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1e999999",
    "1e-999",
    "1_000",
    " 1",
    "1 ",
    "",
    "+1",
    ".5",
    "5.",
    "1.2.3",
    "0x10",
    "１２",
    "١٢",
    "1" * 41,
    "1,5",
    "--1",
]


@pytest.mark.parametrize("text", GOOD_DECIMALS)
def test_plain_decimals_are_accepted(text):
    market = PerpetualMarket.model_validate_json(json.dumps({"nextFundingRate": text}))
    assert market.next_funding_rate == Decimal(text)


@pytest.mark.parametrize("text", BAD_DECIMALS)
def test_abusive_decimals_are_refused(text):
    with pytest.raises(ValidationError):
        PerpetualMarket.model_validate_json(json.dumps({"nextFundingRate": text}))


@pytest.mark.parametrize("value", ["1.5", "true", "1e400", "NaN", "Infinity", "[1]"])
def test_non_string_decimals_are_refused(value):
    with pytest.raises(ValidationError):
        PerpetualMarket.model_validate_json(f'{{"nextFundingRate": {value}}}')


def test_json_integers_are_accepted_as_decimals():
    assert PerpetualMarket.model_validate_json('{"openInterest": 12}').open_interest == 12


@pytest.mark.parametrize("text", ["1_000", " 12", "12.0", "+5", "1e3", "١٢", "", "99" * 11])
def test_integer_text_is_strict(text):
    with pytest.raises(ValidationError):
        IndexerOrder.model_validate_json(json.dumps({"id": "x", "goodTilBlock": text}))


def test_prices_and_order_sizes_must_not_be_negative():
    with pytest.raises(ValidationError):
        IndexerOrder.model_validate_json('{"id": "x", "price": "-1"}')
    with pytest.raises(ValidationError):
        IndexerOrder.model_validate({"id": "x", "size": Decimal("-1")})
    with pytest.raises(ValidationError):
        IndexerOrder.model_validate({"id": "x", "size": Decimal("NaN")})
    assert IndexerOrder.model_validate({"id": "x", "size": Decimal("2")}).size == 2


def test_times_must_carry_a_timezone():
    with pytest.raises(ValidationError):
        IndexerOrder.model_validate_json('{"id": "x", "updatedAt": "2024-08-12T11:19:22"}')


def test_partial_update_unknown_status_and_extra_fields():
    order = IndexerOrder.model_validate_json(
        '{"id": "abc", "status": "SOMETHING_NEW", "removalReason": "ORDER_REMOVAL_REASON_X",'
        ' "brandNewField": {"nested": [1, 2]}, "clientId": "7"}'
    )
    assert order.is_partial and not order.status_known
    assert order.status == "SOMETHING_NEW" and order.client_id == 7
    assert order.model_fields_set == {"id", "status", "removal_reason", "client_id"}


def frame(**fields) -> bytes:
    return json.dumps(fields).encode()


REJECTIONS = [
    (b"\xff\xfe{}", RejectReason.INVALID_UTF8),
    (b'{"type": "connected",', RejectReason.INVALID_JSON),
    (b"[1, 2]", RejectReason.NOT_AN_OBJECT),
    (b'"text"', RejectReason.NOT_AN_OBJECT),
    (b'{"type":"connected","connection_id":"c","message_id":NaN}', RejectReason.NON_FINITE_NUMBER),
    (
        b'{"type":"connected","connection_id":"c","message_id":0,"x":-Infinity}',
        RejectReason.NON_FINITE_NUMBER,
    ),
    (b"[" * 100_000 + b"]" * 100_000, RejectReason.TOO_DEEP),
    (b'{"a":' * 300 + b"1" + b"}" * 300, RejectReason.TOO_DEEP),
    (frame(type="pong", connection_id="c", message_id=1), RejectReason.UNKNOWN_TYPE),
    (frame(connection_id="c", message_id=1), RejectReason.UNKNOWN_TYPE),
    (
        frame(type="channel_data", channel="v5_new", connection_id="c", message_id=1, contents={}),
        RejectReason.UNKNOWN_CHANNEL,
    ),
    (
        frame(
            type="channel_data",
            channel="v4_subaccounts",
            connection_id="c",
            message_id=1,
            contents={"orders": [{"id": "o", "size": "NaN"}]},
        ),
        RejectReason.INVALID_FIELDS,
    ),
    (frame(type="connected", connection_id="c", message_id=-1), RejectReason.INVALID_FIELDS),
    (frame(type="connected", connection_id="c", message_id="1"), RejectReason.INVALID_FIELDS),
]


@pytest.mark.parametrize(("raw", "reason"), REJECTIONS, ids=[r.value for _, r in REJECTIONS])
def test_rejections_name_their_reason(raw, reason):
    counter = RejectCounter()
    result = parse_message(raw, counter)
    assert isinstance(result, MessageRejected)
    assert result.reason == reason, result
    assert len(result.excerpt) <= 200
    assert counter.total == 1 and counter.by_reason[reason] == 1


def test_rejection_is_logged_with_channel_and_excerpt(caplog):
    counter = RejectCounter()
    raw = frame(
        type="channel_data",
        channel="v4_markets",
        connection_id="c",
        message_id=3,
        contents={"oraclePrices": {"BTC-USD": {"oraclePrice": "Infinity"}}},
    )
    with caplog.at_level("WARNING", logger="tui_app.models"):
        result = parse_message(raw, counter)
    assert result.channel == "v4_markets"
    assert counter.by_channel["v4_markets"] == 1
    record = caplog.records[-1]
    assert record.name == "tui_app.models"
    assert "v4_markets" in record.getMessage() and "oraclePrices" in record.getMessage()


def test_nan_inside_a_string_is_not_a_constant():
    raw = frame(
        type="unsubscribed",
        channel="v4_trades",
        id="NaN-Infinity-USD",
        connection_id="c",
        message_id=4,
    )
    message = parse_message(raw)
    assert isinstance(message, models.Unsubscribed) and message.id == "NaN-Infinity-USD"


def test_non_frames_do_not_raise():
    for raw in (bytearray(b"{}"), memoryview(b"[]"), 42, None, "\ud800"):
        assert isinstance(parse_message(raw), MessageRejected)  # type: ignore[arg-type]


def test_counter_as_dict():
    counter = RejectCounter()
    parse_message(b"[]", counter)
    parse_message(b"{", counter)
    assert counter.as_dict() == {
        "total": 2,
        "by_reason": {"invalid_json": 1, "not_an_object": 1},
        "by_channel": {"?": 2},
    }

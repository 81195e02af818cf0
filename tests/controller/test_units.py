"""Pieces of the controller that need no devnet: rate limit, chain answers, batch plans,
indexer statuses, records from the indexer."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tui_app.chain.gateway import BlockInfo, BroadcastResult
from tui_app.chain.quantize import MarketSpec
from tui_app.controller.answers import Meaning, classify_cancel, classify_place
from tui_app.controller.cancel_all import batch_message_fields, plan_short_term_batches
from tui_app.controller.errors import InvalidMetadata
from tui_app.controller.markets import MarketInfo
from tui_app.controller.ratelimit import TokenBucket
from tui_app.controller.records import indexer_status_to_store, is_expired, record_from_indexer
from tui_app.controller.settings import ControllerSettings
from tui_app.ids import order_uuid
from tui_app.models import IndexerOrder
from tui_app.store import OrderRecord, OrderStatus

OWNER = "dydx199tqg4wdlnu4qjlxchpd7seg454937hjrknju4"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_token_bucket_spends_refills_and_says_how_long_to_wait():
    now = [0.0]
    bucket = TokenBucket(rate=2.0, burst=3, clock=lambda: now[0])
    assert [bucket.try_take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.try_take() == pytest.approx(0.5)
    now[0] = 0.25
    assert bucket.try_take() == pytest.approx(0.25)
    now[0] = 10.0  # refills up to the burst only
    assert [bucket.try_take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.try_take() > 0


def r(code: int, codespace: str = "clob", log: str = "") -> BroadcastResult:
    return BroadcastResult("AB" * 32, code, codespace if code else "", log)


@pytest.mark.parametrize(
    ("result", "meaning"),
    [
        (r(0), Meaning.ACCEPTED),
        (r(19, "sdk"), Meaning.ALREADY_DONE),  # tx already in mempool cache
        (r(9), Meaning.ALREADY_DONE),  # a cancel with >= GTB exists
        (r(32), Meaning.ALREADY_DONE),  # stateful cancellation already exists
        (r(32, "sdk"), Meaning.REJECTED),  # sdk 32 is a sequence mismatch, not benign
        (r(3006), Meaning.GONE),
        (r(3010), Meaning.GONE),
        (r(10), Meaning.EXPIRED),
        (r(5001), Meaning.TRANSIENT),
        (r(46), Meaning.REJECTED),
        (r(2003), Meaning.REJECTED),
    ],
)
def test_cancel_answers(result, meaning):
    assert classify_cancel(result) is meaning


def test_place_answers():
    assert classify_place(r(0)) is Meaning.ACCEPTED
    assert classify_place(r(19, "sdk")) is Meaning.ALREADY_DONE
    assert classify_place(r(47)) is Meaning.TRANSIENT
    assert classify_place(r(9)) is Meaning.REJECTED  # not benign for a placement


def record(client_id: int, clob: int = 0, *, flags: int = 0, gtb=100, gtbt=None, owner=OWNER):
    return OrderRecord(
        order_id=order_uuid(owner, 0, client_id, clob, flags), owner=owner, subaccount_number=0,
        client_id=client_id, order_flags=flags, clob_pair_id=clob, order_id_proto=b"",
        good_til_block=gtb, good_til_block_time=gtbt, symbol="BTC-USD", side="BUY",
        quantity=Decimal("1"), quantums=1, price=Decimal("1"), subticks=1, order_type="LIMIT",
        time_in_force="GTT", reduce_only=False, post_only=False, placed_at=NOW,
    )  # fmt: skip


def test_batches_hold_at_most_100_ids_of_one_subaccount_each_market_once():
    records = [record(i, clob=i % 3) for i in range(250)]
    records += [record(i, owner="dydx1other") for i in range(5)]
    batches = plan_short_term_batches(records)
    assert [len(b) for b in batches] == [100, 100, 50, 5]
    for batch in batches:
        assert len({(x.owner, x.subaccount_number) for x in batch}) == 1
        fields = batch_message_fields(batch)
        assert sum(len(ids) for ids in fields.values()) == len(batch)
        assert all(len(set(ids)) == len(ids) for ids in fields.values())
    assert sorted(x.client_id for b in batches[:3] for x in b) == list(range(250))
    assert [len(b) for b in plan_short_term_batches(records[:12], max_ids=5)] == [5, 5, 2]


def test_expiry_against_the_chain():
    block = BlockInfo(height=100, time=NOW)
    assert is_expired(record(1, gtb=100), block)  # next height 101 > GTB
    assert not is_expired(record(1, gtb=101), block)
    stamp = int(NOW.timestamp())
    assert is_expired(record(1, flags=64, gtb=None, gtbt=stamp), block)
    assert not is_expired(record(1, flags=64, gtb=None, gtbt=stamp + 1), block)


def indexer_order(**kw) -> IndexerOrder:
    fields = {
        "id": order_uuid(OWNER, 0, 7, 0, 64), "clientId": "7", "clobPairId": "0", "side": "SELL",
        "size": "0.0012", "price": "61234", "type": "LIMIT", "status": "OPEN",
        "timeInForce": "GTT", "postOnly": False, "reduceOnly": False, "orderFlags": "64",
        "ticker": "BTC-USD", "goodTilBlockTime": "2026-02-01T00:00:00.000Z",
    }  # fmt: skip
    fields.update(kw)
    return IndexerOrder.model_validate(fields)


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        ("OPEN", None, OrderStatus.ACTIVE),
        ("BEST_EFFORT_OPENED", None, OrderStatus.ACTIVE),
        ("UNTRIGGERED", None, OrderStatus.ACTIVE),
        ("FILLED", None, OrderStatus.FILLED),
        ("BEST_EFFORT_CANCELED", None, OrderStatus.BEST_EFFORT_CANCELLED),
        ("CANCELED", "USER_CANCELED", OrderStatus.CANCELLED),
        ("CANCELED", "ORDER_REMOVAL_REASON_EXPIRED", OrderStatus.EXPIRED),
        ("ERROR", None, OrderStatus.REJECTED),
        ("SOMETHING_NEW", None, OrderStatus.UNKNOWN),
    ],
)
def test_indexer_statuses(status, reason, expected):
    assert indexer_status_to_store(indexer_order(status=status, removalReason=reason)) is expected


def btc() -> MarketInfo:
    return MarketInfo(MarketSpec("BTC-USD", -10, -9, 1_000_000, 100_000), 0, "ACTIVE",
                      Decimal("60000"), Decimal("0.05"))  # fmt: skip


def test_record_from_the_indexers_fields():
    settings = ControllerSettings(owner=OWNER)
    made = record_from_indexer(indexer_order(), btc(), settings, placed_at=NOW)
    assert (made.client_id, made.order_flags, made.clob_pair_id) == (7, 64, 0)
    assert (made.quantums, made.subticks) == (12_000_000, 6_123_400_000)
    assert made.good_til_block is None
    assert made.good_til_block_time == int(datetime(2026, 2, 1, tzinfo=UTC).timestamp())
    assert made.status is OrderStatus.ACTIVE and made.side == "SELL"
    with pytest.raises(InvalidMetadata, match="do not give back its id"):
        record_from_indexer(indexer_order(clientId="8"), btc(), settings, placed_at=NOW)
    with pytest.raises(InvalidMetadata, match="order flags 32"):
        record_from_indexer(indexer_order(orderFlags="32"), btc(), settings, placed_at=NOW)

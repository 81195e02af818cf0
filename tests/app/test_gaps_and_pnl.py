"""Unit tests of the message-id tracker and the realized-PnL ledger."""

from __future__ import annotations

from decimal import Decimal

from tui_app.state import MarketPnl, MessageIdTracker

D = Decimal


def feed(tracker: MessageIdTracker, *items: tuple[int, str], connection: str = "c"):
    return [tracker.observe(connection, message_id, kind) for message_id, kind in items]


def test_in_order_messages_have_no_gap():
    tracker = MessageIdTracker()
    gaps = feed(
        tracker,
        (0, "connected"),
        (1, "subscribed"),
        (2, "channel_data"),
        (3, "channel_batch_data"),
        (3, "error"),
        (4, "channel_data"),
    )
    assert gaps == [None] * 6


def test_a_hole_is_reported_once_with_the_missing_ids():
    tracker = MessageIdTracker()
    gaps = feed(
        tracker, (0, "connected"), (1, "channel_data"), (4, "channel_data"), (5, "channel_data")
    )
    assert gaps[2] is not None and gaps[2].missing == (2, 3) and gaps[2].received == 4
    assert gaps[3] is None


def test_late_responses_fill_their_holes():
    tracker = MessageIdTracker()
    tracker.expect_response(3)
    gaps = feed(
        tracker,
        (0, "connected"),
        (2, "subscribed"),
        (4, "channel_data"),
        (5, "channel_data"),
        (1, "subscribed"),
        (3, "unsubscribed"),
        (6, "channel_data"),
    )
    assert gaps == [None] * 7
    # Nothing is outstanding any more: the next hole is a gap.
    assert feed(tracker, (8, "channel_data"))[0] is not None


def test_a_failed_subscribe_leaves_its_id_unused():
    tracker = MessageIdTracker()
    feed(tracker, (0, "connected"), (1, "subscribed"))
    tracker.expect_response(2)  # ids 2 (fails) and 3 (succeeds late)
    gaps = feed(tracker, (4, "channel_data"), (4, "error"), (3, "subscribed"), (5, "channel_data"))
    assert gaps == [None] * 4


def test_more_holes_than_outstanding_responses_is_a_gap():
    tracker = MessageIdTracker()
    tracker.expect_response(1)
    gaps = feed(tracker, (0, "connected"), (3, "channel_data"))
    assert gaps[1] is not None and gaps[1].missing == (1, 2)


def test_a_new_connection_resets_and_duplicates_are_harmless():
    tracker = MessageIdTracker()
    feed(tracker, (0, "connected"), (1, "channel_data"), (2, "channel_data"))
    assert feed(tracker, (2, "channel_data"), (1, "channel_data")) == [None, None]
    assert feed(tracker, (0, "connected"), (1, "channel_data"), connection="d") == [None, None]
    assert tracker.connection_id == "d"
    tracker.reset()
    assert tracker.connection_id is None


def test_an_enormous_jump_is_a_gap_without_tracking_every_id():
    tracker = MessageIdTracker()
    gaps = feed(tracker, (0, "connected"), (10**12, "channel_data"))
    assert gaps[1] is not None and len(gaps[1].missing) == 10


def test_pnl_increase_reduce_flip():
    pnl = MarketPnl()
    pnl.seed(D("-1"), D("100"))  # short 1 @ 100 from a snapshot
    pnl.apply_fill("SELL", D("1"), D("110"), D("0.1"))  # short 2 @ 105
    assert pnl.position == D("-2") and pnl.entry_price == D("105")
    pnl.apply_fill("BUY", D("3"), D("95"), D("0.2"))  # close 2 (+20), long 1 @ 95
    assert pnl.realized == D("20") and pnl.position == D("1") and pnl.entry_price == D("95")
    assert pnl.net_realized == D("19.7")
    pnl.apply_fill("SELL", D("1"), D("90"), D("0"))  # close: -5
    assert pnl.realized == D("15") and pnl.position == 0 and pnl.entry_price == 0
    pnl.apply_fill("BUY", D("0"), D("90"), D("0.01"))  # a zero-size fill only costs its fee
    assert pnl.position == 0 and pnl.fees == D("0.31")


def test_a_jump_beyond_64_bits_is_a_gap_not_an_overflow():
    tracker = MessageIdTracker()
    gaps = feed(tracker, (0, "connected"), (2**70, "channel_data"))
    assert gaps[1] is not None and gaps[1].count == 2**70 - 1

"""Conditional orders (order_flags 32): validation, untriggered storage, trigger on the
oracle price, matching once triggered, cancels and expiry (x/clob's rules)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tui_app.devnet.events import ConditionalOrderTriggered, FillCreated, OrderPlaced, OrderRemoved
from tui_app.devnet.types import RemovalReason

from .conftest import ChainHarness
from .test_chain_rules import BTC, BUY, DAY, IOC, LONG_TERM, POST_ONLY, SELL, USD, assert_refused

CONDITIONAL = 32
STOP_LOSS, TAKE_PROFIT = 1, 2


def place_cond(
    h: ChainHarness,
    client_id: int = 1,
    side: int = SELL,
    *,
    condition=STOP_LOSS,
    trigger: int = 55_000 * USD,
    price: int = 54_000 * USD,
    signer=None,
    **kw,
):
    signer = signer or h.alice
    kw.setdefault("gtbt", h.now + DAY)
    return h.send(
        signer.place(
            client_id,
            side,
            BTC // 10,
            price,
            flags=CONDITIONAL,
            condition_type=condition,
            trigger_subticks=trigger,
            **kw,
        )
    )


def set_oracle(h: ChainHarness, price: str) -> None:
    """Pin BTC's oracle price; the next block's random walk moves it by at most 8 bp."""
    h.chain.oracles[0] = Decimal(price)


def retry(h: ChainHarness) -> None:
    h.alice.wallet.sequence -= 1  # a refused tx consumes no sequence


def test_conditional_field_rules(h: ChainHarness) -> None:
    assert_refused(place_cond(h, condition=0), "clob", 6000, "cannot be unspecified")
    retry(h)
    assert_refused(place_cond(h, condition=3), "clob", 6000, "invalid condition type")
    retry(h)
    assert_refused(place_cond(h, trigger=0), "clob", 6001, "cannot be 0")
    retry(h)
    assert_refused(place_cond(h, trigger=55_000 * USD + 1), "clob", 12, "SubticksPerTick")
    retry(h)
    assert_refused(place_cond(h, gtbt=h.now + 96 * DAY), "clob", 3004, "95 days")
    retry(h)
    assert_refused(place_cond(h, gtbt=0), "clob", 3001, "")
    retry(h)
    # Condition fields on other orders.
    long_term = h.alice.place(
        2, BUY, BTC // 10, 50_000 * USD, flags=LONG_TERM, gtbt=h.now + DAY, condition_type=STOP_LOSS
    )
    assert_refused(h.send(long_term), "clob", 6000, "non-conditional")
    retry(h)
    short = h.alice.place(
        3, BUY, BTC // 10, 50_000 * USD, gtb=h.next_height + 3, trigger_subticks=55_000 * USD
    )
    assert_refused(h.send(short), "clob", 6001, "non-conditional")
    # A conditional IOC order (stop market) is allowed, unlike a long-term IOC one.
    assert place_cond(h, tif=IOC).code == 0
    assert_refused(place_cond(h), "clob", 3005, "")


def test_untriggered_order_is_stored_off_the_book_and_does_not_match(h: ChainHarness) -> None:
    # Bob bids at 56000; Alice's stop sell at 54000 would cross it, were it on the book.
    bid = h.bob.place(1, BUY, BTC // 10, 56_000 * USD, flags=LONG_TERM, gtbt=h.now + DAY)
    assert h.send(bid).code == 0
    assert place_cond(h).code == 0
    h.block(3)
    placed = [e for e in h.events_of(OrderPlaced) if e.order.order_id.order_flags == CONDITIONAL]
    assert len(placed) == 1 and placed[0].on_chain
    assert h.events_of(FillCreated) == []
    assert h.events_of(ConditionalOrderTriggered) == []
    _, asks = h.chain.book_levels(0)
    assert asks == []
    untriggered = h.chain.clob.untriggered_orders()
    assert [o.order_id.client_id for o in untriggered] == [1]
    assert untriggered[0] in h.chain.open_orders()


@pytest.mark.parametrize(
    ("side", "condition", "trigger", "oracle"),
    [
        (SELL, STOP_LOSS, 55_000, "50000"),  # stop sell: oracle at or below
        (BUY, TAKE_PROFIT, 55_000, "50000"),  # take-profit buy: oracle at or below
        (BUY, STOP_LOSS, 65_000, "70000"),  # stop buy: oracle at or above
        (SELL, TAKE_PROFIT, 65_000, "70000"),  # take-profit sell: oracle at or above
    ],
)
def test_trigger_direction_follows_side_and_condition(h, side, condition, trigger, oracle):
    # Far-away price so the triggered order rests instead of matching.
    price = 1_000 * USD if side == BUY else 200_000 * USD
    assert (
        place_cond(h, side=side, condition=condition, trigger=trigger * USD, price=price).code == 0
    )
    h.block(2)
    assert h.events_of(ConditionalOrderTriggered) == []
    set_oracle(h, oracle)
    h.block()
    triggered = h.events_of(ConditionalOrderTriggered)
    assert len(triggered) == 1 and triggered[0].height == h.chain.height
    assert triggered[0].order.updated_height == h.chain.height
    # Active from the block after: resting on the book, no second placement event.
    assert h.chain.clob.untriggered_orders() == []
    bids, asks = h.chain.book_levels(0)
    assert (bids if side == BUY else asks) == [(price, BTC // 10)]
    assert len([e for e in h.events_of(OrderPlaced) if e.order.condition_type]) == 1


def test_the_opposite_move_does_not_trigger(h: ChainHarness) -> None:
    assert place_cond(h, side=SELL, condition=STOP_LOSS).code == 0
    set_oracle(h, "70000")
    h.block(2)
    assert h.events_of(ConditionalOrderTriggered) == []


def test_triggered_order_matches_in_the_next_block(h: ChainHarness) -> None:
    bid = h.bob.place(1, BUY, BTC // 10, 56_000 * USD, flags=LONG_TERM, gtbt=h.now + DAY)
    assert h.send(bid).code == 0
    assert place_cond(h).code == 0
    h.block()
    set_oracle(h, "54000")
    h.block()
    trigger_height = h.events_of(ConditionalOrderTriggered)[0].height
    assert h.events_of(FillCreated) == []  # the match is not part of the trigger block
    h.block()
    fills = h.events_of(FillCreated)
    assert len(fills) == 2 and {f.fill.height for f in fills} == {trigger_height + 1}
    taker = next(f.fill for f in fills if f.fill.is_taker)
    assert taker.order_id.order_flags == CONDITIONAL and taker.subticks == 56_000 * USD
    # Both fully filled: gone from state and book.
    assert h.chain.order(taker.order_id) is None and h.chain.open_orders() == []


def test_triggered_ioc_order_does_not_rest(h: ChainHarness) -> None:
    assert place_cond(h, tif=IOC).code == 0
    h.block()
    set_oracle(h, "50000")
    h.block(2)
    assert h.chain.book_levels(0) == ([], [])
    removed = h.events_of(OrderRemoved)[-1]
    assert removed.reason is RemovalReason.IMMEDIATE_OR_CANCEL_WOULD_REST_ON_BOOK


def test_cancel_before_trigger(h: ChainHarness) -> None:
    gtbt = h.now + DAY
    assert place_cond(h, gtbt=gtbt).code == 0
    h.block()
    assert h.send(h.alice.cancel(1, flags=CONDITIONAL, gtbt=gtbt)).code == 0
    h.block()
    assert h.chain.open_orders() == []
    removed = h.events_of(OrderRemoved)[-1]
    assert (removed.reason, removed.final) == (RemovalReason.USER_CANCELED, True)
    set_oracle(h, "50000")
    h.block()
    assert h.events_of(ConditionalOrderTriggered) == []
    assert_refused(place_cond(h, gtbt=gtbt), "clob", 3008, "previously cancelled")


def test_cancel_after_trigger(h: ChainHarness) -> None:
    gtbt = h.now + DAY
    assert place_cond(h, gtbt=gtbt, price=200_000 * USD).code == 0
    h.block()
    set_oracle(h, "50000")
    h.block()
    assert h.chain.book_levels(0)[1] == [(200_000 * USD, BTC // 10)]
    assert h.send(h.alice.cancel(1, flags=CONDITIONAL, gtbt=gtbt)).code == 0
    h.block()
    assert h.chain.open_orders() == [] and h.chain.book_levels(0) == ([], [])
    assert h.events_of(OrderRemoved)[-1].reason is RemovalReason.USER_CANCELED


def test_untriggered_order_expires_at_its_good_til_block_time(h: ChainHarness) -> None:
    assert place_cond(h, gtbt=h.now + 3).code == 0
    h.block()
    assert len(h.chain.clob.untriggered_orders()) == 1
    h.block(3)
    assert h.chain.clob.untriggered_orders() == []
    removed = h.events_of(OrderRemoved)[-1]
    assert (removed.reason, removed.final) == (RemovalReason.EXPIRED, True)
    result = h.send(h.alice.cancel(1, flags=CONDITIONAL, gtbt=h.now + 3))
    assert_refused(result, "clob", 3006, "already removed")


def test_blocks_without_conditional_orders_skip_the_trigger_check(h: ChainHarness) -> None:
    assert not h.chain.clob.untriggered
    assert h.chain.clob.trigger_conditional() == []


def test_an_order_whose_condition_holds_triggers_at_the_end_of_its_placement_block(
    h: ChainHarness,
) -> None:
    # A stop buy at or above 55000 with the oracle near 60000.
    assert place_cond(h, side=BUY, trigger=55_000 * USD, price=1_000 * USD).code == 0
    h.block()
    placed = [e for e in h.events_of(OrderPlaced) if e.order.condition_type]
    triggered = h.events_of(ConditionalOrderTriggered)
    assert [e.height for e in placed] == [e.height for e in triggered] == [h.chain.height]
    assert h.chain.book_levels(0)[0] == [(1_000 * USD, BTC // 10)]


def test_a_triggered_post_only_order_that_would_cross_is_removed(h: ChainHarness) -> None:
    bid = h.bob.place(1, BUY, BTC // 10, 56_000 * USD, flags=LONG_TERM, gtbt=h.now + DAY)
    assert h.send(bid).code == 0
    assert place_cond(h, tif=POST_ONLY).code == 0
    h.block()
    set_oracle(h, "50000")
    h.block(2)
    assert h.events_of(FillCreated) == []
    removed = h.events_of(OrderRemoved)[-1]
    assert removed.reason is RemovalReason.POST_ONLY_WOULD_CROSS_MAKER_ORDER
    assert h.chain.order(removed.order.order_id) is None


def trade_btc(h: ChainHarness, subticks: int) -> None:
    """Bob sells to Carl at `subticks` at once (short-term orders match at CheckTx)."""
    gtb = h.next_height + 5
    assert h.send(h.bob.place(7, SELL, BTC // 100, subticks, gtb=gtb)).code == 0
    assert h.send(h.carl.place(7, BUY, BTC // 100, subticks, gtb=gtb)).code == 0


def test_a_trade_price_near_the_oracle_triggers(h: ChainHarness) -> None:
    # Oracle near 60000: BTC trade prices count within ±0.1% × 5 (about 59700..60300).
    assert place_cond(h, side=BUY, trigger=60_200 * USD, price=1_000 * USD).code == 0
    h.block()
    assert h.events_of(ConditionalOrderTriggered) == []
    trade_btc(h, 60_250 * USD)
    h.block()
    assert len(h.events_of(ConditionalOrderTriggered)) == 1


def test_a_trade_price_far_from_the_oracle_is_clamped(h: ChainHarness) -> None:
    assert place_cond(h, side=BUY, trigger=61_000 * USD, price=1_000 * USD).code == 0
    h.block()
    trade_btc(h, 70_000 * USD)
    h.block(2)
    assert h.events_of(ConditionalOrderTriggered) == []
    assert len(h.chain.clob.untriggered_orders()) == 1

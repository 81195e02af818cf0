"""A repeated or overtaken subaccount message must never undo a newer one (found while
building the feed fault tests: a replayed `message_id` reopened a cancelled order)."""

from __future__ import annotations

from tests.app.builders import ADDRESS, Frames, order
from tui_app.state import AccountState, OrderStatus


def _state() -> tuple[AccountState, Frames]:
    frames = Frames()
    state = AccountState(ADDRESS, 0)
    state.apply(frames.connected())
    state.apply(frames.snapshot(orders=[]))
    return state, frames


def test_a_replayed_message_id_does_not_reopen_a_cancelled_order():
    state, frames = _state()
    opened = frames.subaccount(orders=[order(1, status="OPEN")], blockHeight="101")
    state.apply(opened)
    state.apply(frames.subaccount(orders=[order(1, status="CANCELED")], blockHeight="102"))
    state.apply(opened)  # the same frame again, same message_id
    [tracked] = state.orders.values()
    assert tracked.status is OrderStatus.CANCELED
    assert state.stale_messages == 1
    assert state.needs_resync and "repeated or out of order" in state.resync_reasons[-1]


def test_an_overtaken_message_is_not_applied_and_the_gap_asks_for_a_snapshot():
    state, frames = _state()
    late = frames.subaccount(orders=[order(2, status="OPEN")], blockHeight="101")  # id 3
    newer = frames.subaccount(orders=[order(2, status="CANCELED")], blockHeight="102")  # id 4
    state.apply(newer)
    assert state.needs_resync  # id 3 is missing: a gap
    state.apply(late)
    [tracked] = state.orders.values()
    assert tracked.status is OrderStatus.CANCELED
    # The snapshot that follows heals everything and clears the request.
    state.apply(frames.snapshot(orders=[order(2, status="CANCELED")]))
    assert not state.needs_resync


def test_a_new_connection_may_reuse_the_same_ids():
    state, frames = _state()
    state.apply(frames.subaccount(orders=[order(3, status="OPEN")], blockHeight="101"))
    other = Frames("another-connection")
    state.apply(other.connected())
    state.apply(other.snapshot(orders=[order(3, status="OPEN")]))
    state.apply(other.subaccount(orders=[order(3, status="CANCELED")], blockHeight="103"))
    assert state.stale_messages == 0 and not state.needs_resync
    [tracked] = state.orders.values()
    assert tracked.status is OrderStatus.CANCELED

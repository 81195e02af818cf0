"""AccountState listeners: the list _notify walks may change while it is walked."""

from __future__ import annotations

from tests.app.builders import ADDRESS, Frames, order, order_id
from tui_app.state import AccountState, OrderChanged


def started_state(frames: Frames) -> AccountState:
    state = AccountState(ADDRESS, 0)
    state.apply(frames.connected())
    state.apply(frames.snapshot(block_height=100))
    return state


def test_a_listener_may_unsubscribe_while_it_is_called():
    frames = Frames()
    state = started_state(frames)
    first: list = []
    second: list = []
    unsubscribe_first = None

    def once(change):
        first.append(change)
        unsubscribe_first()

    unsubscribe_first = state.subscribe(once)
    state.subscribe(second.append)
    state.apply(frames.subaccount(orders=[order(1)]))
    state.apply(frames.subaccount(orders=[order(2)]))
    assert first == [OrderChanged(order_id(1))]
    assert second == [OrderChanged(order_id(1)), OrderChanged(order_id(2))]


def test_a_listener_subscribed_while_changes_are_sent_hears_the_next_apply():
    frames = Frames()
    state = started_state(frames)
    late: list = []
    subscribed = []

    def subscriber(change):
        if not subscribed:
            subscribed.append(state.subscribe(late.append))

    state.subscribe(subscriber)
    state.apply(frames.subaccount(orders=[order(1)]))
    assert late == []
    state.apply(frames.subaccount(orders=[order(2)]))
    assert late == [OrderChanged(order_id(2))]

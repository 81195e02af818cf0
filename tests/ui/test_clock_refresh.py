"""Clock- and block-driven refreshes touch only the rows on screen; rows scrolled into
view are brought up to date; notes after the app stopped are ignored."""

from __future__ import annotations

from tests.ui.harness import FakeFeed, make_app
from tui_app.tools import demo_scenario as demo
from tui_app.widgets.orders import OrdersTable

SMALL = (80, 24)


def many_orders(app, count: int) -> list[str]:
    feed = app.feed
    assert isinstance(feed, FakeFeed)
    ids = [f"0b9ad2a4-0000-5000-8000-{n:012d}" for n in range(count)]
    bare = {k: v for k, v in demo.OPEN_ORDERS[0].items()
            if k not in ("createdAtHeight", "updatedAt", "updatedAtHeight")}
    feed.apply({"type": "channel_data", "channel": "v4_subaccounts",
                "id": demo.CHANNEL_ID, "version": "3.0.0",
                "contents": {"orders": [dict(bare, id=i, clientId=str(1000 + n))
                                        for n, i in enumerate(ids)]}})
    app.flush_changes()
    return ids


async def test_a_tick_re_derives_only_the_rows_on_screen_and_scrolling_catches_up():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        ids = many_orders(app, 200)
        await pilot.pause()
        await pilot.pause()
        orders = app.query_one(OrdersTable)
        on_screen = orders.visible_keys()
        assert 0 < len(on_screen) < 40
        derived: list[str] = []
        original = orders.upsert

        def counting(key, cells):
            derived.append(key)
            original(key, cells)

        orders.upsert = counting  # type: ignore[method-assign]
        app.clock.advance(42)
        app.tick()
        assert set(derived) == set(on_screen)
        rows = [row.key.value for row in orders.ordered_rows]
        shown = next(key for key in on_screen if key in ids)
        bottom = next(key for key in reversed(rows) if key in ids)
        assert bottom not in on_screen
        assert orders.cell_text(shown, "age") == "42s"
        assert orders.cell_text(bottom, "age") == "0s"  # off screen: not kept current
        orders.move_cursor(row=rows.index(bottom))
        await pilot.pause()
        await pilot.pause()
        assert bottom in orders.visible_keys()
        assert orders.cell_text(bottom, "age") == "42s"  # brought up to date on scroll


async def test_a_note_after_the_app_stopped_is_ignored():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        order_id = demo.OPEN_ORDERS[0]["id"]
    # The cancel-all screen's queued CancelsFinished messages arrive during shutdown.
    app.set_order_note(order_id, "cancelled")
    assert app.order_notes[order_id] == "cancelled"


async def test_a_big_batch_of_new_rows_is_spread_over_frames_and_all_arrive():
    from tui_app.app import ORDER_ROWS_PER_FRAME

    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        orders = app.query_one(OrdersTable)
        before = orders.row_count
        ids = many_orders(app, ORDER_ROWS_PER_FRAME + 50)  # flushes once, by hand
        await pilot.pause()
        assert orders.row_count - before in (ORDER_ROWS_PER_FRAME, ORDER_ROWS_PER_FRAME + 50)
        await pilot.pause(0.2)  # the rest goes out with the next flush, by itself
        assert all(order_id in orders for order_id in ids)

"""Pilot tests of the main screen: keys call the controller, tables change by key, the
status bar follows the feed. Deterministic: demo state, fixed clock, fake feed."""

from __future__ import annotations

import asyncio

import pytest
from textual.screen import ModalScreen
from textual.widgets import Input

from tests.ui.harness import (
    FakeController,
    FakeFeed,
    local_config,
    make_app,
    play_live,
    read_only_config,
    screen_text,
    settle,
)
from tui_app.controller.requests import CancelResult, CancelScope
from tui_app.feed.status import WsState
from tui_app.tools import demo_scenario as demo
from tui_app.widgets.fills import FillsTable
from tui_app.widgets.history import HistoryView, parse_history_filter
from tui_app.widgets.markets import MarketsTable
from tui_app.widgets.messages import AccountUpdated
from tui_app.widgets.orders import OrdersTable
from tui_app.widgets.positions import PositionsTable
from tui_app.widgets.status_bar import StatusBar

SMALL = (80, 24)
LARGE = (160, 48)
OPEN_IDS = {o["id"] for o in demo.OPEN_ORDERS}
ETH_BUY = demo.OPEN_ORDERS[0]["id"]  # short-term, 12 blocks left


def feed_of(app) -> FakeFeed:
    assert isinstance(app.feed, FakeFeed)
    return app.feed


async def test_main_screen_shows_orders_positions_and_status():
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await pilot.pause()
        orders = app.query_one(OrdersTable)
        assert set(orders.keys) == OPEN_IDS
        best_effort = demo.OPEN_ORDERS[3]["id"]
        assert orders.cell_text(best_effort, "status") == "best-effort (3 blk)"
        assert orders.cell_text(ETH_BUY, "good_til") == "12 blk left"
        assert set(app.query_one(PositionsTable).keys) == set(demo.POSITIONS)
        assert len(list(app.query_one(MarketsTable).keys)) == 98
        assert len(list(app.query_one(FillsTable).keys)) == 2
        text = screen_text(app)
        assert "LOCAL DEVNET" in text and "● LIVE" in text and "block 26,543,048" in text
        assert "Equity 10,4" in text and "Margin 2" in text


async def test_an_update_changes_only_its_row():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        orders = app.query_one(OrdersTable)
        orders.move_cursor(row=2)
        selected = orders.selected_key()
        before = {key: orders.get_row_index(key) for key in orders.keys}
        update = dict(demo.OPEN_ORDERS[0], totalFilled="0.5")
        feed_of(app).apply({"type": "channel_data", "channel": "v4_subaccounts",
                            "id": demo.CHANNEL_ID, "version": "3.0.0",
                            "contents": {"orders": [update]}})
        app.flush_changes()
        await pilot.pause()
        assert orders.cell_text(ETH_BUY, "filled") == "0.5"
        assert orders.cell_text(ETH_BUY, "status") == "partly filled"
        # Same rows in the same places, the cursor on the same order: nothing was rebuilt.
        assert {key: orders.get_row_index(key) for key in orders.keys} == before
        assert orders.selected_key() == selected


async def test_a_new_order_without_indexer_times_is_aged_from_when_it_was_first_seen():
    """Short-term orders are not in the indexer's database: no createdAtHeight, no
    updatedAt. Their age counts from the moment the app first saw them (its clock)."""
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        orders = app.query_one(OrdersTable)
        assert orders.cell_text(ETH_BUY, "age") == "40s"  # since the indexer's updatedAt
        new_id = "0b9ad2a4-0000-5000-8000-000000000001"
        bare = {k: v for k, v in demo.OPEN_ORDERS[0].items()
                if k not in ("createdAtHeight", "updatedAt", "updatedAtHeight")}
        feed_of(app).apply({"type": "channel_data", "channel": "v4_subaccounts",
                            "id": demo.CHANNEL_ID, "version": "3.0.0",
                            "contents": {"orders": [dict(bare, id=new_id, clientId="999")]}})
        app.flush_changes()
        await pilot.pause()
        assert orders.cell_text(new_id, "age") == "0s"
        app.clock.advance(42)
        app.tick()
        await pilot.pause()
        assert orders.cell_text(new_id, "age") == "42s"
        assert orders.cell_text(ETH_BUY, "age") == "1m22s"


async def test_a_burst_is_coalesced_into_one_update():
    posted: list[AccountUpdated] = []

    def hook(message):
        if isinstance(message, AccountUpdated):
            posted.append(message)

    app = make_app()
    async with app.run_test(size=SMALL, message_hook=hook) as pilot:
        await pilot.pause()
        app.flush_changes()
        await pilot.pause()
        posted.clear()
        feed = feed_of(app)
        for n in range(1, 1001):
            update = dict(demo.OPEN_ORDERS[0], totalFilled=str(n / 1000))
            feed.apply({"type": "channel_data", "channel": "v4_subaccounts",
                        "id": demo.CHANNEL_ID, "version": "3.0.0",
                        "contents": {"orders": [update]}})
        app.flush_changes()
        await pilot.pause()
        assert len(posted) == 1
        assert posted[0].changes.orders == {ETH_BUY}
        assert app.query_one(OrdersTable).cell_text(ETH_BUY, "filled") == "1"


async def test_the_order_book_flush_runs_by_itself():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        feed_of(app).apply({"type": "channel_data", "channel": "v4_subaccounts",
                            "id": demo.CHANNEL_ID, "version": "3.0.0",
                            "contents": {"orders": [dict(demo.OPEN_ORDERS[0],
                                                         status="FILLED", totalFilled="1.2")]}})
        await pilot.pause(0.3)  # the flush interval is 0.1 s
        assert app.query_one(OrdersTable).cell_text(ETH_BUY, "status") == "filled"


async def test_c_cancels_the_selected_order_and_the_row_says_so():
    controller = FakeController(cancel_result=CancelResult.BEST_EFFORT)
    app = make_app(controller=controller)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        orders = app.query_one(OrdersTable)
        orders.move_cursor(row=orders.get_row_index(ETH_BUY))
        await pilot.press("c")
        await settle(app, pilot)
        assert controller.calls == [("cancel", ETH_BUY)]
        assert orders.cell_text(ETH_BUY, "status") == "best-effort cancel sent"
        # The indexer then reports it: the state's countdown replaces the app's note.
        feed_of(app).apply({"type": "channel_data", "channel": "v4_subaccounts",
                            "id": demo.CHANNEL_ID, "version": "3.0.0",
                            "contents": {"orders": [dict(demo.OPEN_ORDERS[0],
                                                         status="BEST_EFFORT_CANCELED")]}})
        app.flush_changes()
        await pilot.pause()
        assert orders.cell_text(ETH_BUY, "status") == "best-effort (12 blk)"
        assert ETH_BUY not in app.order_notes


async def test_an_unknown_cancel_outcome_is_said_honestly():
    controller = FakeController(cancel_result=CancelResult.UNKNOWN)
    app = make_app(controller=controller)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        orders = app.query_one(OrdersTable)
        orders.move_cursor(row=orders.get_row_index(ETH_BUY))
        await pilot.press("c")
        await settle(app, pilot)
        assert orders.cell_text(ETH_BUY, "status") == "outcome unknown, reconciling"


async def test_j_and_k_move_the_cursor():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        orders = app.query_one(OrdersTable)
        assert orders.cursor_row == 0
        await pilot.press("j", "j")
        assert orders.cursor_row == 2
        await pilot.press("k")
        assert orders.cursor_row == 1
        await pilot.press("down")
        assert orders.cursor_row == 2


async def test_tabs_reach_every_view_at_80x24():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        for key, table, word in (("2", PositionsTable, "SHORT"), ("3", MarketsTable, "AAVE-USD"),
                                 ("4", FillsTable, "taker"), ("5", None, "Page 1/1")):
            await pilot.press(key)
            await pilot.pause()
            if table is not None:
                assert app.focused is app.query_one(table)
            assert word in screen_text(app)
        await pilot.press("1")
        await pilot.pause()
        assert app.focused is app.query_one(OrdersTable)


async def test_x_closes_the_selected_position_through_its_open_method():
    app = make_app()
    opened: list[str] = []
    app.open_close_position = opened.append  # the screen plugs in here
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await pilot.press("2", "j", "x")
        assert opened == ["ETH-USD"]


async def test_actions_call_their_open_methods_with_the_selection():
    app = make_app()
    calls: list[tuple[str, object]] = []
    app.open_cancel_all = lambda market: calls.append(("cancel_all", market))
    app.open_new_order = lambda market: calls.append(("new_order", market))
    app.open_order_details = lambda order_id: calls.append(("details", order_id))
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        orders = app.query_one(OrdersTable)
        orders.move_cursor(row=orders.get_row_index(ETH_BUY))
        await pilot.press("C", "n", "enter")
        assert calls == [("cancel_all", "ETH-USD"), ("new_order", "ETH-USD"),
                         ("details", ETH_BUY)]


async def test_read_only_mode_disables_the_trading_keys():
    controller = FakeController()
    app = make_app(config=read_only_config(), controller=controller)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await pilot.press("c", "C", "n", "x")
        assert controller.calls == []
        assert app.check_action("cancel_order", ()) is None
        assert "no mnemonic" in (app.trading_disabled_reason() or "")
        text = screen_text(app)
        assert "TESTNET" in text and "READ-ONLY" in text


def disabled_notices(app) -> list[str]:
    return [str(n.message) for n in app._notifications if n.title == "Key disabled"]


async def test_a_disabled_key_says_why_once_per_press():
    app = make_app(config=read_only_config())
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        app.clear_notifications()  # the start-up notice names the reason too
        await pilot.press("c")
        await pilot.pause()
        assert len(disabled_notices(app)) == 1
        assert "Trading keys are disabled" in disabled_notices(app)[0]
        assert "no mnemonic" in disabled_notices(app)[0]
        await pilot.press("c", "c")  # a held key: no stack of toasts
        await pilot.pause()
        assert len(disabled_notices(app)) == 1
        app.clock.advance(3)
        await pilot.press("c")
        await pilot.pause()
        assert len(disabled_notices(app)) == 2
        await pilot.press("question_mark")  # an enabled key says nothing of the kind
        await pilot.pause()
        assert len(disabled_notices(app)) == 2


async def test_cancel_all_while_one_runs_says_so():
    controller = FakeController(gate=asyncio.Event())
    app = make_app(controller=controller)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        app.run_cancel_all(CancelScope())
        await pilot.pause()
        await pilot.press("C")
        await pilot.pause()
        assert disabled_notices(app) == ["A cancel-all is still running: wait for its result."]
        assert not isinstance(app.screen, ModalScreen)
        controller.gate.set()
        await settle(app, pilot)


async def test_keys_are_rebound_from_the_config():
    controller = FakeController()
    config = local_config(keys={"cancel_order": "d"})
    app = make_app(config=config, controller=controller)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await pilot.press("d")
        await settle(app, pilot)
        assert [name for name, _ in controller.calls] == ["cancel"]


async def test_disconnection_and_polling_show_at_once():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        bar = app.query_one(StatusBar)
        assert bar.has_class("-live")
        feed_of(app).publish(ws_state=WsState.RECONNECTING, reconnect_attempt=2,
                             last_error="connection refused")
        await pilot.pause()  # one message, no timer: well within a second
        assert bar.has_class("-disconnected")
        assert "RECONNECTING 2/5" in screen_text(app)
        feed_of(app).publish(ws_state=WsState.POLLING)
        await pilot.pause()
        assert bar.has_class("-polling")
        assert "POLLING REST" in screen_text(app)


async def test_silence_marks_the_data_stale():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        app.clock.advance(5)
        app.tick()
        await pilot.pause()
        assert app.query_one(StatusBar).has_class("-stale")
        assert "STALE" in screen_text(app)


async def test_quit_asks_while_an_action_is_in_flight():
    gate = asyncio.Event()
    controller = FakeController(gate=gate)
    app = make_app(controller=controller)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert app.in_flight
        app.open_quit_confirmation = lambda: asked.append(True)  # the screen plugs in here
        asked: list[bool] = []
        await pilot.press("q")
        await pilot.pause()
        assert asked == [True] and app.is_running
        gate.set()
        await settle(app, pilot)
        assert not app.in_flight
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_slash_filters_the_table_in_view():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"eth")
        await pilot.pause()
        orders = app.query_one(OrdersTable)
        assert {app.state.order(k).ticker for k in orders.keys} == {"ETH-USD"}
        await pilot.press("enter")
        assert app.focused is orders
        await pilot.press("slash", "ctrl+u")  # clear the line: every order again
        await pilot.pause()
        assert set(orders.keys) == OPEN_IDS


async def test_history_filters_by_status_and_pages():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await pilot.press("5")
        history = app.query_one(HistoryView)
        assert history.total == 8  # six open, one cancelled, one filled
        app.apply_filter("status:filled,canceled")
        await pilot.pause()
        assert history.total == 2
        app.apply_filter("market:eth-usd from:2024-12-02 to:2024-12-02")
        assert history.total == 3
        app.apply_filter("market:eth-usd from:2024-12-03")
        assert history.total == 0


def test_history_filter_syntax():
    parsed = parse_history_filter("status:FILLED market:btc-usd from:2024-08-01 to:2024-08-02 x")
    assert parsed.statuses == {"filled"} and parsed.markets == {"BTC-USD"}
    assert parsed.words == "x" and not parsed.problems
    assert (parsed.until - parsed.since).days == 2
    assert parse_history_filter("from:yesterday foo:1").problems


async def test_history_pages_hold_fifty_orders():
    many = [demo.order(1000 + n, "ETH-USD", 1, "BUY", "1", "2000", status="CANCELED",
                       long_term=True, age_blocks=n) for n in range(120)]
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        feed_of(app).apply({"type": "channel_data", "channel": "v4_subaccounts",
                            "id": demo.CHANNEL_ID, "version": "3.0.0",
                            "contents": {"orders": many}})
        app.flush_changes()
        await pilot.press("5")
        await pilot.pause()
        history = app.query_one(HistoryView)
        assert history.pages == 3 and history.table.row_count == 50
        await pilot.press("right_square_bracket", "right_square_bracket")
        await pilot.pause()
        assert history.page == 2 and history.table.row_count == 128 - 100


async def test_sparklines_draw_from_live_oracle_prices():
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await pilot.pause()
        await play_live(app, pilot, rounds=6)
        spark = app.query_one(MarketsTable).cell_text("BTC-USD", "spark")
        assert len(spark) == 7 and set(spark) <= set("▁▂▃▄▅▆▇█")


async def test_reconciliation_summary_is_notified_at_start():
    controller = FakeController()
    app = make_app(controller=controller, reconcile=True)
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        assert ("reconcile", None) in controller.calls
        assert any("6 open, 1 settled" in str(n.message) for n in app._notifications)


async def test_a_crash_exits_non_zero_without_printing_secrets(capfd):
    app = make_app()
    secret = app.config.credentials.mnemonic.get_secret_value()

    def boom() -> None:
        phrase = secret  # a plain str in a frame: Textual's default report prints locals
        raise RuntimeError(f"boom after {len(phrase)} characters")

    app.action_boom = boom  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError):
        async with app.run_test(size=SMALL) as pilot:
            await pilot.pause()
            app.call_later(boom)  # raised inside the app's own message loop
            await pilot.pause()
    assert app.return_code == 1
    captured = capfd.readouterr()
    report = captured.out + captured.err
    assert "unexpected error" in report and "RuntimeError" in report
    assert secret.split()[0] not in report.replace("RuntimeError", "")

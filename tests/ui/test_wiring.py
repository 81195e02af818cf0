"""The screens inside the real app (demo state, fake controller): keys open them and
their answers reach the controller."""

from __future__ import annotations

from decimal import Decimal

from tests.ui.harness import FakeController, make_app
from tui_app.controller.requests import CancelScope, PlaceRequest
from tui_app.screens.cancel_all import CancelAllScreen
from tui_app.screens.confirm import ConfirmScreen
from tui_app.screens.help import HelpScreen
from tui_app.screens.order_detail import OrderDetailScreen
from tui_app.screens.order_form import OrderFormScreen

SIZE = (80, 24)


async def settle(pilot) -> None:
    """Wait for the workers that end (controller calls, the cancel-all screen's; not the
    feed, which runs forever), then for the messages they posted: no fixed sleeps."""
    app = pilot.app
    finishing = [w for w in app.workers if w.group != "feed"]
    if finishing:  # (an empty list would mean "every worker", the feed included)
        await app.workers.wait_for_complete(finishing)
    await pilot.pause()


async def test_n_opens_the_form_and_places_what_was_typed():
    controller = FakeController()
    app = make_app(controller=controller)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, OrderFormScreen)
        market = form.values().market  # the market of the selected row
        step = app.state.markets[market].step_size
        tick = app.state.markets[market].tick_size
        await pilot.press(*str(step * 3), "tab", *str(tick * 1000), "ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, OrderFormScreen)
    places = [args for name, args in controller.calls if name == "place"]
    assert places == [PlaceRequest(market, "BUY", step * 3, tick * 1000, long_term=True)]
    assert isinstance(places[0].size, Decimal)


async def test_ctrl_s_on_an_incomplete_form_says_why():
    app = make_app(controller=FakeController())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.clear_notifications()
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, OrderFormScreen)  # nothing placed, form still open
        notices = [str(n.message) for n in app._notifications if n.title == "Key disabled"]
        assert notices == ["Not placed: size: required"]


async def test_capital_c_confirms_then_cancels_all_with_the_scope():
    controller = FakeController()
    app = make_app(controller=controller)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        assert isinstance(app.screen, CancelAllScreen)
        assert app.screen.check_action("confirm", ())
        await pilot.press("y")
        await settle(pilot)
        assert ("cancel_all", CancelScope()) in controller.calls
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, CancelAllScreen)


async def test_x_asks_then_closes_the_position():
    controller = FakeController()
    app = make_app(controller=controller)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2", "x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # refused: nothing sent
        await settle(pilot)
        assert not [c for c in controller.calls if c[0] == "close_position"]
        await pilot.press("x", "y")
        await settle(pilot)
        assert [c[0] for c in controller.calls].count("close_position") == 1


async def test_enter_shows_details_and_question_mark_the_keys():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, OrderDetailScreen)
        await pilot.press("escape", "question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        names = [row.name for row in app.screen.rows]
        assert {"Cancel", "Cancel all", "New", "Close", "Details", "Help"} <= set(names)

"""The order form: the rules (check_order) and typing into the screen."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.ui.fakes import FREE_COLLATERAL, markets
from tests.ui.host import ScreenHost
from tui_app.controller.requests import OrderType, PlaceRequest, TimeInForceChoice
from tui_app.screens.order_form import (
    FOK_REASON,
    FormValues,
    OrderFormScreen,
    check_order,
)

ETH = markets()["ETH-USD"]
GTT, IOC, FOK = TimeInForceChoice.GTT, TimeInForceChoice.IOC, TimeInForceChoice.FOK


def values(**changes) -> FormValues:
    base = dict(market="ETH-USD", side="BUY", size="0.010", price="2450.5")
    return FormValues(**{**base, **changes})


# ------------------------------------------------------------------ rules


def test_a_valid_limit_order_gives_the_request_and_the_preview():
    check = check_order(values(), ETH, FREE_COLLATERAL)
    assert check.errors == {}
    # A limit order is long-term (good-til-time) unless the trader says otherwise.
    assert check.request == PlaceRequest("ETH-USD", "BUY", Decimal("0.010"), Decimal("2450.5"),
                                         long_term=True)
    # notional = size x price, margin = notional x IMF 0.05, free after = 1000 - margin
    assert check.preview.notional == Decimal("24.5050")
    assert check.preview.initial_margin == Decimal("1.225250")
    assert check.preview.free_after == Decimal("998.774750")
    assert all(isinstance(v, Decimal) for v in (check.preview.notional, check.preview.free_after))


@pytest.mark.parametrize(
    ("field", "text", "reason"),
    [
        ("size", "0.0105", "not a multiple of the step size 0.001 (nearest valid: 0.010 or 0.011)"),
        ("size", "0.0005", "below the minimum order size 0.001"),
        ("size", "１", "not a plain decimal number"),  # full-width digit
        ("size", "1e3", "not a plain decimal number"),
        ("size", " 1", "not a plain decimal number"),
        ("size", "", "required"),
        ("price", "2450.55", "not a multiple of the tick size 0.1"),
        ("price", "٣", "not a plain decimal number"),  # Arabic-Indic digit
        ("price", "", "required"),
    ],
)
def test_sizes_and_prices_are_strict(field, text, reason):
    check = check_order(values(**{field: text}), ETH, FREE_COLLATERAL)
    assert reason in check.errors[field]
    assert check.request is None and not check.valid


def test_fok_is_refused_with_the_chains_reason():
    check = check_order(values(time_in_force=FOK), ETH)
    assert check.errors["time_in_force"] == FOK_REASON
    assert "not supported by the chain" in FOK_REASON and "deprecated" in FOK_REASON


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        (dict(reduce_only=True), "reduce_only", "only on short-term IOC"),
        (dict(reduce_only=True, time_in_force=IOC), "time_in_force", "3002"),
        (dict(reduce_only=True, time_in_force=IOC, long_term=True), "time_in_force", "3002"),
        (dict(post_only=True, time_in_force=IOC), "post_only", "not with IOC"),
        (dict(long_term=True, time_in_force=IOC), "time_in_force", "long-term orders cannot"),
        (dict(order_type=OrderType.MARKET), "time_in_force", "a market order is IOC"),
        (dict(order_type=OrderType.MARKET, time_in_force=IOC, long_term=True), "long_term",
         "market orders are short-term"),
        (dict(order_type=OrderType.MARKET, time_in_force=IOC, post_only=True), "post_only",
         "takes liquidity"),
        (dict(market="DOGE-USD"), "market", "not a known market"),
    ],
)
def test_order_type_rules(changes, field, reason):
    check = check_order(values(**changes), markets().get(changes.get("market", "ETH-USD")))
    assert reason in check.errors[field], check.errors


@pytest.mark.parametrize("long_term", [True, False])
def test_post_only_is_allowed_on_both_terms(long_term):
    check = check_order(values(post_only=True, long_term=long_term), ETH)
    assert check.valid and check.request.post_only and check.request.long_term is long_term


def test_reduce_only_needs_a_position_it_reduces():
    ioc = dict(reduce_only=True, time_in_force=IOC, long_term=False)
    assert "no open ETH-USD position" in check_order(values(**ioc), ETH).errors["reduce_only"]
    long_position = Decimal("0.005")
    increase = check_order(values(**ioc), ETH, position_size=long_position)
    assert "would increase the long position" in increase.errors["reduce_only"]
    reduce = check_order(values(side="SELL", **ioc), ETH, position_size=long_position)
    assert reduce.valid and reduce.request.reduce_only
    assert "larger than the position" in reduce.warnings["reduce_only"]  # 0.010 > 0.005
    assert reduce.preview.initial_margin == 0


def test_market_order_without_price_is_valued_at_the_oracle_price():
    check = check_order(
        values(order_type=OrderType.MARKET, time_in_force=IOC, long_term=False, price=""),
        ETH, FREE_COLLATERAL,
    )
    assert check.valid and check.request.price is None
    assert check.preview.at_oracle and check.preview.notional == Decimal("25.000")


def test_margin_above_free_collateral_warns():
    check = check_order(values(size="10"), ETH, Decimal("100"))
    assert check.valid  # the estimate may be off: warn, let the chain decide
    assert "exceeds the free collateral" in check.warnings["preview"]


# ------------------------------------------------------------------ the screen


def form_app() -> ScreenHost:
    return ScreenHost(lambda: OrderFormScreen(markets(), market="ETH-USD", side="BUY",
                                              free_collateral=FREE_COLLATERAL))


def reason(app: ScreenHost, field: str) -> str:
    return str(app.screen.query_one(f"#{field}-reason").render())


async def test_typing_a_sell_order_dismisses_with_its_request():
    app = form_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"0.010", "tab", *"2450.5")
        await pilot.press("shift+tab", "shift+tab", "shift+tab", "right")  # side -> SELL
        await pilot.pause()
        assert app.screen.check.valid
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.result == PlaceRequest("ETH-USD", "SELL", Decimal("0.010"), Decimal("2450.5"),
                                      long_term=True)


async def test_a_size_off_step_shows_the_reason_and_blocks_submit():
    app = form_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"0.0105", "tab", *"2450.5")
        await pilot.pause()
        assert "not a multiple of the step size 0.001" in reason(app, "size")
        assert app.screen.query_one("#submit").disabled
        await pilot.press("ctrl+s", "enter")
        await pilot.pause()
        assert not app.dismissed
        # Fixing it as you type clears the reason and enables submit.
        app.screen.query_one("#size").focus()
        await pilot.press("end", "backspace")  # 0.0105 -> 0.010
        await pilot.pause()
        assert "✗" not in reason(app, "size")
        assert not app.screen.query_one("#submit").disabled


async def test_fok_is_refused_with_the_reason_beside_the_field():
    app = form_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"0.010", "tab", *"2450.5", "tab", "right", "right")  # GTT->IOC->FOK
        await pilot.pause()
        assert app.screen.query_one("#time_in_force").value == "fok"
        assert "not supported by the chain" in reason(app, "time_in_force")
        assert app.screen.query_one("#submit").disabled
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not app.dismissed


async def test_choosing_a_market_order_sets_short_term_ioc():
    app = form_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"0.010", "shift+tab", "right")  # type -> market
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#time_in_force").value == "ioc"
        assert screen.query_one("#long_term").value == "short"
        assert screen.check.valid  # the price is optional for a market order
        assert "at oracle price" in str(screen.query_one("#preview").render())
        await pilot.press("escape")
        await pilot.pause()
    assert app.result is None


def focused_rows(app: ScreenHost) -> list[str]:
    """The labels of the rows marked as focused (▶ and reverse video, not colour)."""
    rows = app.screen.query(".row.-focused")
    return [str(row.query_one("Label").render()) for row in rows]


async def test_the_focused_field_is_marked_without_colour():
    app = form_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert focused_rows(app) == ["▶ Size"]
        assert str(app.screen.query_one("#price").parent.query_one("Label").render()) == (
            "  Price"
        )
        await pilot.press("tab")
        assert focused_rows(app) == ["▶ Price"]
        await pilot.press("tab")  # a choice: its chosen option is in reverse video
        assert focused_rows(app) == ["▶ Time in force"]
        choice = app.screen.query_one("#time_in_force")
        assert choice.get_component_rich_style("choice--chosen").reverse
        await pilot.press("shift+tab", "shift+tab", "shift+tab", "shift+tab", "shift+tab")
        assert focused_rows(app) == ["▶ Market"]
        assert not choice.get_component_rich_style("choice--chosen").reverse


async def test_a_limit_order_defaults_to_long_term_and_ioc_to_short_term():
    app = ScreenHost(lambda: OrderFormScreen(markets(), market="ETH-USD",
                                             short_term_blocks=10, long_term_seconds=86400))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"0.010", "tab", *"2450.5")
        await pilot.pause()
        screen = app.screen
        term = screen.query_one("#long_term")
        assert term.value == "long" and screen.check.request.long_term
        assert reason(app, "long_term") == "good-til-time: 1d00h"  # trading.long_term_seconds
        await pilot.press("tab", "right")  # time in force GTT -> IOC: short-term
        await pilot.pause()
        assert term.value == "short" and not screen.check.request.long_term
        assert reason(app, "long_term") == "good-til-block: 10 blocks"
        await pilot.press("left")  # back to GTT: long-term again
        await pilot.pause()
        assert term.value == "long"
        await pilot.press("tab", "left")  # the term stays switchable: short-term GTT
        await pilot.pause()
        assert screen.check.valid and not screen.check.request.long_term
        await pilot.press("shift+tab", "shift+tab", "shift+tab", "shift+tab", "right")
        await pilot.pause()  # type -> market: short-term IOC; back to limit: long-term GTT
        assert (screen.query_one("#time_in_force").value, term.value) == ("ioc", "short")
        await pilot.press("left")
        await pilot.pause()
        assert (screen.query_one("#time_in_force").value, term.value) == ("gtt", "long")

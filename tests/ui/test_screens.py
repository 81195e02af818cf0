"""Confirm, quit, mainnet, help and order detail screens, driven by keys."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.ui.fakes import ADDRESS, fill_of, open_orders
from tests.ui.host import ScreenHost
from tui_app.screens.confirm import ConfirmScreen
from tui_app.screens.help import HelpScreen
from tui_app.screens.mainnet import MainnetConfirmScreen
from tui_app.screens.order_detail import OrderDetailScreen, fill_summary
from tui_app.screens.quit import QuitScreen
from tui_app.store.models import AuditAction, AuditEntry, AuditOutcome, OrderRecord


@pytest.mark.parametrize(("keys", "result"), [(["y"], True), (["n"], False),
                                              (["escape"], False), (["enter"], False)])
async def test_confirm_answers_and_a_stray_enter_refuses(keys, result):
    app = ScreenHost(lambda: ConfirmScreen("Close ETH-USD?", "Sell 0.5 ETH at market.",
                                           "Close position"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*keys)
        await pilot.pause()
    assert app.result is result


async def test_quit_screen_names_what_is_in_flight():
    app = ScreenHost(lambda: QuitScreen(["cancel all", "place buy 0.01 ETH-USD"]))
    async with app.run_test(size=(80, 24)) as pilot:
        assert "cancel all, place buy 0.01 ETH-USD" in str(app.screen.query_one("#body").render())
        await pilot.press("y")
        await pilot.pause()
    assert app.result is True


@pytest.mark.parametrize("typed", ["Mainnet", "mainnet ", "main", "testnet", ""])
async def test_mainnet_stays_locked_unless_typed_exactly(typed):
    app = ScreenHost(lambda: MainnetConfirmScreen(address=ADDRESS))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*typed, "enter")
        await pilot.pause()
        assert not app.dismissed
        assert "Locked" in str(app.screen.query_one("#lock").render())


async def test_mainnet_unlocks_with_the_name_and_escape_quits():
    app = ScreenHost(lambda: MainnetConfirmScreen(address=ADDRESS))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"mainnet")
        await pilot.pause()
        assert "Unlocked" in str(app.screen.query_one("#lock").render())
        await pilot.press("enter")
        await pilot.pause()
    assert app.result is True
    app = ScreenHost(lambda: MainnetConfirmScreen(address=ADDRESS))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"mainnet", "escape")
        await pilot.pause()
    assert app.result is False


async def test_help_lists_active_bindings_with_rebinding_and_disabled_reason():
    app = ScreenHost(read_only="read-only: no mnemonic for this address")
    async with app.run_test(size=(80, 24)) as pilot:
        app.set_keymap({"cancel_order": "d"})
        await pilot.pause()
        help_screen = HelpScreen()
        app.push_screen(help_screen)
        await pilot.pause()
        rows = {row.name: row for row in help_screen.rows}
        assert rows["Cancel"].keys == "d"  # rebound: listed under its new key
        assert not rows["Cancel"].enabled
        assert rows["Cancel"].reason == "read-only: no mnemonic for this address"
        assert rows["Help"].enabled and rows["Quit"].enabled
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not help_screen


def _record(order) -> OrderRecord:
    return OrderRecord(
        order_id=order.id, owner=ADDRESS, subaccount_number=0, client_id=1005,
        order_flags=0, clob_pair_id=0, order_id_proto=b"", good_til_block=1015,
        good_til_block_time=None, symbol="BTC-USD", side="SELL", quantity=Decimal("0.0020"),
        quantums=20000000, price=Decimal("61000"), subticks=6100000000, order_type="LIMIT",
        time_in_force="IOC", reduce_only=False, post_only=False,
        placed_at=datetime(2030, 1, 1, tzinfo=UTC), tx_hash="0A1B2C3D4E5F",
    )


def test_partial_fill_figures():
    order = open_orders()[4]  # 0.0020 BTC, 0.0005 filled
    fills = [fill_of(order, "0.0002", "61000", 1), fill_of(order, "0.0003", "61010", 2)]
    rows = dict(fill_summary(order, fills))
    assert rows["Filled"] == "0.0005" and rows["Remaining"] == "0.0015"
    assert rows["Filled share"] == "25.0%"
    assert rows["Average fill price"] == "61006"  # (0.0002*61000 + 0.0003*61010) / 0.0005


async def test_order_detail_shows_metadata_and_copies_it_over_osc52():
    order = open_orders()[4]
    audit = [AuditEntry(order.id, AuditAction.PLACE, AuditOutcome.ACCEPTED, code=0,
                        detail="accepted", tx_hash="0A1B2C3D4E5F",
                        at=datetime(2030, 1, 1, tzinfo=UTC))]

    async def loader():
        return _record(order), audit

    app = ScreenHost(lambda: OrderDetailScreen(order, [fill_of(order, "0.0005", "61000")],
                                               block_height=1000, loader=loader))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        copied = app.clipboard
        assert f"Order id: {order.id}" in copied
        assert "Client id: 1005" in copied
        assert "Order flags: 0 (short-term)" in copied
        assert "Good-til block: 1015 (15 blocks left)" in copied
        assert "Place tx: 0A1B2C3D4E5F" in copied
        assert app.screen.audit == audit and app.screen.record.tx_hash == "0A1B2C3D4E5F"
        await pilot.press("end")  # scroll down to the audit trail
        await pilot.pause()
        assert "accepted" in app.export_screenshot()
        await pilot.press("escape")
        await pilot.pause()
    assert app.dismissed

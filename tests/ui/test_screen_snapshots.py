"""Snapshots of the screens a trader must read right: cancel-all confirmation, order form
with a validation error, mainnet confirmation, help. Fixed data, fixed size, no clock.

Sync tests: `snap_compare` runs its own event loop. Update with
`pytest tests/ui --snapshot-update` (Textual 8.2.8 only) and review every SVG.
"""

from __future__ import annotations

from tests.ui.fakes import FREE_COLLATERAL, FakeController, markets, open_orders
from tests.ui.harness import make_app
from tests.ui.host import ScreenHost
from tui_app.screens.cancel_all import CancelAllScreen
from tui_app.screens.mainnet import MainnetConfirmScreen
from tui_app.screens.order_form import OrderFormScreen

SIZE = (80, 24)


def test_cancel_all_confirmation(snap_compare):
    """5 open orders in ETH-USD and BTC-USD: the count per market, the scope choice."""
    controller = FakeController()
    orders = open_orders()
    app = ScreenHost(lambda: CancelAllScreen(orders, controller, focus_market="ETH-USD"))
    assert snap_compare(app, terminal_size=SIZE)


def test_order_form_size_not_on_step(snap_compare):
    """Size 0.0105 ETH is not a multiple of the step 0.001: the reason beside the field,
    the submit button disabled."""
    app = ScreenHost(
        lambda: OrderFormScreen(markets(), market="ETH-USD", free_collateral=FREE_COLLATERAL)
    )
    assert snap_compare(app, terminal_size=SIZE, press=[*"0.0105", "tab", *"2450.5"])


def test_mainnet_confirmation(snap_compare):
    app = ScreenHost(
        lambda: MainnetConfirmScreen(address="dydx1kzsvkf2ghjqlysuffdkhcdctknl4rsvcx5hkm5")
    )
    assert snap_compare(app, terminal_size=SIZE, press=[*"main"])


def test_help_screen(snap_compare):
    """The real app's keys (demo state, fixed clock), listed from its active bindings."""
    assert snap_compare(make_app(), terminal_size=SIZE, press=["question_mark"])

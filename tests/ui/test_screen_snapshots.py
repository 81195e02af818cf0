"""Snapshots of the screens a trader must read right: cancel-all confirmation and results,
order form with a validation error, mainnet confirmation, help. Fixed data, fixed size, no clock.

Sync tests: `snap_compare` runs its own event loop. Update with
`pytest tests/ui --snapshot-update` (Textual 8.2.8 only) and review every SVG.
"""

from __future__ import annotations

from tests.ui.fakes import FREE_COLLATERAL, FakeController, markets, open_orders, order
from tests.ui.harness import make_app
from tests.ui.host import ScreenHost
from tui_app.controller.requests import CancelOutcome, CancelResult
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


class ScriptedCancels(FakeController):
    """Each order's outcome as the real controller words it."""

    def __init__(self, outcomes: dict[str, tuple[CancelResult, str, int | None]]) -> None:
        super().__init__()
        self.outcomes = outcomes

    def _outcome(self, order_id: str, market: str = "ETH-USD") -> CancelOutcome:
        result, message, blocks = self.outcomes.get(
            order_id, (CancelResult.CANCELLED, "cancelled", None))
        return CancelOutcome(order_id, market, result, message, blocks_left=blocks)


def test_cancel_all_results(snap_compare):
    """12 orders, after the cancels: each row's market, side, order, result and detail
    (cancelled, best effort, failed with its reason, already gone, unknown); more rows
    than fit, so the list scrolls; "Retry the failed" in focus."""
    orders = [order(n, "ETH-USD" if n % 3 else "BTC-USD", "BUY" if n % 2 else "SELL",
                    price="2400" if n % 3 else "59000")
              for n in range(1, 13)]  # fmt: skip
    ids = [o.id for o in orders]
    controller = ScriptedCancels({
        ids[1]: (CancelResult.BEST_EFFORT, "best effort until block 1015 (15 blocks)", 15),
        ids[3]: (CancelResult.FAILED, "insufficient fee (code 13)", None),
        ids[4]: (CancelResult.ALREADY_DONE, "already expired", None),
        ids[6]: (CancelResult.ALREADY_DONE, "already filled (order not found, code 3006)",
                 None),
        ids[8]: (CancelResult.UNKNOWN, "no answer in time: broadcast timed out", None),
    })
    controller.orders = orders
    app = ScreenHost(lambda: CancelAllScreen(orders, controller))

    async def cancel_all(pilot) -> None:
        await pilot.press("y")
        await app.workers.wait_for_complete()
        for _ in range(3):  # the report, then its rows
            await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=cancel_all)


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

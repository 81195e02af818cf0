"""'retrying n/N' on the order's row while the controller's node call is retried."""

from __future__ import annotations

import asyncio
import threading

from tests.ui.harness import FakeController, make_app, settle
from tui_app.controller.requests import CancelOutcome, CancelResult
from tui_app.tools import demo_scenario as demo
from tui_app.widgets.orders import OrdersTable

ETH_BUY = demo.OPEN_ORDERS[0]["id"]


class RetryingController(FakeController):
    """Cancels after reporting retries the way OrderController does (1..n, then 0); the
    first report comes from another thread, like the gateway's worker."""

    def __init__(self) -> None:
        super().__init__()
        self.on_retry = None  # the app fills it in
        self.go_on = asyncio.Event()

    async def cancel(self, order_id: str) -> CancelOutcome:
        self.calls.append(("cancel", order_id))
        assert self.on_retry is not None
        thread = threading.Thread(target=self.on_retry, args=(order_id, 1, 3))
        thread.start()
        thread.join()
        await self.go_on.wait()
        self.on_retry(order_id, 0, 3)
        return CancelOutcome(order_id, "ETH-USD", CancelResult.CANCELLED, "cancelled")


async def test_a_retried_cancel_says_retrying_then_its_outcome():
    controller = RetryingController()
    app = make_app(controller=controller)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert controller.on_retry is not None
        orders = app.query_one(OrdersTable)
        orders.move_cursor(row=orders.get_row_index(ETH_BUY))
        await pilot.press("c")
        await pilot.pause(0.2)
        assert orders.cell_text(ETH_BUY, "status") == "retrying 1/3"
        controller.go_on.set()
        await settle(app, pilot)
        assert orders.cell_text(ETH_BUY, "status") != "retrying 1/3"
        assert not (app.order_notes.get(ETH_BUY) or "").startswith("retrying")


async def test_the_end_of_retries_brings_back_the_note_before():
    controller = RetryingController()
    app = make_app(controller=controller)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.set_order_note(ETH_BUY, "cancel sent")
        controller.on_retry(ETH_BUY, 2, 5)
        await pilot.pause()
        assert app.query_one(OrdersTable).cell_text(ETH_BUY, "status") == "retrying 2/5"
        controller.on_retry(ETH_BUY, 0, 5)
        await pilot.pause()
        assert app.order_notes[ETH_BUY] == "cancel sent"

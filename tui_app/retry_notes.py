"""'retrying 2/5' on an order's row while the node is being retried for it.

The order controller (OrderController.on_retry) reports `(order_id, attempt, limit)` on its
loop: attempt 1..limit before each retry, 0 when the sending is over. The hook only posts
a message (post_message is thread-safe), and the app shows the note when it handles it;
no widget is touched from the hook. When the retrying is over, the note the row had
before comes back, unless the outcome has already replaced it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from tui_app.app import DydxApp

PREFIX = "retrying "


class OrderRetrying(Message):
    """The node is being retried for an order (attempt 0: no longer)."""

    def __init__(self, order_id: str, attempt: int, limit: int) -> None:
        super().__init__()
        self.order_id = order_id
        self.attempt = attempt
        self.limit = limit


class RetryNotes:
    def __init__(self, app: DydxApp) -> None:
        self.app = app
        self._before: dict[str, str | None] = {}  # order id -> its note before the retries

    def hook(self, order_id: str, attempt: int, limit: int) -> None:
        """The controller's `on_retry`: safe from any thread."""
        self.app.post_message(OrderRetrying(order_id, attempt, limit))

    def show(self, message: OrderRetrying) -> None:
        """On the app's loop (from the message handler)."""
        app, order_id = self.app, message.order_id
        current = app.order_notes.get(order_id)
        if message.attempt > 0:
            if order_id not in self._before:
                self._before[order_id] = current
            app.set_order_note(order_id, f"{PREFIX}{message.attempt}/{message.limit}")
            return
        if order_id not in self._before:
            return
        before = self._before.pop(order_id)
        if current is not None and current.startswith(PREFIX):
            app.set_order_note(order_id, before)


    def attach(self, controller: object) -> None:
        """Give the controller this `on_retry` hook, when it has one and it is free.

        Called once the app goes live: on mainnet, after the typed confirmation.
        """
        if controller is not None and getattr(controller, "on_retry", False) is None:
            controller.on_retry = self.hook  # type: ignore[attr-defined]

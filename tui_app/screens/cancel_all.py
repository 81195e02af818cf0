"""`C`: cancel all open orders in a chosen scope, with live progress and retry of the failed.

Three phases on one screen: confirm (scope, and how many orders in which markets), running
(n/N while the controller works, in a worker), done (each order's result, "retry the
failed"). Dismisses with the `CancelAllReport` (None when nothing was sent).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from time import monotonic
from typing import Any, Protocol

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, ProgressBar, Static

from tui_app.controller.errors import ControllerError
from tui_app.controller.requests import CancelAllReport, CancelOutcome, CancelScope
from tui_app.messages import (
    CancelsFinished,
    CancelsRequested,
    cancel_all_result,
    cancel_label,
)
from tui_app.screens.choice import Choice
from tui_app.screens.dimmed import DimmedModalScreen
from tui_app.state import TrackedOrder
from tui_app.widgets.result_list import ResultList

PROGRESS_FRAME = 1 / 30  # seconds: the progress bar moves at most this often
# (label, least width): "unknown, reconciling" is the longest result.
RESULT_COLUMNS = (("Market", 9), ("Side", 4), ("Order", 8), ("Result", 20), ("Detail", 0))


class CancelAllController(Protocol):
    async def cancel_all(
        self, scope: CancelScope, on_progress: Callable[..., Any] | None = None
    ) -> CancelAllReport: ...


class ProgressCounter:
    """Turns the controller's progress calls into (done, total, outcome).

    The OrderController calls `on_progress(outcome)` once per order; a simpler controller
    may call `on_progress(done, total)`. Both are understood. `expected` is the count the
    confirmation showed; the controller (reading its store) may find a few more.
    """

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.done = 0

    def __call__(self, *args: Any) -> tuple[int, int, CancelOutcome | None]:
        if args and isinstance(args[0], CancelOutcome):
            self.done += 1
            return self.done, max(self.expected, self.done), args[0]
        done, total = int(args[0]), int(args[1])
        self.done = done
        return done, total, None


def in_scope(order: TrackedOrder, scope: CancelScope) -> bool:
    """The controller's rule: an order matches when it matches every field set."""
    return (
        (scope.market is None or order.ticker == scope.market)
        and (scope.side is None or order.data.side == scope.side)
        and (scope.order_ids is None or order.id in scope.order_ids)
    )


@dataclass(frozen=True)
class ScopeOption:
    key: str
    label: str
    scope: CancelScope
    count: int = 0  # open orders in the scope


def scope_options(
    orders: Sequence[TrackedOrder],
    focus_market: str | None = None,
    filter_ids: Iterable[str] | None = None,
) -> list[ScopeOption]:
    """The scopes worth offering, each with its count (a scope with no order is left out,
    except "all")."""
    options = [ScopeOption("all", "All open orders", CancelScope())]
    if focus_market:
        options.append(
            ScopeOption("market", f"Market in focus: {focus_market}",
                        CancelScope(market=focus_market))
        )
    options.append(ScopeOption("buy", "Buy orders only", CancelScope(side="BUY")))
    options.append(ScopeOption("sell", "Sell orders only", CancelScope(side="SELL")))
    if filter_ids is not None:
        options.append(
            ScopeOption("filter", "Orders of the current filter",
                        CancelScope(order_ids=frozenset(filter_ids)))
        )
    counted = []
    for option in options:
        count = sum(1 for o in orders if in_scope(o, option.scope))
        if count or option.key == "all":
            counted.append(
                ScopeOption(option.key, f"{option.label} ({count})", option.scope, count)
            )
    return counted


def scope_summary(orders: Sequence[TrackedOrder], scope: CancelScope) -> tuple[int, str]:
    """(count, lines naming how many orders in which markets, by side)."""
    chosen = [o for o in orders if in_scope(o, scope)]
    if not chosen:
        return 0, "No open order in this scope: nothing to cancel."
    per_market = Counter(o.ticker or "?" for o in chosen)
    sides = Counter((o.ticker or "?", o.data.side) for o in chosen)
    long_term = sum(1 for o in chosen if o.data.order_flags not in (0, None))
    noun = "order" if len(chosen) == 1 else "orders"
    lines = [f"Cancel {len(chosen)} {noun} in {len(per_market)} "
             f"market{'s' if len(per_market) > 1 else ''}:"]
    for market, count in sorted(per_market.items()):
        buys, sells = sides[(market, "BUY")], sides[(market, "SELL")]
        lines.append(f"  {market:<12} {count:>3}   ({buys} buy, {sells} sell)")
    short_term = len(chosen) - long_term
    if short_term:
        # Short-term cancels are best effort: honest about what "cancelled" will mean.
        lines.append(f"{short_term} short-term: best effort until their good-til-block.")
    return len(chosen), "\n".join(lines)


def merge_reports(first: CancelAllReport, retry: CancelAllReport) -> CancelAllReport:
    """The first report with each retried order's outcome replaced by the retry's."""
    retried = {o.order_id: o for o in retry.outcomes}
    merged = [retried.pop(o.order_id, o) for o in first.outcomes]
    return CancelAllReport(tuple(merged) + tuple(retried.values()))


class CancelAllScreen(DimmedModalScreen[CancelAllReport | None]):
    DEFAULT_CSS = """
    CancelAllScreen { align: center middle; }
    CancelAllScreen > #box {
        width: 100%; max-width: 90; height: auto; max-height: 100%;
        border: thick $error; background: $surface; padding: 0 1;
    }
    CancelAllScreen #title { text-style: bold; height: 1; margin-bottom: 1; }
    CancelAllScreen #scope { margin-bottom: 1; }
    CancelAllScreen #summary { height: auto; margin-bottom: 1; }
    CancelAllScreen #status { height: auto; }
    CancelAllScreen #status.-error { color: $error; }
    CancelAllScreen #progress { margin-bottom: 1; }
    CancelAllScreen #results { height: auto; max-height: 10; }
    CancelAllScreen #buttons { height: auto; margin-top: 1; }
    CancelAllScreen #buttons Button { margin-right: 1; }
    CancelAllScreen .-hidden { display: none; }
    """

    BINDINGS = [
        Binding("y", "confirm", "Cancel orders", id="cancel_all.confirm",
                tooltip="Send the cancels for the chosen scope"),
        Binding("r", "retry", "Retry failed", id="cancel_all.retry",
                tooltip="Send the cancels again for the orders that failed"),
        Binding("escape,n", "close", "Close", id="cancel_all.close",
                tooltip="Go back (not while the cancels are being sent)"),
    ]

    class Progress(Message):
        """The controller's progress calls of one turn of the loop, as (done, total,
        outcome): answers come a batch transaction (up to 100 orders) at a time."""

        def __init__(self, steps: list[tuple[int, int, CancelOutcome | None]]) -> None:
            super().__init__()
            self.steps = steps
            self.done, self.total = steps[-1][0], steps[-1][1]
            self.outcomes = [outcome for _, _, outcome in steps if outcome is not None]

    class Finished(Message):
        """The controller returned (or raised); after every Progress in the queue."""

        def __init__(self, report: CancelAllReport | None, error: str | None) -> None:
            super().__init__()
            self.report = report
            self.error = error

    def __init__(
        self,
        orders: Sequence[TrackedOrder],
        controller: CancelAllController,
        *,
        focus_market: str | None = None,
        filter_ids: Iterable[str] | None = None,
        initial_scope: str = "all",
    ) -> None:
        super().__init__()
        self.orders = list(orders)
        self.controller = controller
        self.options = scope_options(self.orders, focus_market, filter_ids)
        keys = [o.key for o in self.options]
        self.initial_scope = initial_scope if initial_scope in keys else "all"
        self.phase = "confirm"  # confirm -> running -> done
        self.report: CancelAllReport | None = None
        self.error: str | None = None
        self.last_scope: CancelScope | None = None
        self.asked = 0  # how many orders the confirmation counted in the chosen scope
        self.streamed: set[str] = set()  # outcomes already posted as they came
        self._progress_shown_at = 0.0  # monotonic time the bar last moved
        self._progress_timer: Timer | None = None  # shows the newest count, if pending
        self._progress: tuple[int, int] = (0, 0)  # the newest (done, total)

    # ---- layout

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static("Cancel all open orders", id="title")
            yield Choice([(o.key, o.label) for o in self.options], self.initial_scope,
                         vertical=True, id="scope")
            yield Static(id="summary", markup=False)
            yield Static(id="status", classes="-hidden", markup=False)
            yield ProgressBar(show_eta=False, show_percentage=False, id="progress",
                              classes="-hidden")
            yield ResultList(RESULT_COLUMNS, id="results", classes="-hidden")
            with Horizontal(id="buttons"):
                yield Button("Cancel orders (y)", variant="error", id="confirm", compact=True)
                yield Button("Retry the failed (r)", variant="warning", id="retry",
                             compact=True, classes="-hidden")
                yield Button("Back (esc)", id="close", compact=True)

    def on_mount(self) -> None:
        self.query_one("#scope", Choice).focus()
        self._show_scope()

    @property
    def option(self) -> ScopeOption:
        key = self.query_one("#scope", Choice).value
        return next(o for o in self.options if o.key == key)

    @property
    def scope(self) -> CancelScope:
        return self.option.scope

    def _show_scope(self) -> None:
        count, text = scope_summary(self.orders, self.scope)
        self.query_one("#summary", Static).update(text)
        confirm = self.query_one("#confirm", Button)
        confirm.label = f"Cancel {count} order{'s' if count != 1 else ''} (y)"
        confirm.disabled = count == 0
        self.refresh_bindings()

    def on_choice_changed(self, event: Choice.Changed) -> None:
        event.stop()
        if self.phase == "confirm":
            self._show_scope()

    # ---- running

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "confirm":
            # The count of the options, not scope_summary: the footer asks on every refresh.
            return self.phase == "confirm" and self.option.count > 0
        if action == "retry":
            return self.phase == "done" and self._can_retry()
        if action == "close":
            # Leaving mid-way would hide the outcome of cancels already sent.
            return None if self.phase == "running" else True
        return True

    def disabled_reason(self, action: str) -> str | None:
        """Why a key does nothing now (the app shows it when the key is pressed)."""
        if self.check_action(action, ()):
            return None
        if action == "close":
            return "The cancels are being sent: wait for the result."
        if action == "confirm" and self.phase == "confirm":
            return "No open order in this scope."
        return None

    def _can_retry(self) -> bool:
        return self.error is not None or bool(self.report and self.report.failed)

    def action_confirm(self) -> None:
        if self.check_action("confirm", ()):
            self._start(self.scope)

    def action_retry(self) -> None:
        if self.phase != "done" or not self._can_retry():
            return
        if self.report is not None and self.report.failed:
            ids = frozenset(o.order_id for o in self.report.failed)
            self._start(CancelScope(order_ids=ids), retry=True)
        elif self.last_scope is not None:
            # The whole call failed: send it again (the confirmed count still holds).
            self._start(self.last_scope, retry=self.report is not None)

    def action_close(self) -> None:
        if self.phase != "running":
            self.dismiss(self.report)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        {"confirm": self.action_confirm, "retry": self.action_retry,
         "close": self.action_close}[event.button.id or "close"]()

    def _start(self, scope: CancelScope, *, retry: bool = False) -> None:
        self.phase = "running"
        self.last_scope = scope
        self.streamed.clear()
        self.error = None
        targets = [o for o in self.orders if in_scope(o, scope)]
        if not retry:  # a retry's report is merged into the first: the count stays
            self.asked = len(targets)
        self.query_one("#scope").add_class("-hidden")
        self.query_one("#summary").add_class("-hidden")
        for name in ("#confirm", "#retry", "#close"):
            self.query_one(name).add_class("-hidden")
        bar = self.query_one("#progress", ProgressBar)
        bar.remove_class("-hidden")
        bar.update(total=len(targets) or None, progress=0)
        self._set_status(f"Cancelling... 0/{len(targets)}")
        self.refresh_bindings()
        self.hold_below(True)  # the rows behind change with every answer
        self.run_cancel_all(scope, targets)

    @work(exclusive=True, group="cancel_all", exit_on_error=False)
    async def run_cancel_all(self, scope: CancelScope, targets: list[TrackedOrder]) -> None:
        # One message for all, before the first outcome (a row's "cancel sent" must not
        # come after its result).
        self.app.post_message(CancelsRequested([order.id for order in targets]))
        counter = ProgressCounter(len(targets))
        pending: list[tuple[int, int, CancelOutcome | None]] = []
        lock = threading.Lock()  # the callback is safe from any thread
        loop = asyncio.get_running_loop()

        def flush() -> None:
            with lock:
                steps = pending[:]
                pending.clear()
            if steps:
                self.post_message(self.Progress(steps))

        def progress(*args: Any) -> None:
            # One Progress message per turn of the loop, whatever the calls in it.
            with lock:
                pending.append(counter(*args))
                first = len(pending) == 1
            if first:
                loop.call_soon_threadsafe(flush)

        try:
            try:
                report = await self.controller.cancel_all(scope, on_progress=progress)
            finally:
                flush()  # what is pending goes out before Finished
        except ControllerError as error:
            self.post_message(self.Finished(None, str(error)))
        except Exception as error:  # a bug must not leave the screen stuck in "running"
            self.log.error("cancel_all failed", error)
            self.post_message(
                self.Finished(None, f"unexpected error: {type(error).__name__}: {error}")
            )
        else:
            self.post_message(self.Finished(report, None))

    def on_cancel_all_screen_progress(self, message: Progress) -> None:
        if message.outcomes:
            # The row shows each order's honest state as soon as it is known.
            self.app.post_message(CancelsFinished(message.outcomes))
            self.streamed.update(outcome.order_id for outcome in message.outcomes)
        if self.phase != "running":
            return
        # Answers come in batches of up to 100 at once: the bar moves at most once a
        # frame (~1 ms each), the newest count a frame later at the latest.
        self._progress = (message.done, message.total)
        wait = self._progress_shown_at + PROGRESS_FRAME - monotonic()
        if wait <= 0:
            self._show_progress()
        elif self._progress_timer is None:
            self._progress_timer = self.set_timer(wait, self._show_progress)

    def _show_progress(self) -> None:
        self._progress_timer = None
        if self.phase != "running":
            return
        self._progress_shown_at = monotonic()
        done, total = self._progress
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=total or None, progress=done)
        # Same one line: no layout (a layout of a modal screen composes the whole dimmed
        # main screen behind it again, 100+ ms).
        self.query_one("#status", Static).update(f"Cancelling... {done}/{total}", layout=False)

    def on_cancel_all_screen_finished(self, message: Finished) -> None:
        report, error = message.report, message.error
        if report is not None:
            unseen = [o for o in report.outcomes if o.order_id not in self.streamed]
            if unseen:
                self.app.post_message(CancelsFinished(unseen))
            self.report = report if self.report is None else merge_reports(self.report, report)
        self.error = error
        self.phase = "done"
        self._show_results()
        self.hold_below(False)

    def _show_results(self) -> None:
        self.query_one("#progress").add_class("-hidden")
        table = self.query_one("#results", ResultList)
        table.clear()
        by_id = {o.id: o for o in self.orders}
        outcomes: tuple[CancelOutcome, ...] = self.report.outcomes if self.report else ()
        rows = []
        for outcome in outcomes:
            order = by_id.get(outcome.order_id)
            side = order.data.side if order is not None and order.data.side else "?"
            rows.append((outcome.market, side, outcome.order_id[:8], cancel_label(outcome),
                         outcome.message))
        # All at once: the list draws only the lines on screen, whatever their number.
        table.add_rows(rows)
        table.set_class(not outcomes, "-hidden")
        self._set_status(self._result_text(), error=self.error is not None)
        retry = self.query_one("#retry", Button)
        failed = len(self.report.failed) if self.report else 0
        retry.label = f"Retry the failed ({failed}) (r)" if failed else "Retry (r)"
        retry.set_class(not self._can_retry(), "-hidden")
        close = self.query_one("#close", Button)
        close.label = "Close (esc)"
        close.remove_class("-hidden")
        (retry if self._can_retry() else close).focus()
        self.refresh_bindings()

    def _result_text(self) -> str:
        parts = []
        if self.report is not None:
            parts.append(cancel_all_result(self.report, self.asked))
            if self.report.failed:
                parts.append(f"{len(self.report.failed)} failed or unknown: "
                             "retry them, or leave them to reconciliation.")
        if self.error is not None:
            parts.append(f"✗ {self.error}")
        return "\n".join(parts) or "Nothing was cancelled."

    def _set_status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#status", Static)
        status.update(text)
        status.remove_class("-hidden")
        status.set_class(error, "-error")

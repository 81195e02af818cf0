"""Typed messages that cross from workers and screens to the app shell (past tense).

UI layer: these subclass Textual's `Message`, so only the app, screens and widgets import
this module. The shell's orders table shows the honest cancel state of a row from them:
`CancelsRequested` -> "cancel sent"; `CancelsFinished` -> `cancel_label(outcome)` for each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from textual.message import Message

from tui_app.controller.requests import CancelAllReport, CancelOutcome, CancelResult


def cancel_label(outcome: CancelOutcome) -> str:
    """What an order row should say after a cancel attempt, in a few characters."""
    match outcome.result:
        case CancelResult.CANCELLED:
            return "cancelled"
        case CancelResult.BEST_EFFORT:
            # Short-term cancels are gossiped, never in a block: the order can still fill
            # until its good-til-block passes.
            if outcome.blocks_left is not None:
                return f"best-effort ({outcome.blocks_left} blk)"
            return "best-effort"
        case CancelResult.SENT:
            return "cancel sent"
        case CancelResult.ALREADY_DONE:
            return "already done"
        case CancelResult.FAILED:
            return "cancel failed"
        case CancelResult.UNKNOWN:
            return "unknown, reconciling"
    return str(outcome.result)


# One word per result for the summary line (the rows say more: blocks left...).
RESULT_WORDS = {
    CancelResult.CANCELLED: "cancelled",
    CancelResult.BEST_EFFORT: "best-effort",
    CancelResult.SENT: "cancel sent",
    CancelResult.ALREADY_DONE: "already done",
    CancelResult.FAILED: "failed",
    CancelResult.UNKNOWN: "unknown",
}


def cancel_all_result(report: CancelAllReport, asked: int) -> str:
    """The result of a cancel-all in one line (two when the count moved): how many orders
    the trader confirmed, how many the controller answered for, and what became of them.

    The confirmation counts the open orders it saw; by the time the cancels go out a few
    may have expired or filled (fewer answered) or been placed elsewhere (more).
    """
    answered = len(report.outcomes)
    counts = Counter(RESULT_WORDS.get(o.result, str(o.result)) for o in report.outcomes)
    breakdown = ", ".join(f"{n} {word}" for word, n in counts.items()) or "nothing to cancel"
    orders = "order" if asked == 1 else "orders"
    line = f"Done: {asked} {orders} asked, {answered} answered: {breakdown}"
    if answered < asked:
        line += f"\n{asked - answered} no longer open when sent (filled or expired meanwhile)."
    elif answered > asked:
        line += f"\n{answered - asked} more found open than the confirmation counted."
    return line


# Cancel-all reports to the app in batches, not one message per order: Textual handles the
# messages in its queue back to back without letting the loop run, at ~50-100 us each, so
# 1,000 of them for 500 orders held the UI for tens of ms at a time.


class CancelsRequested(Message):
    """Cancels of these orders are about to be sent (cancel-all: all of them at once)."""

    label = "cancel sent"

    def __init__(self, order_ids: Sequence[str]) -> None:
        super().__init__()
        self.order_ids = tuple(order_ids)


class CancelsFinished(Message):
    """The controller answered these cancels: each `outcome.result` is the honest state."""

    def __init__(self, outcomes: Sequence[CancelOutcome]) -> None:
        super().__init__()
        self.outcomes = tuple(outcomes)

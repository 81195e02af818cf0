"""Cancel-all: the scope reaches the controller, progress shows n/N, the failed can be
retried, and every order's outcome is posted for the orders table."""

from __future__ import annotations

import asyncio

from tests.ui.fakes import FakeController, open_orders, order
from tests.ui.host import ScreenHost
from tui_app.controller.errors import NetworkError
from tui_app.controller.requests import CancelAllReport, CancelResult, CancelScope
from tui_app.messages import CancelsFinished, CancelsRequested, cancel_all_result, cancel_label
from tui_app.screens.cancel_all import CancelAllScreen, ProgressCounter, scope_summary
from tui_app.widgets.result_list import ResultList

ORDERS = open_orders()
IDS = [o.id for o in ORDERS]


def setup(**screen_args) -> tuple[ScreenHost, FakeController]:
    controller = FakeController()
    controller.orders = ORDERS
    app = ScreenHost(lambda: CancelAllScreen(ORDERS, controller, **screen_args))
    return app, controller


def text(app: ScreenHost, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def test_the_summary_names_the_count_per_market():
    count, summary = scope_summary(ORDERS, CancelScope())
    assert count == 5
    assert "Cancel 5 orders in 2 markets" in summary
    assert "BTC-USD        2   (1 buy, 1 sell)" in summary
    assert "ETH-USD        3   (2 buy, 1 sell)" in summary
    assert scope_summary(ORDERS, CancelScope(market="SOL-USD"))[0] == 0


def test_progress_counter_understands_both_callback_styles():
    counter = ProgressCounter(expected=2)
    assert counter(3, 7) == (3, 7, None)  # (done, total)
    counter = ProgressCounter(expected=2)
    outcome = FakeController()._outcome(IDS[0])
    assert counter(outcome) == (1, 2, outcome)  # one outcome per call (OrderController)
    counter(outcome)
    assert counter(outcome)[:2] == (3, 3)  # more than expected: total follows


async def test_market_in_focus_scope_reaches_the_controller():
    app, controller = setup(focus_market="ETH-USD")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down")  # All -> Market in focus: ETH-USD (3)
        await pilot.pause()
        assert "Cancel 3 orders in 1 market" in text(app, "#summary")
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert controller.calls == [("cancel_all", CancelScope(market="ETH-USD"))]
        assert "Done: 3 orders asked, 3 answered: 3 cancelled" in text(app, "#status")
        await pilot.press("escape")
        await pilot.pause()
    assert isinstance(app.result, CancelAllReport)
    assert {o.order_id for o in app.result.outcomes} == set(IDS[:3])


async def test_side_and_filter_scopes():
    app, controller = setup(filter_ids=IDS[3:])
    async with app.run_test(size=(80, 24)) as pilot:
        # All, Buy only, Sell only, Current filter (no market in focus given)
        await pilot.press("down", "down", "y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert controller.calls[-1] == ("cancel_all", CancelScope(side="SELL"))
    app, controller = setup(filter_ids=IDS[3:])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("up", "y")  # wraps to the last option: the current filter
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert controller.calls[-1] == ("cancel_all", CancelScope(order_ids=frozenset(IDS[3:])))


async def test_live_progress_and_no_escape_while_running():
    app, controller = setup()
    controller.steps = asyncio.Queue()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y")
        await pilot.pause()
        assert text(app, "#status") == "Cancelling... 0/5"
        for done in (1, 2):
            controller.steps.put_nowait(None)
            await pilot.pause(0.05)
            assert text(app, "#status") == f"Cancelling... {done}/5"
        assert app.screen.query_one("#progress").progress == 2
        await pilot.press("escape")  # refused while the cancels are in flight
        await pilot.pause()
        assert not app.dismissed
        for _ in range(3):
            controller.steps.put_nowait(None)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert text(app, "#status").startswith("Done: 5 orders asked, 5 answered")


async def test_retry_the_failed_sends_only_those_and_merges_the_report():
    app, controller = setup()
    controller.fail_first_time = {IDS[1], IDS[4]}
    controller.cancel_results = {IDS[0]: CancelResult.BEST_EFFORT}
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = text(app, "#status")
        assert "2 failed or unknown" in status and "1 best-effort" in status
        assert str(app.screen.query_one("#retry").label) == "Retry the failed (2) (r)"
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert controller.calls[-1] == (
            "cancel_all", CancelScope(order_ids=frozenset({IDS[1], IDS[4]}))
        )
        assert "failed" not in text(app, "#status")
        assert app.screen.query_one("#retry").has_class("-hidden")
        await pilot.press("escape")
        await pilot.pause()
    report = app.result
    assert [o.order_id for o in report.outcomes] == sorted(IDS)
    assert report.failed == ()
    assert report.count(CancelResult.BEST_EFFORT) == 1


async def test_rows_learn_each_outcome_through_messages():
    app, controller = setup()
    controller.cancel_results = {IDS[0]: CancelResult.BEST_EFFORT}
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
    requested = [oid for m in app.cancel_messages if isinstance(m, CancelsRequested)
                 for oid in m.order_ids]  # fmt: skip
    finished = {o.order_id: cancel_label(o) for m in app.cancel_messages
                if isinstance(m, CancelsFinished) for o in m.outcomes}  # fmt: skip
    assert sorted(requested) == sorted(IDS)
    assert finished[IDS[0]] == "best-effort (15 blk)"
    assert finished[IDS[2]] == "cancelled"
    assert len(finished) == 5


def test_the_result_line_says_how_many_were_asked_and_what_became_of_them():
    controller = FakeController()
    outcomes = tuple(controller._outcome(order_id) for order_id in IDS[:3])
    report = CancelAllReport(outcomes)
    assert cancel_all_result(report, 3) == "Done: 3 orders asked, 3 answered: 3 cancelled"
    fewer = cancel_all_result(report, 5)
    assert fewer.startswith("Done: 5 orders asked, 3 answered: 3 cancelled\n")
    assert "2 no longer open when sent (filled or expired meanwhile)" in fewer
    more = cancel_all_result(report, 1)
    assert more.startswith("Done: 1 order asked, 3 answered")
    assert "2 more found open than the confirmation counted" in more


async def test_orders_gone_since_the_confirmation_are_told_apart():
    """The confirmation counted 5; two filled or expired before the cancels went out."""
    app, controller = setup()
    controller.orders = ORDERS[:3]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = text(app, "#status")
        assert status.startswith("Done: 5 orders asked, 3 answered: 3 cancelled")
        assert "2 no longer open when sent" in status


async def test_a_controller_error_is_shown_and_can_be_retried():
    app, controller = setup()
    controller.cancel_all_error = NetworkError("the node did not answer: try again")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "✗ the node did not answer: try again" in text(app, "#status")
        await pilot.press("r")  # the whole scope again
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert controller.calls == [("cancel_all", CancelScope())] * 2
        assert "Done: 5 orders asked, 5 answered: 5 cancelled" in text(app, "#status")


async def test_counts_style_progress_also_shows_n_of_n():
    app, controller = setup()
    controller.progress_style = "counts"
    controller.steps = asyncio.Queue()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y")
        controller.steps.put_nowait(None)
        await pilot.pause(0.05)
        assert text(app, "#status") == "Cancelling... 1/5"
        for _ in range(4):
            controller.steps.put_nowait(None)
        await app.workers.wait_for_complete()
        await pilot.pause()


async def test_500_results_are_listed_at_once_and_scroll():
    """Every outcome is a row as soon as the report is in; End shows the last one."""
    orders = [order(n, side="BUY" if n % 2 else "SELL") for n in range(1, 501)]
    controller = FakeController()
    controller.orders = orders
    controller.cancel_results = {orders[-1].id: CancelResult.FAILED}
    app = ScreenHost(lambda: CancelAllScreen(orders, controller))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        results = app.screen.query_one("#results", ResultList)
        assert len(results.rows) == 500
        assert results.virtual_size.height == 501  # and the header
        results.focus()
        await pilot.press("end")
        await pilot.pause()
        assert results.scroll_offset.y == results.max_scroll_y > 0
        last = results.render_line(results.size.height - 1).text
        assert last.split() == ["ETH-USD", "SELL", orders[-1].id[:8], "cancel", "failed",
                                "failed"]
        assert results.render_line(0).text.split()[:2] == ["Market", "Side"]  # stays on top


async def test_the_result_list_keeps_each_row_on_one_line():
    """A column is at least its given width, wider for a wider text; control characters
    (a newline in an error) become spaces."""

    class Host(ScreenHost):
        def compose(self):
            yield ResultList([("Result", 8), ("Detail", 0)], id="list")

    app = Host()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one("#list", ResultList)
        assert table.widths == [8, 6]
        table.add_rows([("failed", "node\nunreachable"), ("unknown, reconciling", "")])
        await pilot.pause()
        assert table.widths == [20, 16]
        assert table.rows[0] == ("failed", "node unreachable")
        assert table.render_line(1).text == " failed                node unreachable " + " " * 20
        table.clear()
        await pilot.pause()
        assert table.widths == [8, 6] and table.virtual_size.height == 1


async def test_the_dimmed_main_screen_is_drawn_again_only_when_it_changed(monkeypatch):
    """Focus moving on the confirmation does not render the screen below again (5-30 ms
    at 160x50); a change below shows through the dimming."""
    app, _ = setup()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        below = app.screen_stack[0]
        renders = []
        real = below._compositor.render_strips

        def counting(*args):  # type: ignore[no-untyped-def]
            renders.append(1)
            return real(*args)

        monkeypatch.setattr(below._compositor, "render_strips", counting)
        # Settled first: on a busy machine the screen below (its footer, after the screen
        # change) may still change after one pause, and is then rightly drawn again.
        for _ in range(20):
            seen = len(renders)
            await pilot.pause(0.05)
            if len(renders) == seen:
                break
        renders.clear()
        await pilot.press("tab", "tab")
        await pilot.pause()
        assert renders == []
        below.query_one("#main").update("changed below")
        await pilot.pause()
        assert renders  # drawn again (once, or twice when a busy machine splits the frames)
        assert "changed below" in app.screen.render_line(0).text


async def cancel_many(controller: FakeController, count: int = 250) -> list:
    """Cancel-all of `count` orders confirmed with y; the messages the app got."""
    orders = [order(n) for n in range(1, count + 1)]
    controller.orders = orders
    app = ScreenHost(lambda: CancelAllScreen(orders, controller))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
    return app.cancel_messages


async def test_each_cancel_is_requested_before_its_outcome_with_many_orders():
    """The requests go to the app in one message, before any outcome (a row's "cancel
    sent" must not overwrite its result); the outcomes in a few batches, not one each."""
    first, *rest = await cancel_many(FakeController())
    assert isinstance(first, CancelsRequested) and len(first.order_ids) == 250
    assert all(isinstance(m, CancelsFinished) for m in rest)
    assert sorted(o.order_id for m in rest for o in m.outcomes) == sorted(first.order_ids)


class AnswersInBatches(FakeController):
    """Reports a batch transaction's answers together, as the OrderController does."""

    async def cancel_all(self, scope, on_progress=None):  # type: ignore[no-untyped-def]
        ids = sorted(self.scope_ids(scope))
        outcomes = [self._outcome(order_id, "BTC-USD") for order_id in ids]
        for start in range(0, len(outcomes), 100):
            for outcome in outcomes[start:start + 100]:
                on_progress(outcome)
            await asyncio.sleep(0.01)
        return CancelAllReport(tuple(outcomes))


async def test_a_batch_of_answers_reaches_the_app_as_one_message():
    finished = [m for m in await cancel_many(AnswersInBatches())
                if isinstance(m, CancelsFinished)]  # fmt: skip
    assert [len(m.outcomes) for m in finished] == [100, 100, 50]


async def test_opening_lays_out_the_screen_below_only_when_the_size_changes(monkeypatch):
    """Textual sends a new screen a Resize after its first layout, and lays out the screens
    below again on it (`_screen_resized`); with the size unchanged, that is skipped."""
    app, controller = setup()
    layouts: list[int] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.pop_screen()
        await pilot.pause()
        below = app.screen
        real = below._screen_resized

        def counting(size):  # type: ignore[no-untyped-def]
            layouts.append(1)
            return real(size)

        monkeypatch.setattr(below, "_screen_resized", counting)
        app.push_screen(CancelAllScreen(ORDERS, controller))
        await pilot.pause()
        await pilot.pause()
        assert layouts == []
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert layouts and app.screen.size == (100, 30)


async def test_while_cancelling_the_dimmed_screen_below_is_drawn_a_few_times_a_second():
    app, controller = setup()
    controller.steps = asyncio.Queue()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y")
        await pilot.pause()
        below, modal = app.screen_stack
        below.query_one("#main").update("changed below", layout=False)
        await pilot.pause()
        assert "changed below" not in modal.render_line(0).text  # held: not yet
        await pilot.pause(0.3)  # BELOW_HELD_INTERVAL
        assert "changed below" in modal.render_line(0).text
        below.query_one("#main").update("changed again", layout=False)
        for _ in range(5):
            controller.steps.put_nowait(None)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        assert "changed again" in modal.render_line(0).text  # released: drawn at once

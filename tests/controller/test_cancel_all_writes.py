"""cancel-all's answers are group committed: one store transaction at a time, each taking
every answer that arrived meanwhile; a failed write is raised when `run` flushes."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from tests.store.factories import make_order
from tui_app.controller.cancel_all import CancelAll
from tui_app.controller.requests import CancelScope
from tui_app.store import AuditAction, AuditEntry, AuditOutcome, OrderStatus


class SlowStore:
    def __init__(self, fail_first: bool = False) -> None:
        self.transactions: list[list[list[str]]] = []
        self.fail_first = fail_first

    async def update_orders_together(self, groups, *, audit=()):
        await asyncio.sleep(0.01)  # a commit
        if self.fail_first and not self.transactions:
            self.transactions.append([])
            raise OSError("disk full")
        self.transactions.append([list(g["order_ids"]) for g in groups])
        return [list(g["order_ids"]) for g in groups]


def answer(job: CancelAll, client_id: int) -> None:
    record = make_order(client_id)
    audit = [AuditEntry(record.order_id, AuditAction.BATCH_CANCEL, AuditOutcome.ACCEPTED)]
    job._update([record], status=OrderStatus.BEST_EFFORT_CANCELLED, audit=audit)


async def test_answers_arriving_during_a_write_go_together_in_the_next():
    store = SlowStore()
    job = CancelAll(SimpleNamespace(store=store), CancelScope(), None)
    answer(job, 1)  # starts a transaction at once
    await asyncio.sleep(0)
    answer(job, 2)
    answer(job, 3)  # both wait for the first, then go together
    await job._flush()
    assert [len(t) for t in store.transactions] == [1, 2]
    assert [g[0] for t in store.transactions for g in t] == [
        make_order(i).order_id for i in (1, 2, 3)
    ]


async def test_a_failed_write_is_raised_by_flush_and_later_answers_still_written():
    store = SlowStore(fail_first=True)
    job = CancelAll(SimpleNamespace(store=store), CancelScope(), None)
    answer(job, 1)
    await asyncio.sleep(0.02)  # the first write has failed by now
    answer(job, 2)
    with pytest.raises(OSError, match="disk full"):
        await job._flush()
    assert store.transactions[-1] == [[make_order(2).order_id]]
    await job._flush()  # raised once

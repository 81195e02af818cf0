"""cancel-all against the devnet: nothing left open on the chain or the indexer."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tests.store.factories import make_order
from tui_app.chain import errors as chain_errors
from tui_app.chain.orders import OrderKey, build_cancel_order
from tui_app.controller.errors import NetworkError
from tui_app.controller.requests import CancelResult, CancelScope, PlaceRequest
from tui_app.store import AuditAction, AuditOutcome, OrderStatus

from .conftest import close_harness, make_harness, node_unavailable_briefly_at_send, wait_for


def buy(market: str, long_term: bool, i: int) -> PlaceRequest:
    # Distinct prices far below the oracle: resting, never matching.
    if market == "BTC-USD":
        return PlaceRequest(
            market, "BUY", Decimal("0.001"), Decimal(30000 + i), long_term=long_term
        )
    return PlaceRequest(market, "BUY", Decimal("0.01"), Decimal(1000 + i), long_term=long_term)


async def place_many(controller, count: int, long_term: bool) -> list[str]:
    ids = []
    for i in range(count):
        market = "BTC-USD" if i % 2 else "ETH-USD"
        ids.append((await controller.place(buy(market, long_term, i))).order_id)
    return ids


class ConcurrencyProbe:
    """Wraps gateway.batch_cancel to count how many are in flight at once."""

    def __init__(self, gateway) -> None:
        self.inner = gateway.batch_cancel
        self.in_flight = 0
        self.most = 0
        self.calls = 0
        gateway.batch_cancel = self

    async def __call__(self, *args, **kwargs):
        self.calls += 1
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            return await self.inner(*args, **kwargs)
        finally:
            self.in_flight -= 1


async def test_cancel_all_20_short_and_20_long_term(devnet, tmp_path):
    # Batches of 5 so that 20 short-term orders make 4 concurrent MsgBatchCancel txs;
    # 50 ms of node latency makes their overlap certain.
    h = await make_harness(devnet, tmp_path / "o.sqlite3", batch_cancel_size=5,
                           stateful_cancels_per_tx=8, short_term_blocks=20)  # fmt: skip
    try:
        long = await place_many(h.controller, 20, long_term=True)
        await wait_for(lambda: len(h.chain_open_orders()) == 20)
        # No blocks from here until the cancels are out: no short-term order may expire
        # before, however slow the machine.
        devnet.faults.freeze_blocks = True
        short = await place_many(h.controller, 20, long_term=False)
        await wait_for(lambda: len(h.chain_open_orders()) == 40)
        await wait_for(lambda: _indexer_open_count(h, 40))
        probe = ConcurrencyProbe(h.gateway)
        progress = []
        devnet.faults.latency_ms = 50
        report = await h.controller.cancel_all(on_progress=progress.append)
        devnet.faults.latency_ms = 0
        assert probe.calls == 4 and probe.most > 1  # sent concurrently
        assert len(report.outcomes) == 40 and report.failed == ()
        assert [o.order_id for o in progress] == [o.order_id for o in report.outcomes]
        assert report.count(CancelResult.BEST_EFFORT) == 20
        assert report.count(CancelResult.SENT) == 20
        assert {o.order_id for o in report.outcomes} == set(short) | set(long)
        devnet.faults.freeze_blocks = False
        # Short-term cancels act at once; the stateful ones with the next block.
        await wait_for(lambda: h.chain_open_orders() == [])
        await wait_for(lambda: _indexer_open_count(h, 0))
        for order_id in short:
            assert (await h.store.get(order_id)).status is OrderStatus.BEST_EFFORT_CANCELLED
        await h.controller.reconcile()
        for order_id in long:
            assert (await h.store.get(order_id)).status is OrderStatus.CANCELLED
        audit = await h.store.audit_log(short[0])
        assert [a.action for a in audit][-1] is AuditAction.BATCH_CANCEL
        # Nothing left: a second cancel-all sends nothing.
        again = await h.controller.cancel_all()
        assert again.count(CancelResult.BEST_EFFORT, CancelResult.SENT, CancelResult.FAILED) == 0
    finally:
        devnet.faults.latency_ms = 0
        await close_harness(h)


def _height_above(h, height):
    async def check():
        return await h.gateway.latest_block_height() > height

    return check


async def _indexer_open_count(h, count: int) -> bool:
    return len(await h.reader.open_orders()) == count


async def test_partial_failure_does_not_stop_the_rest(devnet, tmp_path):
    h = await make_harness(devnet, tmp_path / "o.sqlite3")
    try:
        long = await place_many(h.controller, 4, long_term=True)
        await wait_for(lambda: len(h.chain_open_orders()) == 4)
        # One of them is cancelled behind the controller's back (another client).
        victim = await h.store.get(long[0])
        msg = build_cancel_order(OrderKey.decode(victim.order_id_proto),
                                 good_til_block_time=victim.good_til_block_time)  # fmt: skip
        assert (await h.gateway.broadcast_stateful([msg])).ok
        await wait_for(lambda: len(h.chain_open_orders()) == 3)
        await wait_for(lambda: _indexer_open_count(h, 3))
        report = await h.controller.cancel_all()
        by_id = {o.order_id: o for o in report.outcomes}
        # The tx of four is refused for the one that is gone; then order by order.
        assert by_id[long[0]].result is CancelResult.ALREADY_DONE
        assert all(by_id[i].result is CancelResult.SENT for i in long[1:])
        await wait_for(lambda: h.chain_open_orders() == [])
        assert (await h.store.get(long[0])).status is OrderStatus.CANCELLED
    finally:
        await close_harness(h)


async def test_scope_by_market_and_orders_placed_elsewhere(devnet, tmp_path):
    h = await make_harness(devnet, tmp_path / "a.sqlite3")
    other = await make_harness(devnet, tmp_path / "b.sqlite3")  # a second program, same key
    devnet.faults.freeze_blocks = True  # short-term orders only: no block needed
    try:
        mine = await place_many(h.controller, 4, long_term=False)
        theirs = (await other.controller.place(buy("BTC-USD", False, 99))).order_id
        await wait_for(lambda: len(h.chain_open_orders()) == 5)
        await wait_for(lambda: _indexer_open_count(h, 5))
        report = await h.controller.cancel_all(CancelScope(market="BTC-USD"))
        cancelled = {o.order_id for o in report.outcomes}
        assert theirs in cancelled  # known only to the indexer: recorded, then cancelled
        assert cancelled == {mine[1], mine[3], theirs}
        assert (await h.store.get(theirs)).status is OrderStatus.BEST_EFFORT_CANCELLED
        left = h.chain_open_orders()
        assert len(left) == 2 and {o.order_id.clob_pair_id for o in left} == {1}
        await h.controller.cancel_all()
        assert h.chain_open_orders() == []
    finally:
        await close_harness(other)
        await close_harness(h)


async def test_cancel_all_timeout_leaves_rows_cancel_pending(devnet, tmp_path):
    h = await make_harness(devnet, tmp_path / "o.sqlite3", node_timeout=0.5)
    devnet.faults.freeze_blocks = True  # short-term orders only: no block needed
    try:
        ids = await place_many(h.controller, 3, long_term=False)
        h.controller.before_send = lambda action, order_ids: setattr(
            devnet.faults.grpc, "hang", True
        )
        report = await h.controller.cancel_all()
        assert report.count(CancelResult.UNKNOWN) == 3 and len(report.failed) == 3
        for order_id in ids:
            assert (await h.store.get(order_id)).status is OrderStatus.CANCEL_PENDING
        devnet.faults.grpc.hang = False
        h.controller.before_send = None
        # Still open on the chain: reconcile puts the rows back to active, and a new
        # cancel-all finishes the job.
        await h.controller.reconcile()
        for order_id in ids:
            assert (await h.store.get(order_id)).status is OrderStatus.ACTIVE
        report = await h.controller.cancel_all()
        assert report.count(CancelResult.BEST_EFFORT) == 3
        assert h.chain_open_orders() == []
    finally:
        devnet.faults.grpc.hang = False
        await close_harness(h)


async def test_expired_orders_are_not_sent(devnet, tmp_path):
    sent = []
    h = await make_harness(
        devnet, tmp_path / "o.sqlite3", before_send=lambda action, ids: sent.append(action)
    )
    try:
        request = PlaceRequest(
            "BTC-USD", "BUY", Decimal("0.001"), Decimal("30001"), good_til_blocks=3
        )
        expiring = (await h.controller.place(request)).order_id
        record = await h.store.get(expiring)
        await wait_for(_height_above(h, record.good_til_block))
        report = await h.controller.cancel_all()
        assert [(o.order_id, o.result) for o in report.outcomes] == [
            (expiring, CancelResult.ALREADY_DONE)
        ]
        assert sent == ["place"]
        assert (await h.store.get(expiring)).status is OrderStatus.EXPIRED
    finally:
        await close_harness(h)


class _LiveState:
    """The parts of AccountState cancel-all reads: a live feed showing `orders`."""

    def __init__(self, orders) -> None:
        self.feed_live = True
        self.snapshot_received = True
        self.needs_resync = False
        self.free_collateral = None
        self._orders = orders

    def open_orders(self):
        return list(self._orders)

    def order(self, order_id):
        return None

    @property
    def positions(self):
        return {}


async def test_live_feed_gives_the_targets_and_answers_are_written_together(devnet, tmp_path):
    from tui_app.state.orders import TrackedOrder

    h = await make_harness(devnet, tmp_path / "a.sqlite3", batch_cancel_size=2)
    other = await make_harness(devnet, tmp_path / "b.sqlite3")  # a second program, same key
    devnet.faults.freeze_blocks = True  # short-term orders only: no block needed
    try:
        mine = await place_many(h.controller, 4, long_term=False)
        theirs = (await other.controller.place(buy("BTC-USD", False, 99))).order_id
        await wait_for(lambda: _indexer_open_count(h, 5))
        indexer_orders = await h.reader.open_orders()
        h.controller.live = _LiveState(
            [TrackedOrder(o, seen=True) for o in indexer_orders if o.id == theirs]
        )

        async def no_rest(ticker=None):
            raise AssertionError("the live feed's orders should have been used")

        h.reader.open_orders = no_rest
        transactions = 0
        real = h.store._write  # every change but a migration is one _write

        def counting(work, *more):
            nonlocal transactions
            transactions += 1
            return real(work, *more)

        h.store._write = counting
        progress = []
        report = await h.controller.cancel_all(on_progress=progress.append)
        assert {o.order_id for o in report.outcomes} == set(mine) | {theirs}
        assert len(progress) == 5 and report.failed == ()
        # adopt theirs (1-2), the pending update (1), the three batch answers group
        # committed: never more transactions than answers, however they are spaced.
        assert transactions <= 6, transactions
        for order_id in [*mine, theirs]:
            assert (await h.store.get(order_id)).status is OrderStatus.BEST_EFFORT_CANCELLED
        # Not live: back to the REST list.
        h.controller.live.feed_live = False
        del h.reader.open_orders
        await h.controller.cancel_all()
    finally:
        devnet.faults.freeze_blocks = False
        await close_harness(other)
        await close_harness(h)


async def test_no_height_from_the_node_puts_the_rows_back_and_sends_nothing(devnet, tmp_path):
    sent = []
    h = await make_harness(
        devnet, tmp_path / "o.sqlite3", before_send=lambda action, ids: sent.append(action)
    )
    devnet.faults.freeze_blocks = True  # short-term orders only: no block needed
    try:
        ids = await place_many(h.controller, 2, long_term=False)
        asked = h.gateway.latest_block

        async def unreachable(*, timeout=None):  # noqa: ASYNC109 (the gateway's signature)
            await asyncio.sleep(0.1)  # the round trip
            raise chain_errors.NetworkError("node unreachable")

        h.gateway.latest_block = unreachable
        with pytest.raises(NetworkError):
            await h.controller.cancel_all()
        assert sent == ["place", "place"]
        for order_id in ids:
            row = await h.store.get(order_id)
            assert row.status is OrderStatus.ACTIVE and "not sent" in row.last_error
            # Recorded as cancel_pending while the height was asked for, then put back.
            trail = [a.outcome for a in await h.store.audit_log(order_id)][-2:]
            assert trail == [AuditOutcome.ATTEMPT, AuditOutcome.ERROR]
        h.gateway.latest_block = asked
        report = await h.controller.cancel_all()
        assert report.count(CancelResult.BEST_EFFORT) == 2
    finally:
        devnet.faults.freeze_blocks = False
        await close_harness(h)


async def test_expired_pending_row_goes_back_to_pending_unsent(devnet, tmp_path):
    sent = []
    h = await make_harness(
        devnet, tmp_path / "o.sqlite3", before_send=lambda action, ids: sent.append(action)
    )
    try:
        # Recorded, maybe never sent, long past its good-til-block: reconciliation decides.
        row = await h.store.add_order(make_order(777, good_til_block=1))
        assert row.status is OrderStatus.PENDING
        report = await h.controller.cancel_all()
        assert [(o.order_id, o.result) for o in report.outcomes] == [
            (row.order_id, CancelResult.ALREADY_DONE)
        ]
        assert sent == []
        after = await h.store.get(row.order_id)
        assert after.status is OrderStatus.PENDING and after.last_error is None
        trail = [(a.action, a.outcome) for a in await h.store.audit_log(row.order_id)]
        assert trail == [(AuditAction.CANCEL, AuditOutcome.ATTEMPT),
                         (AuditAction.EXPIRE, AuditOutcome.ALREADY_DONE)]  # fmt: skip
    finally:
        await close_harness(h)


async def test_retried_batch_and_stateful_txs_report_retrying_for_each_of_their_orders(
    devnet, tmp_path
):
    h = await make_harness(devnet, tmp_path / "o.sqlite3")
    try:
        long = await place_many(h.controller, 2, long_term=True)
        await wait_for(lambda: len(h.chain_open_orders()) == 2)  # in a block
        devnet.faults.freeze_blocks = True  # the short-term ones must not expire meanwhile
        short = await place_many(h.controller, 3, long_term=False)
        await wait_for(lambda: len(h.chain_open_orders()) == 5)
        await wait_for(lambda: _indexer_open_count(h, 5))
        heard: dict[str, list[int]] = {}
        h.controller.on_retry = lambda order_id, attempt, limit: heard.setdefault(
            order_id, []
        ).append(attempt)
        node_unavailable_briefly_at_send(h, 0.3)
        report = await h.controller.cancel_all()
        assert {o.order_id for o in report.outcomes} == set(short + long)
        # Every order of a retried tx heard "retrying n/N", then that the retrying is over.
        assert set(heard) == set(short + long)
        assert all(attempts[0] >= 1 and attempts[-1] == 0 for attempts in heard.values())
    finally:
        devnet.faults.grpc.unavailable = False
        devnet.faults.freeze_blocks = False
        await close_harness(h)

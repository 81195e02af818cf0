"""Node faults during place and cancel (issue 8, item 2): gRPC UNAVAILABLE and timeouts
before and after the transaction landed, a sequence mismatch after another client with
the same key sent a transaction, and a rejected order. Each ends with a correct metadata
row, a clear message, and never a duplicate order on the devnet.

tests/controller/test_place_cancel.py already covers: the node unreachable before anything
is sent (row rejected "not sent"), a place timeout settled by reconciliation, and the
chain's rejection of a short-term order. Here: the broadcast itself failing, answers lost
after the chain accepted, cancels, long-term orders, and a raw NodeClient on the key.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from tests.controller.conftest import (
    close_harness,
    make_harness,
    node_unavailable_briefly_at_send,
    wait_for,
)
from tui_app.chain.orders import ORDER_FLAGS_LONG_TERM, OrderKey, OrderSpec, Side, build_order
from tui_app.controller.errors import ChainRejected
from tui_app.controller.requests import CancelResult, PlaceRequest
from tui_app.devnet.accounts import ALICE
from tui_app.store import AuditOutcome, OrderStatus

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(autouse=True)
def _clear(devnet):
    yield
    devnet.faults.grpc.hang = devnet.faults.grpc.unavailable = False
    devnet.call(lambda: devnet.chain.__dict__.pop("check_tx", None))


def resting(long_term: bool, **kw) -> PlaceRequest:
    return PlaceRequest("ETH-USD" if long_term else "BTC-USD", "BUY",
                        Decimal("0.01") if long_term else Decimal("0.001"),
                        Decimal("1000") if long_term else Decimal("30000"),
                        long_term=long_term, **kw)  # fmt: skip


def on_chain(h, client_id: int) -> int:
    """How many of alice's open orders on the chain carry this client id (never > 1)."""
    return sum(o.order_id.client_id == client_id for o in h.chain_open_orders())


def lose_the_answer(devnet, times: int = 1) -> None:
    """The chain processes the next `times` transactions, then the answer is lost (the
    node errors after CheckTx): the client cannot know the transaction landed."""
    chain = devnet.chain
    original = type(chain).check_tx
    left = [times]

    def check_tx(tx_bytes):
        result = original(chain, tx_bytes)
        if left[0] > 0:
            left[0] -= 1
            raise RuntimeError("devnet: answer lost after CheckTx")
        return result

    devnet.call(lambda: setattr(chain, "check_tx", check_tx))


async def harness(devnet, tmp_path, **settings):
    h = await make_harness(devnet, tmp_path / "orders.sqlite3", **settings)
    await h.gateway.get_account()  # the account number is known: the next call broadcasts
    return h


async def settle_row(h, order_id, wanted: set[OrderStatus], limit: float = 30.0):
    async def check():
        await h.controller.reconcile()
        return (await h.store.get(order_id)).status in wanted

    await wait_for(check, timeout=limit, interval=0.3)
    return await h.store.get(order_id)


@pytest.mark.parametrize("long_term", [False, True])
async def test_unavailable_during_the_broadcast_of_a_place(devnet, tmp_path, long_term, figures):
    h = await harness(devnet, tmp_path, confirm_grace_seconds=1.0)
    try:
        if long_term:  # the sequence is known too (one stateful tx sent before)
            warm = await h.controller.place(resting(True))
            await h.controller.cancel(warm.order_id)

        def fail(action, ids):
            devnet.faults.grpc.unavailable = True

        h.controller.before_send = fail
        outcome = await h.controller.place(resting(long_term, good_til_blocks=3))
        assert outcome.status == "pending" and "reconciliation will settle it" in outcome.message
        record = await h.store.get(outcome.order_id)
        assert record.status is OrderStatus.PENDING
        assert (await h.store.audit_log(outcome.order_id))[-1].outcome is AuditOutcome.UNKNOWN
        devnet.faults.grpc.unavailable = False
        h.controller.before_send = None
        record = await settle_row(h, outcome.order_id, {OrderStatus.REJECTED})
        assert "never seen by the indexer" in record.last_error
        assert on_chain(h, record.client_id) == 0
        figures("node_faults_recovered", 1)
    finally:
        await close_harness(h)


async def test_unavailable_that_clears_during_the_retries_places_exactly_once(devnet, tmp_path):
    h = await harness(devnet, tmp_path)
    try:
        node_unavailable_briefly_at_send(h, 0.15)
        outcome = await h.controller.place(resting(False))
        assert outcome.status == "active" and outcome.tx_hash
        record = await h.store.get(outcome.order_id)
        await wait_for(lambda: on_chain(h, record.client_id) == 1)
        await h.controller.cancel(outcome.order_id)
    finally:
        await close_harness(h)


@pytest.mark.parametrize("long_term", [False, True])
async def test_answer_lost_after_the_place_landed(devnet, tmp_path, long_term, figures):
    h = await harness(devnet, tmp_path)
    try:
        h.controller.before_send = lambda action, ids: lose_the_answer(devnet)
        outcome = await h.controller.place(resting(long_term))
        h.controller.before_send = None
        assert outcome.status == "pending" and "may be live" in outcome.message
        record = await h.store.get(outcome.order_id)
        await wait_for(lambda: on_chain(h, record.client_id) == 1)
        record = await settle_row(h, outcome.order_id, {OrderStatus.ACTIVE})
        assert on_chain(h, record.client_id) == 1  # one order, never a second one
        cancel = await h.controller.cancel(outcome.order_id)
        assert cancel.result in (CancelResult.BEST_EFFORT, CancelResult.SENT)
        await wait_for(lambda: on_chain(h, record.client_id) == 0)
        figures("node_faults_recovered", 1)
    finally:
        await close_harness(h)


@pytest.mark.parametrize("fault", ["hang", "unavailable", "lost"])
@pytest.mark.parametrize("long_term", [False, True])
async def test_cancel_without_an_answer(devnet, tmp_path, fault, long_term, figures):
    h = await harness(devnet, tmp_path, node_timeout=1.0)
    try:
        placed = await h.controller.place(resting(long_term))
        record = await h.store.get(placed.order_id)
        await wait_for(lambda: on_chain(h, record.client_id) == 1)

        def break_node(action, ids):
            if fault == "lost":
                lose_the_answer(devnet)
            else:
                setattr(devnet.faults.grpc, fault, True)

        h.controller.before_send = break_node
        outcome = await h.controller.cancel(placed.order_id)
        h.controller.before_send = None
        devnet.faults.grpc.hang = devnet.faults.grpc.unavailable = False
        assert outcome.result is CancelResult.UNKNOWN and "no answer in time" in outcome.message
        assert (await h.store.get(placed.order_id)).status is OrderStatus.CANCEL_PENDING
        if fault == "lost":  # the cancel landed: the order goes, the row follows
            await wait_for(lambda: on_chain(h, record.client_id) == 0)
            if long_term:
                final = await settle_row(h, placed.order_id, {OrderStatus.CANCELLED})
            else:
                final = await h.store.get(placed.order_id)
                assert final.status in (OrderStatus.CANCEL_PENDING, OrderStatus.ACTIVE)
        else:  # it never reached the chain: still open, and a second cancel does it
            assert on_chain(h, record.client_id) == 1
            await h.controller.reconcile()
            again = await h.controller.cancel(placed.order_id)
            assert again.result in (CancelResult.BEST_EFFORT, CancelResult.SENT)
            await wait_for(lambda: on_chain(h, record.client_id) == 0)
        assert on_chain(h, record.client_id) == 0
        figures("node_faults_recovered", 1)
    finally:
        await close_harness(h)


async def test_sequence_mismatch_after_another_client_used_the_key(devnet, tmp_path, figures):
    from dydx_v4_client.key_pair import KeyPair
    from dydx_v4_client.network import make_local
    from dydx_v4_client.node.client import NodeClient
    from dydx_v4_client.wallet import Wallet

    h = await harness(devnet, tmp_path)
    try:
        first = await h.controller.place(resting(True))  # our sequence counter is warm
        # Another program with the same key, through dydx-v4-client's own NodeClient.
        network = make_local(node_url=devnet.endpoints.grpc)
        raw = await NodeClient.connect(network.node)
        account = await raw.get_account(ALICE.address)
        wallet = Wallet(KeyPair.from_mnemonic(ALICE.mnemonic), int(account.account_number),
                        int(account.sequence))  # fmt: skip
        gtbt = int(time.time()) + 3600
        key = OrderKey(ALICE.address, 0, 987_654, 1, ORDER_FLAGS_LONG_TERM)
        order = build_order(OrderSpec(key, Side.BUY, 10_000_000, 1_000_000_000,
                                      good_til_block_time=gtbt))  # fmt: skip
        response = await raw.place_order(wallet, order)
        assert response.tx_response.code == 0, response.tx_response.raw_log
        # Our next stateful tx carries a stale sequence: the chain says "expected N", the
        # gateway resyncs and the order is placed once.
        second = await h.controller.place(resting(True))
        assert second.status == "active" and second.tx_hash
        row = await h.store.get(second.order_id)
        assert row.status is OrderStatus.ACTIVE and row.tx_hash == second.tx_hash
        await wait_for(lambda: on_chain(h, row.client_id) == 1 and on_chain(h, 987_654) == 1)
        first_row = await h.store.get(first.order_id)
        assert on_chain(h, first_row.client_id) == 1
        # Reconciliation records the other client's order, once; cancel-all takes all three.
        summary = await h.controller.reconcile()
        assert summary.placed_elsewhere == 1
        report = await h.controller.cancel_all()
        assert not report.failed and len(report.outcomes) == 3
        await wait_for(lambda: not h.chain_open_orders())
        figures("node_faults_recovered", 1)
    finally:
        await close_harness(h)


async def test_a_rejected_order_is_recorded_once_and_never_resent(devnet, tmp_path):
    h = await harness(devnet, tmp_path)
    sent = []
    h.controller.before_send = lambda action, ids: sent.append(action)
    try:
        with pytest.raises(ChainRejected) as info:
            await h.controller.place(PlaceRequest("BTC-USD", "BUY", Decimal("1000"),
                                                  Decimal("59000"), long_term=True))  # fmt: skip
        assert "the chain refused it" in str(info.value)
        [row] = await h.store.list_orders()
        assert row.status is OrderStatus.REJECTED and row.last_error
        await h.controller.reconcile()
        assert (await h.store.get(row.order_id)).status is OrderStatus.REJECTED
        assert sent == ["place"] and on_chain(h, row.client_id) == 0
    finally:
        await close_harness(h)

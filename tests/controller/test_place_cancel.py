"""place / cancel / close against the real devnet, and every typed error they raise."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from decimal import Decimal

import pytest
from pydantic import SecretStr

from tui_app.chain.gateway import GatewayConfig, NodeGateway
from tui_app.chain.orders import ORDER_FLAGS_SHORT_TERM, OrderKey, OrderSpec, Side, build_order
from tui_app.controller.errors import (
    AlreadyCancelled,
    AlreadyFilled,
    ChainRejected,
    InvalidMetadata,
    InvalidOrder,
    MetadataNotFound,
    NetworkError,
    OrderExpired,
    RateLimited,
)
from tui_app.controller.requests import CancelResult, OrderType, PlaceRequest, TimeInForceChoice
from tui_app.devnet.accounts import ALICE, BOB
from tui_app.store import AuditAction, AuditOutcome, OrderStatus

from .conftest import close_harness, make_harness, wait_for

BTC = "BTC-USD"
ETH = "ETH-USD"


def resting_buy(market=BTC, **kw) -> PlaceRequest:
    # Far below the oracle (BTC 60000, ETH 2600): rests, never fills.
    price = Decimal("30000") if market == BTC else Decimal("1000")
    size = Decimal("0.001") if market == BTC else Decimal("0.01")
    return PlaceRequest(market, "BUY", size, price, **kw)


def committed_row(path, order_id):
    """Read the row through a second connection: only committed data is visible there."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT status, tx_hash FROM dydx_order_metadata WHERE order_id = ?", (order_id,)
        ).fetchone()
    finally:
        conn.close()


# ----- place ---------------------------------------------------------------------------------


@pytest.mark.parametrize("long_term", [False, True])
async def test_place_commits_the_pending_row_before_the_broadcast(devnet, tmp_path, long_term):
    path = tmp_path / "orders.sqlite3"
    seen_before_send = []

    def before_send(action, order_ids):
        seen_before_send.extend(committed_row(path, oid) for oid in order_ids)

    h = await make_harness(devnet, path, before_send=before_send)
    try:
        outcome = await h.controller.place(resting_buy(long_term=long_term))
        assert outcome.status == "active" and outcome.tx_hash
        # When the tx left, the row was already committed, pending, without a tx hash.
        assert seen_before_send == [("pending", None)]
        record = await h.store.get(outcome.order_id)
        assert record.status is OrderStatus.ACTIVE and record.tx_hash == outcome.tx_hash
        assert record.order_flags == (64 if long_term else 0)
        assert (record.good_til_block is None) == long_term
        audit = await h.store.audit_log(outcome.order_id)
        assert [(a.action, a.outcome) for a in audit] == [
            (AuditAction.PLACE, AuditOutcome.ATTEMPT),
            (AuditAction.PLACE, AuditOutcome.ACCEPTED),
        ]
        assert audit[0].id < audit[1].id and audit[0].tx_hash is None
        assert audit[1].tx_hash == outcome.tx_hash
        key = OrderKey.decode(record.order_id_proto)
        assert (key.owner, key.client_id) == (ALICE.address, record.client_id)
        await wait_for(lambda: any(o.order_id.client_id == key.client_id
                                   for o in h.chain_open_orders()))  # fmt: skip
        await h.controller.cancel(outcome.order_id)
    finally:
        await close_harness(h)


async def test_short_term_good_til_block_from_the_height(h):
    height = await h.gateway.latest_block_height()
    outcome = await h.controller.place(resting_buy())
    record = await h.store.get(outcome.order_id)
    settings = h.controller.settings
    assert height + settings.short_term_blocks <= record.good_til_block
    assert record.good_til_block <= height + settings.short_term_blocks + 3
    await h.controller.cancel(outcome.order_id)


async def test_client_ids_are_never_reused(h):
    ids = set()
    for _ in range(3):
        outcome = await h.controller.place(resting_buy())
        ids.add((await h.store.get(outcome.order_id)).client_id)
    assert len(ids) == 3
    await h.controller.cancel_all()


async def test_invalid_order_is_refused_before_anything_is_recorded(h):
    with pytest.raises(InvalidOrder, match="step size") as info:
        await h.controller.place(PlaceRequest(BTC, "BUY", Decimal("0.00012345"), Decimal("30000")))
    assert info.value.field == "size"
    with pytest.raises(InvalidOrder, match="deprecated"):
        await h.controller.place(resting_buy(time_in_force=TimeInForceChoice.FOK))
    with pytest.raises(InvalidOrder, match="no market"):
        await h.controller.place(resting_buy(market="NOPE-USD"))
    assert await h.store.list_orders() == []


async def test_chain_rejection_is_recorded_with_its_reason(h):
    # Far more than alice's collateral: the chain refuses it (no free collateral known to
    # the controller yet, so the local estimate does not stop it first).
    with pytest.raises(ChainRejected) as info:
        await h.controller.place(PlaceRequest(BTC, "BUY", Decimal("1000"), Decimal("59000")))
    assert info.value.code != 0 and info.value.raw_log
    [record] = await h.store.list_orders()
    assert info.value.order_id == record.order_id
    assert record.status is OrderStatus.REJECTED and str(info.value.code) in record.last_error
    audit = await h.store.audit_log(record.order_id)
    assert audit[-1].outcome is AuditOutcome.REJECTED and audit[-1].code == info.value.code
    # A rejected order cannot be cancelled: the stored data says why.
    with pytest.raises(InvalidMetadata, match="never accepted"):
        await h.controller.cancel(record.order_id)


async def test_node_unreachable_is_a_network_error_and_nothing_is_sent(h, devnet):
    h.controller.settings = replace(h.controller.settings, send_retries=0)
    devnet.faults.grpc.unavailable = True
    with pytest.raises(NetworkError):
        await h.controller.place(resting_buy())
    with pytest.raises(NetworkError):
        await h.controller.place(resting_buy(long_term=True))
    devnet.faults.grpc.unavailable = False
    # The long-term row (no height needed) was recorded, then marked as not sent.
    rows = await h.store.list_orders()
    assert [r.status for r in rows] == [OrderStatus.REJECTED]
    assert "not sent" in rows[0].last_error


async def test_timeout_leaves_the_row_pending_and_reconcile_settles_it(devnet, tmp_path):
    def hang(action, order_ids):
        devnet.faults.grpc.hang = True  # the broadcast itself never gets an answer

    h = await make_harness(devnet, tmp_path / "o.sqlite3", before_send=hang, node_timeout=0.5)
    try:
        outcome = await h.controller.place(resting_buy(good_til_blocks=3))
        assert outcome.status == "pending" and outcome.tx_hash is None
        assert "reconciliation" in outcome.message
        record = await h.store.get(outcome.order_id)
        assert record.status is OrderStatus.PENDING
        assert (await h.store.audit_log(outcome.order_id))[-1].outcome is AuditOutcome.UNKNOWN
        devnet.faults.grpc.hang = False
        h.controller.before_send = None
        # Never seen by the indexer, good-til-block passed: it was never placed.
        await wait_for(_height_above(h, record.good_til_block), timeout=20)
        summary = await h.controller.reconcile()
        assert summary.settled >= 1 and summary.still_unknown == 0
        assert (await h.store.get(outcome.order_id)).status is OrderStatus.REJECTED
    finally:
        devnet.faults.grpc.hang = False
        await close_harness(h)


def _height_above(h, height):
    async def check():
        return await h.gateway.latest_block_height() > height

    return check


# ----- cancel --------------------------------------------------------------------------------


async def test_cancel_short_term_is_best_effort_then_already_cancelled(h):
    outcome = await h.controller.place(resting_buy(good_til_blocks=4))
    result = await h.controller.cancel(outcome.order_id)
    assert result.result is CancelResult.BEST_EFFORT and result.blocks_left > 0
    record = await h.store.get(outcome.order_id)
    assert record.status is OrderStatus.BEST_EFFORT_CANCELLED and record.cancel_tx_hash
    assert not [o for o in h.chain_open_orders() if o.order_id.client_id == record.client_id]
    with pytest.raises(AlreadyCancelled, match="already cancelled"):
        await h.controller.cancel(outcome.order_id)
    # Final once the good-til-block has passed.
    await wait_for(_height_above(h, record.good_til_block), timeout=20)
    assert await h.controller.expire_due() >= 1
    assert (await h.store.get(outcome.order_id)).status is OrderStatus.CANCELLED
    with pytest.raises(AlreadyCancelled):
        await h.controller.cancel(outcome.order_id)


async def test_cancel_long_term_takes_effect_in_the_next_block(h):
    outcome = await h.controller.place(resting_buy(ETH, long_term=True))
    record = await h.store.get(outcome.order_id)
    await wait_for(lambda: any(o.order_id.client_id == record.client_id
                               for o in h.chain_open_orders()))  # fmt: skip
    result = await h.controller.cancel(outcome.order_id)
    assert result.result is CancelResult.SENT
    assert (await h.store.get(outcome.order_id)).status is OrderStatus.CANCEL_PENDING
    await wait_for(lambda: not any(o.order_id.client_id == record.client_id
                                   for o in h.chain_open_orders()))  # fmt: skip
    await wait_for(lambda: _indexer_status(h, outcome.order_id, "CANCELED"))
    # Cancelling again: the chain answers "does not exist", the indexer says cancelled.
    again = await h.controller.cancel(outcome.order_id)
    assert again.result is CancelResult.ALREADY_DONE and "cancelled" in again.message
    assert (await h.store.get(outcome.order_id)).status is OrderStatus.CANCELLED
    with pytest.raises(AlreadyCancelled):
        await h.controller.cancel(outcome.order_id)


async def _indexer_status(h, order_id, status):
    order = await h.reader.order(order_id)
    return order is not None and order.status == status


async def test_unknown_order_id_is_not_found(h):
    with pytest.raises(MetadataNotFound, match="not known here nor on the indexer"):
        await h.controller.cancel("00000000-0000-5000-8000-000000000000")


async def test_expired_short_term_order_is_reported_expired_and_not_sent(devnet, tmp_path):
    sent = []
    h = await make_harness(devnet, tmp_path / "o.sqlite3",
                           before_send=lambda action, ids: sent.append(action))  # fmt: skip
    try:
        outcome = await h.controller.place(resting_buy(good_til_blocks=3))
        record = await h.store.get(outcome.order_id)
        await wait_for(_height_above(h, record.good_til_block), timeout=20)
        with pytest.raises(OrderExpired, match="has already expired"):
            await h.controller.cancel(outcome.order_id)
        assert sent == ["place"]  # no cancel left
        assert (await h.store.get(outcome.order_id)).status is OrderStatus.EXPIRED
        assert (await h.store.audit_log(outcome.order_id))[-1].action is AuditAction.EXPIRE
        with pytest.raises(OrderExpired):
            await h.controller.cancel(outcome.order_id)
    finally:
        await close_harness(h)


async def test_cancel_rate_limit(devnet, tmp_path):
    h = await make_harness(devnet, tmp_path / "o.sqlite3",
                           cancel_rate_per_second=0.01, cancel_burst=1)  # fmt: skip
    try:
        first = await h.controller.place(resting_buy())
        second = await h.controller.place(resting_buy())
        await h.controller.cancel(first.order_id)
        with pytest.raises(RateLimited, match="try again in") as info:
            await h.controller.cancel(second.order_id)
        assert info.value.wait_seconds > 1 and info.value.retryable
        assert (await h.store.get(second.order_id)).status is OrderStatus.ACTIVE
    finally:
        await close_harness(h)


async def test_cancel_of_an_order_placed_elsewhere_records_it_from_the_indexer(h, devnet):
    # Another client (same key, another program) places a short-term order.
    height = await h.gateway.latest_block_height()
    key = OrderKey(ALICE.address, 0, 77, 0, ORDER_FLAGS_SHORT_TERM)
    order = build_order(
        OrderSpec(key, Side.BUY, 10_000_000, 3_000_000_000, good_til_block=height + 15)
    )
    assert (await h.gateway.place_order(order)).ok
    from tui_app.ids import order_uuid

    order_id = order_uuid(ALICE.address, 0, 77, 0, 0)
    await wait_for(lambda: _indexer_status(h, order_id, "BEST_EFFORT_OPENED"))
    result = await h.controller.cancel(order_id)
    assert result.result is CancelResult.BEST_EFFORT
    record = await h.store.get(order_id)
    assert (record.client_id, record.symbol, record.price) == (77, BTC, Decimal("30000"))
    assert record.good_til_block == height + 15
    assert (await h.store.audit_log(order_id))[0].action is AuditAction.RECONCILE


# ----- fills ---------------------------------------------------------------------------------


@pytest.fixture
async def bob(devnet):
    gateway = await NodeGateway.connect(
        GatewayConfig(devnet.endpoints.grpc, devnet.endpoints.chain_id, address=BOB.address),
        SecretStr(BOB.mnemonic),
    )
    try:
        yield gateway
    finally:
        await gateway.close()


async def bob_rests(bob, side: Side, subticks: int, quantums: int, client_id: int, clob=1):
    height = await bob.latest_block_height()
    key = OrderKey(BOB.address, 0, client_id, clob, ORDER_FLAGS_SHORT_TERM)
    spec = OrderSpec(key, side, quantums, subticks, good_til_block=height + 15)
    assert (await bob.place_order(build_order(spec))).ok


async def test_filled_order_cannot_be_cancelled_and_close_position(h, bob):
    # ETH-USD: bob offers 0.01 at 2600; alice buys it with an IOC limit.
    eth = await h.controller.markets.market(ETH)
    subticks = 2600 * 10 ** (-eth.spec.price_exponent)
    await bob_rests(bob, Side.SELL, subticks, 10_000_000, client_id=1)
    outcome = await h.controller.place(
        PlaceRequest(ETH, "BUY", Decimal("0.01"), Decimal("2600"),
                     time_in_force=TimeInForceChoice.IOC)
    )  # fmt: skip
    await wait_for(lambda: _indexer_status(h, outcome.order_id, "FILLED"))
    await h.controller.reconcile()
    assert (await h.store.get(outcome.order_id)).status is OrderStatus.FILLED
    with pytest.raises(AlreadyFilled):
        await h.controller.cancel(outcome.order_id)

    # Close: a reduce-only IOC market sell of the whole position, into bob's bid.
    await wait_for(lambda: _has_position(h, ETH))
    await bob_rests(bob, Side.BUY, subticks - 10 ** (-eth.spec.price_exponent), 10_000_000, 2)
    close = await h.controller.close_position(ETH)
    record = await h.store.get(close.order_id)
    assert record.reduce_only and record.time_in_force == "IOC" and record.side == "SELL"
    assert record.order_type == "MARKET" and record.quantity == Decimal("0.01")
    await wait_for(lambda: _has_position(h, ETH, False))
    with pytest.raises(InvalidOrder, match="no open position"):
        await h.controller.close_position(ETH)


async def _has_position(h, market, wanted=True):
    subaccount = await h.reader.subaccount()
    has = subaccount is not None and market in subaccount.open_perpetual_positions
    return has == wanted


async def test_market_order_uses_oracle_price_with_slippage(h):
    request = PlaceRequest(BTC, "BUY", Decimal("0.001"), order_type=OrderType.MARKET)
    outcome = await h.controller.place(request)  # nothing to match on a quiet book
    record = await h.store.get(outcome.order_id)
    market = await h.controller.markets.market(BTC)
    assert record.time_in_force == "IOC" and record.order_type == "MARKET"
    assert market.oracle_price < record.price <= market.oracle_price * Decimal("1.06")


class LiveStub:
    """What the controller reads from a live AccountState."""

    def __init__(self, free_collateral, positions=None, orders=None) -> None:
        self.free_collateral = free_collateral
        self.positions = positions or {}
        self._orders = orders or {}

    def order(self, order_id):
        return self._orders.get(order_id)


async def test_collateral_from_the_live_state_is_checked_before_anything_is_sent(h):
    h.controller.live = LiveStub(free_collateral=Decimal("1"))
    with pytest.raises(InvalidOrder, match="free collateral") as info:
        await h.controller.place(resting_buy())  # 0.001 BTC at 30000: 1.50 USDC of margin
    assert info.value.field == "size"
    assert await h.store.list_orders() == []
    h.controller.live = LiveStub(free_collateral=Decimal("100"))
    outcome = await h.controller.place(resting_buy())
    assert outcome.status == "active"
    await h.controller.cancel(outcome.order_id)
    # No position in the live state: nothing to close, and no request made for it.
    with pytest.raises(InvalidOrder, match="no open position"):
        await h.controller.close_position(BTC)

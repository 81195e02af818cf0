"""OrderStore: round trips, status changes, audit log, queries, durability settings."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tui_app.locations import order_db_path
from tui_app.store import (
    AuditAction,
    AuditEntry,
    AuditOutcome,
    DuplicateOrder,
    InvalidRecord,
    MetadataNotFound,
    OrderStatus,
    OrderStore,
    StatusConflict,
    StoreClosed,
)
from tui_app.store.schema import APPLICATION_ID, latest_version

from .factories import T0, make_order


async def test_new_database_is_wal_full_and_versioned(tmp_path):
    path = tmp_path / "sub" / "dir" / "orders.sqlite3"
    async with await OrderStore.open(path) as store:
        assert await store.schema_version() == latest_version()
        conn = store._conn
        assert (await (await conn.execute("PRAGMA journal_mode")).fetchone())[0] == "wal"
        # 2 = FULL
        assert (await (await conn.execute("PRAGMA synchronous")).fetchone())[0] == 2
        assert await store.integrity_check() == ["ok"]
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
    finally:
        raw.close()
    assert {"dydx_order_metadata", "order_audit", "client_id_allocator"} <= tables
    assert {"idx_order_metadata_open", "idx_order_audit_order"} <= tables
    # Indexes no query needs cost a page per commit each (schema 2 dropped them).
    assert not {"idx_order_metadata_status", "idx_order_metadata_symbol"} & tables
    assert path.stat().st_mode & 0o077 == 0


async def test_round_trip_is_exact_and_returns_domain_objects(store):
    order = make_order(
        quantity=Decimal("0.000000001"),
        price=Decimal("123456789.123456789"),
        quantums=2**63 - 1,
        subticks=2**62,
    )
    await store.add_order(order)
    got = await store.get(order.order_id)
    assert got == dataclasses.replace(order, updated_at=got.updated_at)
    assert got.quantity == Decimal("0.000000001") and str(got.price) == "123456789.123456789"
    assert got.placed_at == T0 and got.placed_at.tzinfo is not None
    assert got.status is OrderStatus.PENDING
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.status = OrderStatus.ACTIVE  # type: ignore[misc]


async def test_long_term_order_round_trip(store):
    order = make_order(order_flags=64, good_til_block=None, good_til_block_time=1_800_000_000)
    await store.add_order(order)
    got = await store.get(order.order_id)
    assert got.good_til_block is None and got.good_til_block_time == 1_800_000_000
    assert not got.is_short_term


async def test_unknown_order_is_metadata_not_found(store):
    with pytest.raises(MetadataNotFound, match="no-such-id"):
        await store.get("no-such-id")
    assert await store.find("no-such-id") is None
    with pytest.raises(MetadataNotFound):
        await store.update_order("no-such-id", status=OrderStatus.ACTIVE)


async def test_duplicate_order_id_or_chain_order_id_is_refused(store):
    order = make_order()
    await store.add_order(order)
    with pytest.raises(DuplicateOrder):
        await store.add_order(order)
    # Same OrderId fields under another uuid: still the same order on chain.
    with pytest.raises(DuplicateOrder):
        await store.add_order(dataclasses.replace(order, order_id="other"))


async def test_add_orders_is_all_or_nothing(store):
    a, b = make_order(1), make_order(2)
    await store.add_order(b)
    with pytest.raises(DuplicateOrder):
        await store.add_orders([a, b])
    assert await store.find(a.order_id) is None


async def test_invalid_values_are_refused_not_mangled(store):
    with pytest.raises(InvalidRecord, match="naive"):
        await store.add_order(make_order(placed_at=datetime(2026, 1, 1)))  # noqa: DTZ001
    with pytest.raises(InvalidRecord, match="quantums"):
        await store.add_order(make_order(quantums=2**63))
    with pytest.raises(InvalidRecord, match="price"):
        await store.add_order(make_order(price=Decimal("NaN")))
    with pytest.raises(InvalidRecord):
        # Neither a good-til-block nor a good-til-block-time: cannot be cancelled.
        await store.add_order(make_order(good_til_block=None))
    assert await store.list_orders() == []


async def test_update_status_with_audit_in_one_transaction(store):
    order = make_order()
    await store.add_order(
        order,
        audit=AuditEntry(order.order_id, AuditAction.PLACE, AuditOutcome.ATTEMPT),
    )
    updated = await store.update_order(
        order.order_id,
        status=OrderStatus.ACTIVE,
        expect=[OrderStatus.PENDING],
        tx_hash="ABC123",
        audit=AuditEntry(
            order.order_id, AuditAction.PLACE, AuditOutcome.ACCEPTED, code=0, tx_hash="ABC123"
        ),
    )
    assert updated.status is OrderStatus.ACTIVE and updated.tx_hash == "ABC123"
    assert updated.updated_at >= updated.placed_at
    cancelled_at = T0 + timedelta(seconds=5)
    updated = await store.update_order(
        order.order_id,
        status=OrderStatus.CANCELLED,
        cancel_tx_hash="DEF",
        cancelled_at=cancelled_at,
        last_error=None,
    )
    assert updated.cancelled_at == cancelled_at and updated.tx_hash == "ABC123"
    log = await store.audit_log(order.order_id)
    assert [(e.action, e.outcome) for e in log] == [
        (AuditAction.PLACE, AuditOutcome.ATTEMPT),
        (AuditAction.PLACE, AuditOutcome.ACCEPTED),
    ]
    assert log[1].tx_hash == "ABC123" and log[1].code == 0 and log[1].at.tzinfo is UTC


async def test_compare_and_set_refuses_unexpected_status_and_writes_nothing(store):
    order = make_order()
    await store.add_order(order)
    await store.update_order(order.order_id, status=OrderStatus.FILLED)
    with pytest.raises(StatusConflict, match="filled"):
        await store.update_order(
            order.order_id,
            status=OrderStatus.ACTIVE,
            expect=[OrderStatus.PENDING],
            audit=AuditEntry(order.order_id, AuditAction.PLACE, AuditOutcome.ACCEPTED),
        )
    assert (await store.get(order.order_id)).status is OrderStatus.FILLED
    assert await store.audit_log(order.order_id) == []


async def test_audit_for_orders_without_metadata(store):
    await store.add_audit(
        AuditEntry("unknown-id", AuditAction.CANCEL, AuditOutcome.REFUSED, detail="not found")
    )
    [entry] = await store.audit_log()
    assert entry.order_id == "unknown-id" and entry.detail == "not found"


async def test_queries_by_status_and_symbol(store):
    orders = [
        make_order(1, symbol="BTC-USD"),
        make_order(2, symbol="ETH-USD"),
        make_order(3, symbol="ETH-USD", placed_at=T0 + timedelta(seconds=1)),
    ]
    await store.add_orders(orders)
    await store.update_order(orders[0].order_id, status=OrderStatus.CANCELLED)
    await store.update_order(orders[1].order_id, status=OrderStatus.BEST_EFFORT_CANCELLED)
    assert [o.client_id for o in await store.open_orders()] == [2, 3]
    assert [o.client_id for o in await store.open_orders("BTC-USD")] == []
    assert [o.client_id for o in await store.list_orders(symbol="ETH-USD", limit=1)] == [2]
    got = await store.list_orders(statuses=[OrderStatus.CANCELLED])
    assert [o.client_id for o in got] == [1]
    assert await store.list_orders(statuses=[]) == []
    found = await store.find_by_client_id(orders[2].owner, 0, 3, 1, 0)
    assert found is not None and found.order_id == orders[2].order_id


async def test_close_is_idempotent_and_use_after_close_fails(tmp_path):
    store = await OrderStore.open(tmp_path / "o.sqlite3")
    async with store:
        pass
    assert store.closed
    await store.close()
    with pytest.raises(StoreClosed):
        await store.get("x")


async def test_data_survives_reopen(tmp_path):
    path = tmp_path / "o.sqlite3"
    order = make_order()
    async with await OrderStore.open(path) as store:
        await store.add_order(order)
    async with await OrderStore.open(path) as store:
        assert (await store.get(order.order_id)).quantity == order.quantity


async def test_empty_file_is_initialised(tmp_path):
    path = tmp_path / "o.sqlite3"
    path.touch()
    async with await OrderStore.open(path) as store:
        assert await store.schema_version() == latest_version()


def test_default_path_is_per_network_under_xdg_data(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert order_db_path("testnet") == tmp_path / "dydx-tui" / "orders-testnet.sqlite3"
    assert order_db_path("mainnet") != order_db_path("testnet")
    with pytest.raises(ValueError):
        order_db_path("../etc")


async def test_open_orders_query_uses_the_partial_index(store):
    from tui_app.store.schema import OPEN_STATUS_CONDITION

    plan = await store._conn.execute_fetchall(
        "EXPLAIN QUERY PLAN SELECT order_id FROM dydx_order_metadata "
        f"WHERE {OPEN_STATUS_CONDITION} AND symbol = ?",
        ("ETH-USD",),
    )
    assert "idx_order_metadata_open" in " ".join(str(row) for row in plan)


async def test_a_list_of_some_open_statuses_uses_the_partial_index(store, monkeypatch):
    """reconcile lists pending and unknown orders: no scan of a long history."""
    seen = []
    real = store._conn.execute_fetchall

    async def spy(sql, params=()):
        seen.append(await real(f"EXPLAIN QUERY PLAN {sql}", params))
        return await real(sql, params)

    monkeypatch.setattr(store._conn, "execute_fetchall", spy)
    pending = make_order(1)
    await store.add_orders([pending, make_order(2, status=OrderStatus.CANCELLED)])
    got = await store.list_orders(statuses=(OrderStatus.PENDING, OrderStatus.UNKNOWN))
    assert [o.order_id for o in got] == [pending.order_id]
    assert "idx_order_metadata_open" in " ".join(str(row) for row in seen[-1])

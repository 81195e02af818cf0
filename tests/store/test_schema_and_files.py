"""Migrations (also failing and crashing ones) and refusing files that are not ours."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from tui_app.store import (
    AuditAction,
    AuditEntry,
    AuditOutcome,
    CorruptDatabase,
    ForeignDatabase,
    MigrationFailed,
    OrderStatus,
    OrderStore,
    SchemaTooNew,
)
from tui_app.store.schema import MIGRATIONS, Migration, latest_version

from .factories import make_order

LATEST = latest_version()
# A migration after the real ones (named V2 from when there was one real migration).
V2 = Migration(
    LATEST + 1,
    "test: a notes column and table",
    (
        "ALTER TABLE dydx_order_metadata ADD COLUMN note TEXT",
        "CREATE TABLE v2_notes (id INTEGER PRIMARY KEY)",
    ),
)


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tables(path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


async def test_migrates_from_an_older_schema_keeping_data(tmp_path):
    path = tmp_path / "o.sqlite3"
    order = make_order()
    async with await OrderStore.open(path) as store:
        await store.add_order(order)
        [before] = await store.allocate_client_ids(1)
    async with await OrderStore.open(path, migrations=(*MIGRATIONS, V2)) as store:
        assert await store.schema_version() == LATEST + 1
        assert (await store.get(order.order_id)).quantity == order.quantity
        # The allocator carries on from where it was.
        assert await store.allocate_client_id() == (before + 1) % 2**32
    assert "v2_notes" in _tables(path)


async def test_failing_migration_rolls_back_and_old_schema_stays_usable(tmp_path):
    path = tmp_path / "o.sqlite3"
    order = make_order()
    async with await OrderStore.open(path) as store:
        await store.add_order(order)

    async def explode(conn):
        raise RuntimeError("boom in the middle of the test migration")

    broken = Migration(LATEST + 1, "broken", V2.statements, explode)
    with pytest.raises(MigrationFailed, match=f"schema {LATEST + 1} .*rolled back") as info:
        await OrderStore.open(path, migrations=(*MIGRATIONS, broken))
    assert info.value.path == path
    # DDL before the failure was undone with the version bump.
    assert "v2_notes" not in _tables(path)
    async with await OrderStore.open(path) as store:
        assert await store.schema_version() == LATEST
        assert (await store.get(order.order_id)).order_id == order.order_id
        assert await store.integrity_check() == ["ok"]


async def test_process_killed_inside_a_migration_leaves_old_schema(tmp_path):
    path = tmp_path / "o.sqlite3"
    order = make_order()
    async with await OrderStore.open(path) as store:
        await store.add_order(order)
    # A child process runs the test migration and dies (no cleanup at all) half way through it.
    script = textwrap.dedent(
        f"""
        import asyncio, os
        from tui_app.store import OrderStore
        from tui_app.store.schema import MIGRATIONS, Migration

        async def die(conn):
            await conn.execute("INSERT INTO v2_notes (id) VALUES (1)")
            os._exit(9)

        m = Migration({LATEST + 1}, "dies", {V2.statements!r}, die)
        asyncio.run(OrderStore.open({str(path)!r}, migrations=(*MIGRATIONS, m)))
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == 9, proc.stderr.decode()
    async with await OrderStore.open(path) as store:
        assert await store.schema_version() == LATEST
        assert await store.integrity_check() == ["ok"]
        assert (await store.get(order.order_id)).order_id == order.order_id
    assert "v2_notes" not in _tables(path)
    # And the migration succeeds on the next start.
    async with await OrderStore.open(path, migrations=(*MIGRATIONS, V2)) as store:
        assert await store.schema_version() == LATEST + 1


@pytest.mark.parametrize(
    "content",
    [b"this is a text file, not a database\n" * 100, os.urandom(8192)],
    ids=["text", "random"],
)
async def test_non_sqlite_file_is_refused_untouched(tmp_path, content):
    path = tmp_path / "orders.sqlite3"
    path.write_bytes(content)
    with pytest.raises(CorruptDatabase, match=str(path)):
        await OrderStore.open(path)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.sqlite3"]


async def test_sqlite_file_with_damaged_pages_is_refused_untouched(tmp_path):
    path = tmp_path / "o.sqlite3"
    async with await OrderStore.open(path) as store:
        await store.add_orders([make_order(i) for i in range(300)])
    # Checkpoint the WAL into the main file, then overwrite its second half with garbage.
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    data = bytearray(path.read_bytes())
    half = len(data) // 2
    data[half:] = b"\xff" * (len(data) - half)
    path.write_bytes(bytes(data))
    digest = _digest(path)
    with pytest.raises(CorruptDatabase, match="o.sqlite3"):
        await OrderStore.open(path)
    assert _digest(path) == digest


async def test_foreign_sqlite_database_is_refused_untouched(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    digest = _digest(path)
    with pytest.raises(ForeignDatabase, match="other.db.*another program"):
        await OrderStore.open(path)
    assert _digest(path) == digest
    assert _tables(path) == {"recipes"}


async def test_database_from_a_newer_version_is_refused_untouched(tmp_path):
    path = tmp_path / "o.sqlite3"
    async with await OrderStore.open(path, migrations=(*MIGRATIONS, V2)):
        pass
    digest = _digest(path)
    with pytest.raises(SchemaTooNew, match=f"schema version {LATEST + 1} is newer"):
        await OrderStore.open(path)
    assert _digest(path) == digest


async def test_directory_instead_of_file_is_refused(tmp_path):
    with pytest.raises(CorruptDatabase, match="not a regular file"):
        await OrderStore.open(tmp_path)


async def test_schema_1_database_upgrades_to_2_keeping_orders_and_audit_ids(tmp_path):
    path = tmp_path / "o.sqlite3"
    orders = [make_order(i) for i in range(1, 4)]
    async with await OrderStore.open(path, migrations=MIGRATIONS[:1]) as store:
        await store.add_orders(
            orders,
            audit=[AuditEntry(o.order_id, AuditAction.PLACE, AuditOutcome.ATTEMPT) for o in orders],
        )
        await store.update_order(
            orders[0].order_id,
            status=OrderStatus.ACTIVE,
            audit=AuditEntry(orders[0].order_id, AuditAction.PLACE, AuditOutcome.ACCEPTED, code=0),
        )
        before = await store.audit_log()
        [client_id] = await store.allocate_client_ids(1)
    assert [e.id for e in before] == [1, 2, 3, 4]
    async with await OrderStore.open(path) as store:
        assert await store.schema_version() == 2
        assert await store.integrity_check() == ["ok"]
        assert {o.order_id for o in await store.list_orders()} == {o.order_id for o in orders}
        assert (await store.get(orders[0].order_id)).status is OrderStatus.ACTIVE
        assert await store.audit_log() == before
        assert await store.allocate_client_id() == (client_id + 1) % 2**32
        # Ids carry on after the highest one.
        await store.add_audit(AuditEntry(orders[1].order_id, AuditAction.CANCEL,
                                         AuditOutcome.ATTEMPT))  # fmt: skip
        assert [e.id for e in await store.audit_log(orders[1].order_id)] == [2, 5]
    raw = sqlite3.connect(path)
    try:
        names = {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
        sequences = raw.execute("SELECT name FROM sqlite_sequence").fetchall()
    finally:
        raw.close()
    assert "order_audit_v2" not in names and "idx_order_audit_order" in names
    assert "idx_order_metadata_status" not in names
    assert sequences == []  # the AUTOINCREMENT counter is gone

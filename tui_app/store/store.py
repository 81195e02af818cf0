"""The order metadata store: one SQLite file per network, accessed through aiosqlite.

    async with await OrderStore.open(path) as store:
        [client_id] = await store.allocate_client_ids(1)
        await store.add_order(record)

Durability: WAL with synchronous=FULL (NORMAL may lose the last commits on power loss),
every change in one explicit transaction. The connection runs in autocommit mode
(`isolation_level=None`) so that Python's sqlite3 never opens or commits a transaction
behind our back; `_write()` (and `_transaction()` for migrations) are the only places
that do.

Speed: each await of an aiosqlite call is a round trip through the event loop, slow when
the loop is busy (a feed burst during cancel-all). So a write is one function run on the
database thread, BEGIN to COMMIT in one hop; point lookups read a second connection
on the caller's thread when no write of ours is in flight (WAL: a reader never waits for
a writer, and sees every commit, also another process's).

Write-behind (`write_behind`): a write whose commit nobody needs to wait for (the
answer of an accepted place: a crash before it commits leaves the row pending, which
reconciliation settles from the indexer) runs in the background; every store call made
after it waits for it, so no caller ever sees the store without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import os
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Self, TypeVar

import aiosqlite

from tui_app.store.checkpoint import FALLBACK_PAGES, Checkpointer
from tui_app.store.errors import (
    ClientIdsExhausted,
    CorruptDatabase,
    DuplicateOrder,
    ForeignDatabase,
    InvalidRecord,
    MetadataNotFound,
    MigrationFailed,
    SchemaTooNew,
    StatusConflict,
    StoreClosed,
)
from tui_app.store.models import (
    OPEN_STATUSES,
    AuditAction,
    AuditEntry,
    AuditOutcome,
    OrderRecord,
    OrderStatus,
    utc_now,
)
from tui_app.store.schema import (
    APPLICATION_ID,
    MIGRATIONS,
    OPEN_STATUS_CONDITION,
    Migration,
    latest_version,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

SQLITE_HEADER = b"SQLite format 3\x00"
CLIENT_ID_SPACE = 2**32
INT64_MAX = 2**63 - 1
BUSY_TIMEOUT_MS = 5000
# Client ids committed ahead by `next_client_id`: one commit per this many orders.
CLIENT_ID_RESERVE = 32

_ORDER_COLUMNS = (
    "order_id", "owner", "subaccount_number", "client_id", "order_flags", "clob_pair_id",
    "order_id_proto", "good_til_block", "good_til_block_time", "symbol", "side", "quantity",
    "quantums", "price", "subticks", "order_type", "time_in_force", "reduce_only",
    "post_only", "client_metadata", "placed_at", "cancelled_at", "tx_hash", "cancel_tx_hash",
    "status", "last_error", "updated_at",
)  # fmt: skip
_SELECT_ORDER = f"SELECT {', '.join(_ORDER_COLUMNS)} FROM dydx_order_metadata"
_INSERT_ORDER = (
    f"INSERT INTO dydx_order_metadata ({', '.join(_ORDER_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _ORDER_COLUMNS)})"
)
_STATUS_COLUMN = _ORDER_COLUMNS.index("status")
_INSERT_AUDIT = "INSERT INTO order_audit (at, order_id, action, outcome, code, detail, tx_hash)"
# Rows per statement: SQLite's oldest limit on bound parameters is 999 (7 per audit row).
_ROWS_PER_STATEMENT = 100
_IDS_PER_STATEMENT = 500

# True inside a write-behind task: its own store calls must not wait for write-behinds.
_IN_WRITE_BEHIND: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "_IN_WRITE_BEHIND", default=False
)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


class OrderStore:
    """Order metadata, the audit log and the client id allocator of one network."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        """Use `await OrderStore.open(path)`."""
        self._conn: aiosqlite.Connection | None = conn
        self.path = path
        # One connection is shared by all tasks; a transaction must not interleave with
        # another task's statements, so every access holds this lock.
        self._lock = asyncio.Lock()
        # Point lookups without a hop to the database thread (see the module docstring).
        self._reader: sqlite3.Connection | None = None
        self._checkpointer: Checkpointer | None = None
        self._behind: set[asyncio.Task[Any]] = set()  # write-behinds not done yet
        self._reserved_ids: deque[int] = deque()  # allocated (committed), not handed out

    # ----- lifecycle ---------------------------------------------------------------------

    @classmethod
    async def open(
        cls, path: Path | str, *, migrations: Sequence[Migration] = MIGRATIONS
    ) -> Self:
        """Open (creating if needed) and migrate the database at `path`.

        A file that is not ours (corrupt, another program's, or from a newer dydx-tui) is
        refused with a `DatabaseUnusable` error naming it, and is not modified.
        """
        path = Path(path).expanduser()
        latest = latest_version(migrations)
        if _has_content(path):
            await _probe(path, latest)
        else:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        conn = await aiosqlite.connect(path, isolation_level=None)
        store = cls(conn, path)
        try:
            _restrict_permissions(path)
            await _configure(conn, path)
            await store._migrate(migrations)
            store._reader = _open_reader(path)
            store._checkpointer = Checkpointer(path)
            store._checkpointer.start()
        except BaseException:
            await store.close()
            raise
        return store

    async def close(self) -> None:
        await self._settle_writes_behind()  # they were promised to be written
        conn, self._conn = self._conn, None
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()
        checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            await asyncio.to_thread(checkpointer.stop)  # a checkpoint may be under way
        if conn is not None:
            async with self._lock:
                await conn.close()

    @property
    def closed(self) -> bool:
        return self._conn is None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ----- schema ------------------------------------------------------------------------

    async def schema_version(self) -> int:
        async with self._locked() as conn:
            return await _pragma_int(conn, "user_version")

    async def _migrate(self, migrations: Sequence[Migration]) -> None:
        current = await self.schema_version()
        for migration in migrations:
            if migration.version <= current:
                continue
            log.info("order store %s: migrating to schema %d", self.path, migration.version)
            try:
                async with self._transaction() as conn:
                    for statement in migration.statements:
                        await conn.execute(statement)
                    if migration.apply is not None:
                        await migration.apply(conn)
                    # Inside the transaction: the version moves only with the schema.
                    await conn.execute(f"PRAGMA user_version = {int(migration.version)}")
            except Exception as exc:
                raise MigrationFailed(self.path, migration.version, exc) from exc
            current = migration.version

    async def integrity_check(self) -> list[str]:
        """SQLite's full integrity check: ["ok"] when the file is sound."""
        async with self._locked() as conn:
            rows = await conn.execute_fetchall("PRAGMA integrity_check")
        return [str(row[0]) for row in rows]

    # ----- client ids ----------------------------------------------------------------------

    async def allocate_client_ids(self, count: int = 1) -> list[int]:
        """`count` client ids never handed out before by this database.

        The high-water mark is committed (fsync'd) before the ids are returned, so a crash
        after this call can only skip ids, never hand one out twice.
        """
        if count < 1:
            raise ValueError(f"count must be at least 1, not {count}")
        return await self._write(lambda db: _allocate(db, count))

    async def allocate_client_id(self) -> int:
        [client_id] = await self.allocate_client_ids(1)
        return client_id

    async def next_client_id(self) -> int:
        """A client id from a reserve allocated ahead, `CLIENT_ID_RESERVE` at a time, so
        that most orders need no commit for their id. The reserve is committed as
        allocated before any of it is handed out: ids left in it when the store closes
        (or the process dies) are skipped, never handed out again."""
        if not self._reserved_ids:
            self._reserved_ids.extend(await self.allocate_client_ids(CLIENT_ID_RESERVE))
        return self._reserved_ids.popleft()

    # ----- orders: writes --------------------------------------------------------------------

    async def add_order(
        self,
        order: OrderRecord,
        *,
        audit: AuditEntry | None = None,
        on_commit: Callable[[], None] | None = None,
    ) -> OrderRecord:
        """Insert a new order row (and optionally its audit entry) in one transaction."""
        [stored] = await self.add_orders([order], audit=[audit] if audit else [],
                                         on_commit=on_commit)  # fmt: skip
        return stored

    async def add_orders(
        self,
        orders: Iterable[OrderRecord],
        *,
        audit: Iterable[AuditEntry] = (),
        on_commit: Callable[[], None] | None = None,
    ) -> list[OrderRecord]:
        """Insert several rows atomically: all or none.

        `on_commit()` is called on the database thread as soon as the rows are committed,
        before the caller's loop hears of it (e.g. to release a broadcast waiting for
        them, without a detour through a busy loop); it must only hand the news over."""
        now = utc_now()
        now_text = _time_text(now)
        stored = [_with_updated_at(order, now) for order in orders]
        rows = [_order_to_row(order) for order in stored]
        audits = [_audit_row(entry, now_text) for entry in audit]

        def insert(db: sqlite3.Connection) -> None:
            try:
                db.executemany(_INSERT_ORDER, rows)
            except sqlite3.IntegrityError as exc:
                # executemany does not say which row: name it when there is only one.
                which = stored[0].order_id if len(stored) == 1 else "(one of the batch)"
                if "UNIQUE" in str(exc):
                    raise DuplicateOrder(which) from None
                raise InvalidRecord(f"order {which}: {exc}") from None
            _insert_audits(db, audits)

        await self._write(insert, on_commit)
        return stored

    async def update_order(
        self,
        order_id: str,
        *,
        status: OrderStatus | None = None,
        expect: Iterable[OrderStatus] | None = None,
        tx_hash: str | None = UNSET,
        cancel_tx_hash: str | None = UNSET,
        last_error: str | None = UNSET,
        cancelled_at: datetime | None = UNSET,
        audit: AuditEntry | None = None,
    ) -> OrderRecord:
        """Change an order's status and/or outcome fields; returns the updated record.

        `expect`: only change the row if its current status is one of these (else
        `StatusConflict`), so that e.g. a late 'active' never overwrites a 'filled'.
        """
        changes: dict[str, Any] = {}
        if status is not None:
            changes["status"] = OrderStatus(status).value
        for name, value in (
            ("tx_hash", tx_hash),
            ("cancel_tx_hash", cancel_tx_hash),
            ("last_error", last_error),
        ):
            if value is not UNSET:
                changes[name] = value
        if cancelled_at is not UNSET:
            changes["cancelled_at"] = _time_text(cancelled_at)
        now = utc_now()
        changes["updated_at"] = _time_text(now)
        allowed = None if expect is None else tuple(OrderStatus(s).value for s in expect)
        audits = [] if audit is None else [_audit_row(audit, _time_text(now))]

        assignments = ", ".join(f"{name} = ?" for name in changes)
        status_test = "" if allowed is None else f" AND status IN ({_marks(len(allowed))})"
        # One statement: the row as written comes back (each statement step lets go of the
        # GIL, and getting it back may wait behind a busy thread).
        sql = (f"UPDATE dydx_order_metadata SET {assignments} WHERE order_id = ?{status_test} "
               f"RETURNING {', '.join(_ORDER_COLUMNS)}")  # fmt: skip
        params = (*changes.values(), order_id, *(allowed or ()))

        def update(db: sqlite3.Connection) -> tuple[Any, ...]:
            rows = db.execute(sql, params).fetchall()  # all: the statement is done
            if not rows:  # missing, or not in an expected status: say which
                current = _fetch_row(db, order_id)
                if current is None:
                    raise MetadataNotFound(order_id)
                raise StatusConflict(order_id, current[_STATUS_COLUMN], allowed or ())
            _insert_audits(db, audits)
            return tuple(rows[0])

        return _row_to_order(await self._write(update))

    async def update_orders(
        self,
        order_ids: Iterable[str],
        *,
        status: OrderStatus,
        expect: Iterable[OrderStatus] | None = None,
        cancel_tx_hash: str | None = UNSET,
        last_error: str | None = UNSET,
        cancelled_at: datetime | None = UNSET,
        audit: Iterable[AuditEntry] = (),
    ) -> list[str]:
        """Set the status of many rows in ONE transaction (one fsync, not one per row).

        Rows missing or not in an `expect`ed status are skipped, not an error; returns the
        ids that changed. Audit entries are written in the same transaction.
        """
        now = utc_now()
        now_text = _time_text(now)
        update = _prepare_update(order_ids, now, status=status, expect=expect,
                                 cancel_tx_hash=cancel_tx_hash, last_error=last_error,
                                 cancelled_at=cancelled_at)  # fmt: skip
        audits = [_audit_row(entry, now_text) for entry in audit]

        def apply(db: sqlite3.Connection) -> list[str]:
            changed = _apply_update(db, *update)
            _insert_audits(db, audits)
            return changed

        return await self._write(apply)

    async def update_orders_together(
        self, groups: Sequence[Mapping[str, Any]], *, audit: Iterable[AuditEntry] = ()
    ) -> list[list[str]]:
        """Several `update_orders` (each a mapping of its arguments: `order_ids`, `status`,
        optional `expect`, `cancel_tx_hash`, `last_error`, `cancelled_at`) plus audit
        entries, all in ONE transaction; returns each group's changed ids."""
        now = utc_now()
        now_text = _time_text(now)
        updates = [_prepare_update(g["order_ids"], now, **{k: v for k, v in g.items()
                                                           if k != "order_ids"})
                   for g in groups]  # fmt: skip
        audits = [_audit_row(entry, now_text) for entry in audit]

        def apply(db: sqlite3.Connection) -> list[list[str]]:
            changed = [_apply_update(db, *u) for u in updates]
            _insert_audits(db, audits)
            return changed

        return await self._write(apply)

    async def add_audits(self, entries: Iterable[AuditEntry]) -> None:
        """Several audit entries in one transaction."""
        now_text = _time_text(utc_now())
        rows = [_audit_row(entry, now_text) for entry in entries]
        await self._write(lambda db: _insert_audits(db, rows))

    async def add_audit(self, entry: AuditEntry) -> None:
        await self.add_audits([entry])

    # ----- orders: reads ----------------------------------------------------------------------

    async def get(self, order_id: str) -> OrderRecord:
        """The order's record, or `MetadataNotFound`."""
        order = await self.find(order_id)
        if order is None:
            raise MetadataNotFound(order_id)
        return order

    async def find(self, order_id: str) -> OrderRecord | None:
        return await self._find_one(f"{_SELECT_ORDER} WHERE order_id = ?", (order_id,))

    async def find_by_client_id(
        self, owner: str, subaccount_number: int, client_id: int, clob_pair_id: int, order_flags: int
    ) -> OrderRecord | None:
        """Look up by the chain's OrderId fields."""
        return await self._find_one(
            f"{_SELECT_ORDER} WHERE owner = ? AND subaccount_number = ? AND client_id = ?"
            " AND clob_pair_id = ? AND order_flags = ?",
            (owner, subaccount_number, client_id, clob_pair_id, order_flags),
        )

    async def _find_one(self, sql: str, params: tuple[Any, ...]) -> OrderRecord | None:
        """One row by a unique key: read here when no write of ours is in flight (so the
        answer is as current as under the lock), else after it, on the database thread."""
        reader = self._reader
        if reader is not None and not self._lock.locked() and not self._behind:
            try:
                cursor = reader.execute(sql, params)
                try:
                    row = cursor.fetchone()
                finally:
                    cursor.close()  # ends its read transaction now: checkpoints never wait
            except sqlite3.OperationalError as exc:  # e.g. busy: ask the usual way
                log.debug("order store: direct read failed (%s); via the database thread", exc)
            else:
                return _row_to_order(row) if row is not None else None
        async with self._locked() as conn:
            rows = await conn.execute_fetchall(sql, params)  # one hop to aiosqlite's thread
        return _row_to_order(next(iter(rows))) if rows else None

    async def list_orders(
        self,
        *,
        statuses: Iterable[OrderStatus] | None = None,
        symbol: str | None = None,
        limit: int | None = None,
    ) -> list[OrderRecord]:
        """Orders, oldest placement first, optionally filtered by status and symbol."""
        where: list[str] = []
        params: list[Any] = []
        if statuses is not None:
            wanted = {OrderStatus(s) for s in statuses}
            if not wanted:
                return []
            # Only open orders are indexed (the partial index, for this very text); a list
            # of final ones reads the whole table (rare: `orders --status all`).
            if wanted <= OPEN_STATUSES:
                where.append(OPEN_STATUS_CONDITION)
            if wanted != OPEN_STATUSES:
                values = sorted(s.value for s in wanted)
                where.append(f"status IN ({', '.join('?' for _ in values)})")
                params.extend(values)
        if symbol is not None:
            where.append("symbol = ?")
            params.append(symbol)
        sql = _SELECT_ORDER
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY placed_at, order_id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        async with self._locked() as conn:
            rows = await conn.execute_fetchall(sql, params)
        return [_row_to_order(row) for row in rows]

    async def open_orders(self, symbol: str | None = None) -> list[OrderRecord]:
        """Orders that may still be live on the chain (not final)."""
        return await self.list_orders(statuses=OPEN_STATUSES, symbol=symbol)

    async def audit_log(self, order_id: str | None = None, *, limit: int = 1000) -> list[AuditEntry]:
        """Audit entries, oldest first (the latest `limit` ones)."""
        sql = "SELECT id, at, order_id, action, outcome, code, detail, tx_hash FROM order_audit"
        params: list[Any] = []
        if order_id is not None:
            sql += " WHERE order_id = ?"
            params.append(order_id)
        sql = f"SELECT * FROM ({sql} ORDER BY id DESC LIMIT ?) ORDER BY id"
        params.append(int(limit))
        async with self._locked() as conn:
            rows = await conn.execute_fetchall(sql, params)
        return [
            AuditEntry(
                id=row[0],
                at=datetime.fromisoformat(row[1]),
                order_id=row[2],
                action=AuditAction(row[3]),
                outcome=AuditOutcome(row[4]),
                code=row[5],
                detail=row[6],
                tx_hash=row[7],
            )
            for row in rows
        ]

    # ----- plumbing -----------------------------------------------------------------------------

    def _require(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise StoreClosed()
        return self._conn

    @contextlib.asynccontextmanager
    async def _locked(self) -> AsyncIterator[aiosqlite.Connection]:
        if self._behind and not _IN_WRITE_BEHIND.get():
            await self._settle_writes_behind()
        async with self._lock:
            yield self._require()

    def write_behind(self, writes: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run `writes` (a coroutine making store calls) without the caller waiting for
        their commit. Every store call made after this one waits until it is done, so
        the order of calls is the order of effects. A failure is logged (and stays in
        the returned task); `close()` waits for it."""

        async def run() -> T:
            _IN_WRITE_BEHIND.set(True)  # in this task's copy of the context only
            return await writes

        task = asyncio.ensure_future(run())
        self._behind.add(task)
        task.add_done_callback(self._write_behind_done)
        return task

    def _write_behind_done(self, task: asyncio.Task[Any]) -> None:
        self._behind.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("order store %s: a write-behind failed: %r", self.path, task.exception())

    async def _settle_writes_behind(self) -> None:
        while self._behind:
            await asyncio.wait(list(self._behind))

    async def _write(
        self, work: Callable[[sqlite3.Connection], T], on_commit: Callable[[], None] | None = None
    ) -> T:
        """`work(db)` in one transaction, BEGIN to COMMIT on the database thread in one
        hop; rolled back when it raises. Every change but a migration goes through here."""
        checkpointer = self._checkpointer
        after = None if checkpointer is None else checkpointer.committed
        async with self._locked() as conn:
            # aiosqlite's own queue (0.22: `_execute`, `_conn`): it runs jobs in order, so a
            # caller cancelled meanwhile cannot let another transaction in halfway.
            return await conn._execute(_in_transaction, conn, work, on_commit, after)

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A transaction of several awaited statements (migrations, whose `apply` is async)."""
        async with self._locked() as conn:
            # IMMEDIATE takes the write lock now, so a second process waits (busy_timeout)
            # at BEGIN instead of failing halfway through.
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                # Shielded: a cancelled caller must still leave no transaction open.
                await asyncio.shield(conn.execute("ROLLBACK"))
                raise
            await asyncio.shield(conn.execute("COMMIT"))


# ----- opening -----------------------------------------------------------------------------


def _in_transaction(
    conn: aiosqlite.Connection,
    work: Callable[[sqlite3.Connection], T],
    on_commit: Callable[[], None] | None = None,
    after: Callable[[sqlite3.Connection], None] | None = None,
) -> T:
    """On the database thread. `after(db)`: once committed and `on_commit` told."""
    db = conn._conn
    # IMMEDIATE takes the write lock now, so a second process waits (busy_timeout) at
    # BEGIN instead of failing halfway through.
    db.execute("BEGIN IMMEDIATE")
    try:
        result = work(db)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    if on_commit is not None:
        try:
            on_commit()
        except Exception:  # committed all the same: the caller must hear of that
            log.warning("order store: on_commit failed", exc_info=True)
    if after is not None:
        after(db)
    return result


def _allocate(db: sqlite3.Connection, count: int) -> list[int]:
    next_id, allocated = db.execute(
        "SELECT next_id, allocated FROM client_id_allocator WHERE id = 1"
    ).fetchone()
    if allocated + count > CLIENT_ID_SPACE:
        raise ClientIdsExhausted()
    db.execute(
        "UPDATE client_id_allocator SET next_id = ?, allocated = ? WHERE id = 1",
        ((next_id + count) % CLIENT_ID_SPACE, allocated + count),
    )
    return [(next_id + i) % CLIENT_ID_SPACE for i in range(count)]


def _open_reader(path: Path) -> sqlite3.Connection:
    """The lookup connection: read-only by pragma, never waits for a lock (a busy read
    falls back to the database thread)."""
    # check_same_thread off: used only on the loop that owns the store, which may not
    # be the thread that opened it.
    reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        reader.execute("PRAGMA query_only = ON")
        reader.execute("PRAGMA busy_timeout = 0")
    except BaseException:
        reader.close()
        raise
    return reader


def _has_content(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


async def _probe(path: Path, latest: int) -> None:
    """Check an existing file read-only before anything may write to it."""
    if not path.is_file():
        raise CorruptDatabase(path, "not a regular file")
    with path.open("rb") as f:
        header = f.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise CorruptDatabase(path, "not an SQLite database (wrong file header)")
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        async with aiosqlite.connect(uri, uri=True) as conn:
            app_id = await _pragma_int(conn, "application_id")
            version = await _pragma_int(conn, "user_version")
            cursor = await conn.execute("SELECT count(*) FROM sqlite_master")
            (objects,) = await cursor.fetchone()  # type: ignore[misc]
            if app_id not in (0, APPLICATION_ID) or (app_id == 0 and (objects or version)):
                raise ForeignDatabase(path, "an SQLite database of another program")
            if version > latest:
                raise SchemaTooNew(
                    path,
                    f"schema version {version} is newer than this dydx-tui knows ({latest}); "
                    "upgrade dydx-tui",
                )
            rows = await conn.execute_fetchall("PRAGMA quick_check")
    except sqlite3.DatabaseError as exc:
        raise CorruptDatabase(path, f"unreadable ({exc})") from None
    problems = [str(row[0]) for row in rows]
    if problems != ["ok"]:
        raise CorruptDatabase(path, f"failed its integrity check: {'; '.join(problems[:3])}")


async def _configure(conn: aiosqlite.Connection, path: Path) -> None:
    cursor = await conn.execute("PRAGMA journal_mode = WAL")
    (mode,) = await cursor.fetchone()  # type: ignore[misc]
    if str(mode).lower() != "wal":
        log.warning("order store %s: journal mode is %s, not wal", path, mode)
    await conn.execute("PRAGMA synchronous = FULL")
    # Checkpoints run in the background (checkpoint.py); this only if they fall behind.
    await conn.execute_fetchall(f"PRAGMA wal_autocheckpoint = {FALLBACK_PAGES}")
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA foreign_keys = ON")


def _restrict_permissions(path: Path) -> None:
    # Not a secret, but a trading record: private to the user, like ~/.ssh.
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)


async def _pragma_int(conn: aiosqlite.Connection, name: str) -> int:
    cursor = await conn.execute(f"PRAGMA {name}")
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


# ----- rows <-> records -----------------------------------------------------------------------


def _time_text(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise InvalidRecord(f"naive datetime {moment!r}: the store keeps UTC times only")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


def _checked_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRecord(f"{name} must be an int, not {type(value).__name__}")
    if not 0 <= value <= INT64_MAX:
        raise InvalidRecord(f"{name} {value} is outside 0..2^63-1")
    return value


def _decimal_text(name: str, value: Decimal) -> str:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidRecord(f"{name} must be a finite Decimal, not {value!r}")
    # Exact: str() keeps every digit and never goes through a float.
    return str(value)


def _with_updated_at(order: OrderRecord, now: datetime) -> OrderRecord:
    return replace(order, updated_at=now)


def _order_to_row(o: OrderRecord) -> tuple[Any, ...]:
    return (
        o.order_id,
        o.owner,
        _checked_int("subaccount_number", o.subaccount_number),
        _checked_int("client_id", o.client_id),
        _checked_int("order_flags", o.order_flags),
        _checked_int("clob_pair_id", o.clob_pair_id),
        bytes(o.order_id_proto),
        None if o.good_til_block is None else _checked_int("good_til_block", o.good_til_block),
        None
        if o.good_til_block_time is None
        else _checked_int("good_til_block_time", o.good_til_block_time),
        o.symbol,
        o.side,
        _decimal_text("quantity", o.quantity),
        _checked_int("quantums", o.quantums),
        _decimal_text("price", o.price),
        _checked_int("subticks", o.subticks),
        o.order_type,
        o.time_in_force,
        int(bool(o.reduce_only)),
        int(bool(o.post_only)),
        _checked_int("client_metadata", o.client_metadata),
        _time_text(o.placed_at),
        _time_text(o.cancelled_at),
        o.tx_hash,
        o.cancel_tx_hash,
        OrderStatus(o.status).value,
        o.last_error,
        _time_text(o.updated_at),
    )


def _row_to_order(row: Sequence[Any]) -> OrderRecord:
    # Unpacked in _ORDER_COLUMNS order (a cancel-all reads hundreds of rows: no dict).
    (order_id, owner, subaccount_number, client_id, order_flags, clob_pair_id, order_id_proto,
     good_til_block, good_til_block_time, symbol, side, quantity, quantums, price, subticks,
     order_type, time_in_force, reduce_only, post_only, client_metadata, placed_at,
     cancelled_at, tx_hash, cancel_tx_hash, status, last_error, updated_at) = row  # fmt: skip
    return OrderRecord(
        order_id=order_id,
        owner=owner,
        subaccount_number=subaccount_number,
        client_id=client_id,
        order_flags=order_flags,
        clob_pair_id=clob_pair_id,
        order_id_proto=bytes(order_id_proto),
        good_til_block=good_til_block,
        good_til_block_time=good_til_block_time,
        symbol=symbol,
        side=side,
        quantity=Decimal(quantity),
        quantums=quantums,
        price=Decimal(price),
        subticks=subticks,
        order_type=order_type,
        time_in_force=time_in_force,
        reduce_only=bool(reduce_only),
        post_only=bool(post_only),
        client_metadata=client_metadata,
        placed_at=_parse_time(placed_at),  # type: ignore[arg-type]
        cancelled_at=_parse_time(cancelled_at),
        tx_hash=tx_hash,
        cancel_tx_hash=cancel_tx_hash,
        status=OrderStatus(status),
        last_error=last_error,
        updated_at=_parse_time(updated_at),
    )


def _fetch_row(db: sqlite3.Connection, order_id: str) -> tuple[Any, ...] | None:
    row = db.execute(f"{_SELECT_ORDER} WHERE order_id = ?", (order_id,)).fetchone()
    return tuple(row) if row is not None else None


def _prepare_update(
    order_ids: Iterable[str],
    now: datetime,
    *,
    status: OrderStatus,
    expect: Iterable[OrderStatus] | None = None,
    cancel_tx_hash: str | None = UNSET,
    last_error: str | None = UNSET,
    cancelled_at: datetime | None = UNSET,
) -> tuple[list[str], dict[str, Any], tuple[str, ...] | None]:
    ids = list(dict.fromkeys(order_ids))
    changes: dict[str, Any] = {"status": OrderStatus(status).value}
    if cancel_tx_hash is not UNSET:
        changes["cancel_tx_hash"] = cancel_tx_hash
    if last_error is not UNSET:
        changes["last_error"] = last_error
    if cancelled_at is not UNSET:
        changes["cancelled_at"] = _time_text(cancelled_at)
    changes["updated_at"] = _time_text(now)
    allowed = tuple(OrderStatus(s).value for s in expect) if expect is not None else None
    return ids, changes, allowed


def _apply_update(
    db: sqlite3.Connection,
    ids: list[str],
    changes: dict[str, Any],
    allowed: tuple[str, ...] | None,
) -> list[str]:
    """Set `changes` on those of `ids` that exist (in one of `allowed`, if given); returns
    them in the given order.

    A few statements for many rows, not one per row: every statement step lets go of the
    GIL, and getting it back waits behind any busy thread (up to 5 ms each time)."""
    assignments = ", ".join(f"{name} = ?" for name in changes)
    status_test = "" if allowed is None else f" AND status IN ({_marks(len(allowed))})"
    found: set[str] = set()
    for start in range(0, len(ids), _IDS_PER_STATEMENT):
        chunk = ids[start : start + _IDS_PER_STATEMENT]
        where = f"WHERE order_id IN ({_marks(len(chunk))}){status_test}"
        params = (*chunk, *(allowed or ()))
        (listed,) = db.execute(
            f"SELECT json_group_array(order_id) FROM dydx_order_metadata {where}", params
        ).fetchone()  # one row, however many ids
        found.update(json.loads(listed))
        db.execute(
            f"UPDATE dydx_order_metadata SET {assignments} {where}", (*changes.values(), *params)
        )
    return [order_id for order_id in ids if order_id in found]


def _insert_audits(db: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Audit rows (from `_audit_row`), many per statement (see `_apply_update`)."""
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        chunk = rows[start : start + _ROWS_PER_STATEMENT]
        values = ", ".join("(?, ?, ?, ?, ?, ?, ?)" for _ in chunk)
        db.execute(f"{_INSERT_AUDIT} VALUES {values}", [v for row in chunk for v in row])


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def _audit_row(entry: AuditEntry, now_text: str | None) -> tuple[Any, ...]:
    """`now_text`: the transaction's time as stored, for entries without their own."""
    return (
        now_text if entry.at is None else _time_text(entry.at),
        entry.order_id,
        AuditAction(entry.action).value,
        AuditOutcome(entry.outcome).value,
        entry.code,
        entry.detail or "",
        entry.tx_hash,
    )


"""The store's schema as a list of forward migrations, versioned with `PRAGMA user_version`.

Each migration runs in one transaction together with its `user_version` bump, so a crash
or an error inside it leaves the previous schema (and version) exactly as it was. Never
edit a released migration: append a new one.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import aiosqlite

from tui_app.store.models import OPEN_STATUSES

# PRAGMA application_id marks the file as ours ("dYdT"), so that another program's SQLite
# database given by mistake is recognised and left alone.
APPLICATION_ID = int.from_bytes(b"dYdT", "big")


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...] = ()
    # For migrations that need code (data rewrites); runs after `statements`, same transaction.
    apply: Callable[[aiosqlite.Connection], Awaitable[None]] | None = None


# Literal, not parameters: SQLite uses a partial index only for a query that repeats
# its WHERE term (store.open_orders() uses this very text).
OPEN_STATUS_CONDITION = "status IN ({})".format(
    ", ".join(f"'{s.value}'" for s in sorted(OPEN_STATUSES))
)

_V1 = (
    f"PRAGMA application_id = {APPLICATION_ID}",
    """
    CREATE TABLE dydx_order_metadata (
        order_id            TEXT PRIMARY KEY,
        owner               TEXT NOT NULL,
        subaccount_number   INTEGER NOT NULL CHECK (subaccount_number BETWEEN 0 AND 4294967295),
        client_id           INTEGER NOT NULL CHECK (client_id BETWEEN 0 AND 4294967295),
        order_flags         INTEGER NOT NULL CHECK (order_flags >= 0),
        clob_pair_id        INTEGER NOT NULL CHECK (clob_pair_id >= 0),
        order_id_proto      BLOB NOT NULL,
        good_til_block      INTEGER,
        good_til_block_time INTEGER,
        symbol              TEXT NOT NULL,
        side                TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
        quantity            TEXT NOT NULL,
        quantums            INTEGER NOT NULL CHECK (quantums > 0),
        price               TEXT NOT NULL,
        subticks            INTEGER NOT NULL CHECK (subticks >= 0),
        order_type          TEXT NOT NULL,
        time_in_force       TEXT NOT NULL,
        reduce_only         INTEGER NOT NULL CHECK (reduce_only IN (0, 1)),
        post_only           INTEGER NOT NULL CHECK (post_only IN (0, 1)),
        client_metadata     INTEGER NOT NULL DEFAULT 0,
        placed_at           TEXT NOT NULL,
        cancelled_at        TEXT,
        tx_hash             TEXT,
        cancel_tx_hash      TEXT,
        status              TEXT NOT NULL CHECK (status IN ('pending', 'active',
                                'cancel_pending', 'best_effort_cancelled', 'cancelled',
                                'expired', 'filled', 'rejected', 'unknown')),
        last_error          TEXT,
        updated_at          TEXT NOT NULL,
        -- A short-term order has a good-til-block, a stateful one a good-til-block-time.
        CHECK ((good_til_block IS NULL) <> (good_til_block_time IS NULL)),
        UNIQUE (owner, subaccount_number, client_id, clob_pair_id, order_flags)
    )
    """,
    "CREATE INDEX idx_order_metadata_status ON dydx_order_metadata (status)",
    "CREATE INDEX idx_order_metadata_symbol ON dydx_order_metadata (symbol)",
    # Open orders are few among many final ones: a partial index finds them without a
    # scan (the status index alone looks unselective to the planner).
    f"CREATE INDEX idx_order_metadata_open ON dydx_order_metadata (symbol, placed_at) "
    f"WHERE {OPEN_STATUS_CONDITION}",
    """
    CREATE TABLE order_audit (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        at       TEXT NOT NULL,
        order_id TEXT NOT NULL,
        action   TEXT NOT NULL,
        outcome  TEXT NOT NULL,
        code     INTEGER,
        detail   TEXT NOT NULL DEFAULT '',
        tx_hash  TEXT
    )
    """,
    "CREATE INDEX idx_order_audit_order ON order_audit (order_id)",
    # One row: the next client id to hand out and how many were handed out in all.
    """
    CREATE TABLE client_id_allocator (
        id        INTEGER PRIMARY KEY CHECK (id = 1),
        next_id   INTEGER NOT NULL CHECK (next_id BETWEEN 0 AND 4294967295),
        allocated INTEGER NOT NULL DEFAULT 0
    )
    """,
)



async def _seed_client_ids(conn: aiosqlite.Connection) -> None:
    # A random start per database: two databases (a lost file, another machine) used with
    # the same account then rarely hand out the same ids.
    start = secrets.randbelow(2**32)
    await conn.execute("INSERT INTO client_id_allocator (id, next_id) VALUES (1, ?)", (start,))


# Fewer b-tree pages per commit (each is a 4 KiB WAL frame to write and fsync): an order's
# insert went from 9 to 6 pages, its status update from 7 to 4.
# - The status and symbol indexes served no hot query: open orders (the only status
#   lists the app asks for) have the partial index; listing final orders reads the table.
# - AUTOINCREMENT kept its counter in sqlite_sequence, one more page per audited commit.
#   A plain INTEGER PRIMARY KEY hands out max(id) + 1, the same ids here: audit rows are
#   never deleted, so an id is never reused.
_V2 = (
    "DROP INDEX idx_order_metadata_status",
    "DROP INDEX idx_order_metadata_symbol",
    """
    CREATE TABLE order_audit_v2 (
        id       INTEGER PRIMARY KEY,
        at       TEXT NOT NULL,
        order_id TEXT NOT NULL,
        action   TEXT NOT NULL,
        outcome  TEXT NOT NULL,
        code     INTEGER,
        detail   TEXT NOT NULL DEFAULT '',
        tx_hash  TEXT
    )
    """,
    "INSERT INTO order_audit_v2 (id, at, order_id, action, outcome, code, detail, tx_hash) "
    "SELECT id, at, order_id, action, outcome, code, detail, tx_hash FROM order_audit",
    "DROP TABLE order_audit",  # with its index and its sqlite_sequence row
    "ALTER TABLE order_audit_v2 RENAME TO order_audit",
    "CREATE INDEX idx_order_audit_order ON order_audit (order_id)",
)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "order metadata, audit log, client id allocator", _V1, _seed_client_ids),
    Migration(2, "leaner writes: no status/symbol index, no AUTOINCREMENT audit ids", _V2),
)


def latest_version(migrations: Sequence[Migration] = MIGRATIONS) -> int:
    return migrations[-1].version if migrations else 0

"""Errors of the order store. Each message says what is wrong and, where it helps, what to do."""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """Base class of everything the order store raises."""


class DatabaseUnusable(StoreError):
    """The file at `path` is not a database this app can use; it was left untouched."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(
            f"order database {self.path}: {reason}. The file was left untouched; "
            "move it away or pass another path with --db."
        )


class CorruptDatabase(DatabaseUnusable):
    """Not an SQLite file, or an SQLite file that fails its integrity check."""


class ForeignDatabase(DatabaseUnusable):
    """A valid SQLite database that belongs to some other program."""


class SchemaTooNew(DatabaseUnusable):
    """Written by a newer dydx-tui: this version does not know its schema."""


class MigrationFailed(StoreError):
    """A schema migration failed and was rolled back; the previous schema is intact."""

    def __init__(self, path: Path | str, version: int, cause: BaseException) -> None:
        self.path = Path(path)
        self.version = version
        super().__init__(
            f"order database {self.path}: migration to schema {version} failed and was "
            f"rolled back (the database still has the previous schema): {cause!r}"
        )


class StoreClosed(StoreError):
    def __init__(self) -> None:
        super().__init__("the order store is closed")


class MetadataNotFound(StoreError):
    """No row for this order id: it was placed elsewhere or before the store existed."""

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(f"no metadata for order {order_id} in the order store")


class DuplicateOrder(StoreError):
    """An order with this id (or this OrderId: owner, subaccount, client id, ...) exists."""

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(f"order {order_id} is already in the order store")


class StatusConflict(StoreError):
    """A compare-and-set status change found the row in an unexpected status."""

    def __init__(self, order_id: str, current: str, expected: tuple[str, ...]) -> None:
        self.order_id = order_id
        self.current = current
        self.expected = expected
        super().__init__(
            f"order {order_id} is {current}, not {' or '.join(expected)}; status left as is"
        )


class InvalidRecord(StoreError):
    """A value that cannot be stored faithfully (e.g. an integer beyond SQLite's range)."""


class ClientIdsExhausted(StoreError):
    def __init__(self) -> None:
        super().__init__(
            "all 2^32 client ids of this database have been used; start a new database"
        )

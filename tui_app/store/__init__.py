"""The order metadata store (aiosqlite): what the app needs to cancel every order it placed."""

from tui_app.store.errors import (
    ClientIdsExhausted,
    CorruptDatabase,
    DatabaseUnusable,
    DuplicateOrder,
    ForeignDatabase,
    InvalidRecord,
    MetadataNotFound,
    MigrationFailed,
    SchemaTooNew,
    StatusConflict,
    StoreClosed,
    StoreError,
)
from tui_app.store.models import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    AuditAction,
    AuditEntry,
    AuditOutcome,
    OrderRecord,
    OrderStatus,
)
from tui_app.store.store import OrderStore

__all__ = [
    "FINAL_STATUSES",
    "OPEN_STATUSES",
    "AuditAction",
    "AuditEntry",
    "AuditOutcome",
    "ClientIdsExhausted",
    "CorruptDatabase",
    "DatabaseUnusable",
    "DuplicateOrder",
    "ForeignDatabase",
    "InvalidRecord",
    "MetadataNotFound",
    "MigrationFailed",
    "OrderRecord",
    "OrderStatus",
    "OrderStore",
    "SchemaTooNew",
    "StatusConflict",
    "StoreClosed",
    "StoreError",
]

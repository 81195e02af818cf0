"""Typed, past-tense messages from the feed, the state and the controller to the UI.

The app turns state change records and feed statuses into these. Account changes arrive
as one `AccountUpdated` per flush interval carrying every key that changed since the last
one (never dropped: the keys accumulate until flushed). Connection statuses replace each
other while queued (`can_replace`): only the newest matters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message

from tui_app.feed.status import ConnectionStatus


@dataclass(frozen=True)
class ChangeSet:
    """Everything that changed in the account state since the last flush."""

    orders: frozenset[str] = frozenset()
    positions: frozenset[str] = frozenset()
    markets: frozenset[str] = frozenset()
    fills: bool = False
    balance: bool = False
    block_height: bool = False
    reset: bool = False  # a snapshot replaced everything: refresh every row
    resync: tuple[str, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(
            self.orders or self.positions or self.markets or self.fills or self.balance
            or self.block_height or self.reset or self.resync
        )


class AccountUpdated(Message):
    """The account state changed; `changes` says which rows."""

    def __init__(self, changes: ChangeSet) -> None:
        super().__init__()
        self.changes = changes


class ConnectionStatusChanged(Message):
    """The feed's connection status changed (WebSocket state, polling, height, rate)."""

    def __init__(self, status: ConnectionStatus) -> None:
        super().__init__()
        self.status = status

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ConnectionStatusChanged)


class ActionStarted(Message):
    """A controller call began (cancel, cancel-all, place, close)."""

    def __init__(self, action: str, description: str) -> None:
        super().__init__()
        self.action = action
        self.description = description


class ActionFinished(Message):
    """A controller call ended; `error` is the controller's message when it failed."""

    def __init__(self, action: str, description: str, result: object = None,
                 error: str | None = None) -> None:
        super().__init__()
        self.action = action
        self.description = description
        self.result = result
        self.error = error

    @property
    def ok(self) -> bool:
        return self.error is None


class OrderNoteChanged(Message):
    """The app's own note on an order changed ("cancel sent", "retrying 2/5"...)."""

    def __init__(self, order_id: str, note: str | None) -> None:
        super().__init__()
        self.order_id = order_id
        self.note = note

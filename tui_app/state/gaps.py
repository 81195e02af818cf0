"""Spotting lost messages by their `message_id` within one WebSocket connection.

The indexer numbers the messages of a connection 1, 2, 3... (protocol notes 1.3), but it
reserves a number for each subscribe/unsubscribe *request* and may send that response
after later data messages, because the initial snapshot is fetched asynchronously. So a
hole is only a gap when there are more holes than responses still outstanding; the feed
says how many it is waiting for with `expect_response()`. An `error` reuses the current
number, and a failed subscribe leaves its reserved number unused for ever.
"""

from __future__ import annotations

from dataclasses import dataclass

_MAX_TRACKED_HOLES = 10_000
_DATA_KINDS = frozenset({"channel_data", "channel_batch_data"})


@dataclass(frozen=True, slots=True)
class MessageGap:
    connection_id: str
    received: int
    missing: tuple[int, ...]  # the first few missing ids
    count: int  # how many are missing

    def __str__(self) -> str:
        return f"{self.count} message id(s) from {self.missing[0]} missing before {self.received}"


class MessageIdTracker:
    def __init__(self) -> None:
        self.connection_id: str | None = None
        self._last = -1
        self._holes: set[int] = set()
        self._pending = 0

    def expect_response(self, count: int = 1) -> None:
        """The feed sent `count` subscribe/unsubscribe requests on the current connection."""
        self._pending += count

    def reset(self) -> None:
        """The connection closed: forget everything about it."""
        self.connection_id = None
        self._last = -1
        self._holes.clear()
        self._pending = 0

    def is_stale(self, connection_id: str, message_id: int, kind: str) -> bool:
        """A data message whose id this connection has already passed and that no hole
        waits for: a repeat of one already applied, or a late one whose hole was already
        reported as a gap. Applying it could undo newer updates (an order cancelled by id
        11 reopened by a replayed id 10); a fresh snapshot is the safe answer."""
        return (
            kind in _DATA_KINDS
            and connection_id == self.connection_id
            and message_id <= self._last
            and message_id not in self._holes
        )

    def take_next(self, connection_id: str, message_id: int, kind: str) -> bool:
        """Count the message and return True if it is the very next data message of the
        current connection, the usual case, where `is_stale` and `observe` would find
        nothing; otherwise change nothing and return False (use those two)."""
        if (
            message_id == self._last + 1
            and connection_id == self.connection_id
            and kind in _DATA_KINDS
            and len(self._holes) <= self._pending
        ):
            self._last = message_id
            return True
        return False

    def observe(self, connection_id: str, message_id: int, kind: str) -> MessageGap | None:
        if connection_id != self.connection_id:
            self.connection_id = connection_id  # a new connection starts its own count
            self._last = message_id
            self._holes.clear()
            return None
        if kind == "error":
            if self._pending:
                self._pending -= 1
                if len(self._holes) > self._pending:  # its reserved id will never come
                    self._holes.discard(min(self._holes))
            return None
        if kind == "subscribed" or kind == "unsubscribed":
            if self._pending:
                self._pending -= 1
            if message_id in self._holes:  # the late response filling its own hole
                self._holes.discard(message_id)
                return None
        last = self._last
        if message_id <= last:
            return None  # a duplicate or a late response: nothing was lost
        self._last = message_id
        if message_id > last + 1:
            if message_id - last - 1 > _MAX_TRACKED_HOLES:
                return self._gap(message_id, range(last + 1, message_id))
            self._holes.update(range(last + 1, message_id))
        if len(self._holes) > self._pending:
            return self._gap(message_id, self._holes)
        return None

    def _gap(self, received: int, missing: range | set[int]) -> MessageGap:
        first = tuple(sorted(missing)[:10]) if isinstance(missing, set) else tuple(missing[:10])
        # len() of a range over 2**63 ids raises OverflowError (a fuzzed message_id did it).
        count = len(missing) if isinstance(missing, set) else missing.stop - missing.start
        gap = MessageGap(self.connection_id or "", received, first, count)
        self._holes.clear()
        return gap

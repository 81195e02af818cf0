"""An LRU render cache that also finds its entries by one part of their key.

KeyedTable drops the cached renders of a changed cell (or of its row's lines). Scanning a
DataTable cache for them costs a pass over up to 10,000 keys per frame; this cache keeps,
next to Textual's LRUCache, the keys stored under each part (cell, row key, line), so a
change finds its few entries directly.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from textual.cache import LRUCache


class IndexedLRUCache(LRUCache[Any, Any]):
    """`LRUCache` plus `discard_part(part)`: drop every entry whose key has that part."""

    def __init__(self, maxsize: int, part: Callable[[Any], Hashable]) -> None:
        super().__init__(maxsize)
        self._part = part
        self._by_part: dict[Hashable, list[Any]] = {}
        self._indexed = 0  # keys in _by_part, evicted ones included

    def set(self, key: Any, value: Any) -> None:
        new = key not in self
        super().set(key, value)
        if not new:
            return
        self._by_part.setdefault(self._part(key), []).append(key)
        self._indexed += 1
        if self._indexed > 2 * self.maxsize:  # evicted keys add up: forget them
            self._reindex()

    __setitem__ = set

    def discard_part(self, part: Hashable) -> None:
        keys = self._by_part.pop(part, None)
        if keys is None:
            return
        self._indexed -= len(keys)
        for key in keys:
            self.discard(key)

    def clear(self) -> None:
        super().clear()
        self._by_part = {}
        self._indexed = 0

    def _reindex(self) -> None:
        by_part: dict[Hashable, list[Any]] = {}
        for key in self.keys():
            by_part.setdefault(self._part(key), []).append(key)
        self._by_part = by_part
        self._indexed = len(self)

"""Strips that do not keep themselves alive: no full garbage collection to free them.

Textual's Strip caches the results of its own methods on itself, and two of them may
return the strip itself: `divide` with a single cut at its end (`[self]`) and
`crop_extend` of its whole width (`self`). Cached, each makes a reference cycle, so a
dropped strip is not freed when its last reference goes, as immutable values usually
are, but waits for the cycle collector. The compositor calls both for nearly every line
it draws, so every frame leaves such strips behind; those that lived long enough in a
widget's render cache reach the oldest generation, and the full collection that frees
them held the UI for 100-160 ms after a cancel-all of 500 orders (~4,000 strips, ~30,000
caches).

`install()` makes both return the strip itself without caching it: the same results
(tests/ui/test_strip_cycles.py compares them with Textual's), and no cycle. Checked
against textual 8.2.8, the pinned version; a Textual that no longer caches itself there
is left as it is.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.style import Style
from textual.strip import Strip

_original_divide = Strip.divide
_original_crop_extend = Strip.crop_extend


def _divide(self: Strip, cuts: Iterable[int]) -> list[Strip]:
    cuts = list(cuts)
    cell_length = self.cell_length
    # Textual drops cuts past the end; the end alone left means "all of it".
    if [cut for cut in cuts if cut <= cell_length] == [cell_length]:
        return [self]
    return _original_divide(self, cuts)


def _crop_extend(self: Strip, start: int, end: int, style: Style | None) -> Strip:
    if start == 0 and end == self.cell_length:
        return self  # what extend (nothing to add) then crop (all of it) give
    return _original_crop_extend(self, start, end, style)


def caches_itself() -> bool:
    """Whether this Textual's Strip still stores itself in its own caches."""
    strip = Strip([], 0)
    _original_divide(strip, [0])
    _original_crop_extend(strip, 0, 0, None)
    return any(
        value is strip or (isinstance(value, list) and strip in value)
        for cache in (strip._divide_cache, strip._crop_extend_cache)
        for value in cache._cache.values()
    )


def install() -> None:
    if Strip.divide is _divide or not caches_itself():
        return
    Strip.divide = _divide  # type: ignore[method-assign]
    Strip.crop_extend = _crop_extend  # type: ignore[method-assign]

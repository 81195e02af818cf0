"""A read-only table of plain-text rows that draws only the lines on screen.

For hundreds of rows shown at once (cancel-all's results), where a DataTable turns every
cell into a renderable, measures it and lays the table out again (~100 ms for 500 rows):
here a column is as wide as its widest text (`cell_len` of plain strings, ~1 µs each)
and at least its given width, adding rows only extends the virtual size, and
`render_line` builds the few lines on screen (Textual's Line API). The header stays on
top; the rows scroll under it, and sideways with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

Column = tuple[str, int]  # (label, least width)
CELL_PADDING = 1  # blank cells each side of a cell, as in a DataTable
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # a newline in a message would break the line


class ResultList(ScrollView, can_focus=True):
    """Rows of plain text under a header, like a DataTable without cursor or stripes."""

    COMPONENT_CLASSES = {"result-list--header"}

    DEFAULT_CSS = """
    ResultList {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        &:focus { background-tint: $foreground 5%; }
        & > .result-list--header { text-style: bold; background: $panel; color: $foreground; }
        &:focus > .result-list--header { background-tint: $foreground 5%; }
        &:ansi > .result-list--header { background: ansi_bright_blue; color: ansi_default; }
    }
    """

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        id: str | None = None,  # noqa: A002 (Textual's name)
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.columns = tuple(columns)
        self._rows: list[tuple[str, ...]] = []
        self.widths = [max(width, cell_len(label)) for label, width in self.columns]
        self._lines: LRUCache[int, Strip] = LRUCache(256)  # row index (-1: header) -> line
        self._drawn_with: tuple[object, ...] | None = None  # styles and widths of _lines
        self._styles = (Style(), Style())  # (row, header), set before each render
        self.virtual_size = self._virtual_size()

    @property
    def rows(self) -> Sequence[tuple[str, ...]]:
        return self._rows

    def clear(self) -> None:
        self._rows.clear()
        self.widths = [max(width, cell_len(label)) for label, width in self.columns]
        self.scroll_to(0, 0, animate=False, immediate=True)
        self._resize()

    def add_rows(self, rows: Iterable[Sequence[str]]) -> None:
        """Append rows of plain text, one cell per column (no markup)."""
        added = [tuple(_CONTROL.sub(" ", cell) for cell in row) for row in rows]
        for i, widest in enumerate(self.widths):
            self.widths[i] = max(widest, *(cell_len(row[i]) for row in added), 0)
        self._rows.extend(added)
        self._resize()

    def _virtual_size(self) -> Size:
        width = sum(w + 2 * CELL_PADDING for w in self.widths)
        return Size(width, len(self._rows) + 1)  # +1: the header

    def _resize(self) -> None:
        self.virtual_size = self._virtual_size()
        self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        base = self.rich_style
        self._styles = (base, base + self.get_component_rich_style("result-list--header"))
        drawn_with = (*self._styles, *self.widths)
        if drawn_with != self._drawn_with:
            self._lines.clear()
            self._drawn_with = drawn_with
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        row_style, header_style = self._styles
        index = -1 if y == 0 else y - 1 + scroll_y
        if index >= len(self._rows):
            return Strip.blank(width, row_style)
        line = self._lines.get(index)
        if line is None:
            if index < 0:
                line = self._line([label for label, _ in self.columns], header_style)
            else:
                line = self._line(self._rows[index], row_style)
            self._lines[index] = line
        return line.crop_extend(scroll_x, scroll_x + width, row_style)

    def _line(self, cells: Sequence[str], style: Style) -> Strip:
        pad = " " * CELL_PADDING
        text = "".join(pad + set_cell_size(cell, width) + pad
                       for cell, width in zip(cells, self.widths, strict=True))  # fmt: skip
        return Strip([Segment(text, style)], cell_len(text))

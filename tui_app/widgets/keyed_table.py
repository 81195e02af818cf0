"""A DataTable changed only by row key: the base of every live table.

Rows are added with `add_row(key=...)`, changed cell by cell with `update_cell` (with
`update_width=True` when the value is wider than its column: without it a longer value is
cut), and removed with `remove_row`. The table is never cleared and refilled, so the
cursor, the scroll position and the unchanged cells stay put while the data moves
underneath.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.color import Color
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import (
    CellDoesNotExist,
    Column,
    ColumnKey,
    RowDoesNotExist,
    RowKey,
)

from tui_app.widgets.format import Cell
from tui_app.widgets.render_cache import IndexedLRUCache

Columns = Sequence[tuple[str, str]]  # (column key, label)
_NULL_STYLE = Style.null()


class _RenderedComponentStyles:
    """A component's RenderStyles with its rich style read once (valid for one render)."""

    def __init__(self, styles: Any) -> None:
        self._styles = styles
        self.rich_style: Style = styles.rich_style

    def __getattr__(self, name: str) -> Any:
        return getattr(self._styles, name)


class KeyedTable(DataTable[Text]):
    """Rows keyed by a domain id (order id, market, fill id); cells as (text, tone)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("k", "cursor_up", "Up", show=False, id="table.up"),
    ]

    def __init__(
        self,
        columns: Columns,
        *,
        sort_by: Sequence[str] = (),
        sort_key: Callable[[Any], Any] | None = None,
        reverse: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(
            id=id, classes=classes, cursor_type="row", zebra_stripes=True,
            cursor_foreground_priority="renderable",
        )
        self._column_keys = [key for key, _ in columns]
        self._column_labels = [label for _, label in columns]
        self._cells: dict[str, tuple[Cell, ...]] = {}
        self._sort_by = tuple(sort_by)
        self._sort_key = sort_key
        self._reverse = reverse
        self._added_since_sort = False
        # Cells changed since the last render: only their cached renders, and their rows'
        # (row and line caches), are dropped (see `update_cell`).
        self._dirty_cells: set[tuple[RowKey, ColumnKey]] = set()
        self._styles_this_render: dict[object, Style] | None = None
        # The DataTable's render caches, findable by cell, row key, row index and line.
        self._cell_render_cache = IndexedLRUCache(10_000, lambda key: (key[0], key[1]))
        self._row_render_cache = IndexedLRUCache(1000, itemgetter(0))
        self._row_renderable_cache = IndexedLRUCache(1000, itemgetter(1))
        self._line_cache = IndexedLRUCache(1000, itemgetter(0))
        self._renders_of_update = self._update_count  # the update count the caches hold
        for key, label in columns:
            self.add_column(label, key=key)

    # ------------------------------------------------------------------ reading

    @property
    def keys(self) -> Iterable[str]:
        return self._cells.keys()

    def __contains__(self, key: object) -> bool:
        return key in self._cells

    def selected_key(self) -> str | None:
        """The key of the row under the cursor, or None for an empty table."""
        if not self.row_count:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:  # the cursor may briefly point past the end after a removal
            return None
        return row_key.value

    def cell_text(self, key: str, column: str) -> str:
        """The text shown in one cell (for tests and the detail view)."""
        return self._cells[key][self._column_keys.index(column)][0]

    # ----------------------------------------------------------------- changing

    def upsert(self, key: str, cells: tuple[Cell, ...]) -> None:
        """Add the row, or change only the cells whose text or tone differ."""
        old = self._cells.get(key)
        if old == cells:
            return
        self._cells[key] = cells
        if old is None:
            self.add_row(*(self._to_text(c) for c in cells), key=key)
            self._added_since_sort = True
            return
        for column, before, after in zip(self._column_keys, old, cells, strict=True):
            if before != after:
                self.update_cell(key, column, self._to_text(after),
                                 update_width=self._widens(column, after[0]))

    # ---------------------------------------------- per-cell cache invalidation
    #
    # Textual's DataTable (8.2.8, pinned) keys every cached render (cell, row, line and
    # row renderables) with `_update_count`, and `update_cell` bumps it: one changed
    # cell made every visible cell render again through rich (100-300 ms with a full
    # table). A cell change here instead drops only that cell's cached render and its
    # row's line renders, just before the next render (the row's other cells are not put
    # through rich again, ~0.1-0.2 ms each), found through indexed caches (render_cache.py)
    # instead of a scan, and leaves `_update_count` alone. Row order, heights and column
    # widths do not change with a same-width cell, so the offset and ordered-row caches
    # stay valid; anything that does change them (a wider value, add, remove, sort)
    # still goes through the DataTable's own bump. tests/ui/test_keyed_table.py checks
    # the internals this relies on and fails loudly if an upgrade changes them.

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: Text,
        *,
        update_width: bool = False,
    ) -> None:
        if update_width:  # the column may grow: every render changes, the full bump
            super().update_cell(row_key, column_key, value, update_width=True)
            return
        if isinstance(row_key, str):
            row_key = RowKey(row_key)
        if isinstance(column_key, str):
            column_key = ColumnKey(column_key)
        if row_key not in self._row_locations or column_key not in self._column_locations:
            raise CellDoesNotExist(
                f"No cell exists for row_key={row_key!r}, column_key={column_key!r}."
            )
        self._data[row_key][column_key] = value
        self._dirty_cells.add((row_key, column_key))
        row_index = self._row_locations.get(row_key)
        if row_index is not None:
            self.refresh_row(row_index)

    def _drop_dirty_renders(self) -> None:
        """Forget the cached renders of the cells changed since the last render (and of
        their rows' lines); the row's other cells keep theirs. Rows are one line high
        (`add_row`'s default, the only height used here): row i is line header + i."""
        cells = self._dirty_cells
        if not cells:
            return
        self._dirty_cells = set()
        header = self.header_height if self.show_header else 0
        for cell in cells:
            self._cell_render_cache.discard_part(cell)
        for row_key in {row_key for row_key, _ in cells}:
            self._row_render_cache.discard_part(row_key)
            index = self._row_locations.get(row_key)
            if index is not None:
                self._row_renderable_cache.discard_part(index)
                self._line_cache.discard_part(header + index)

    def _drop_stale_renders(self) -> None:
        """Empty the render caches when `_update_count` moved (a row added, removed or
        sorted, a column widened): every entry is keyed by the count it was made under,
        so none can be found again. Left in, they filled the caches to their sizes
        (~100,000 lists, segments and keys with 500 orders), which every full pass of
        the garbage collector walks (~0.1 s, a stall)."""
        if self._renders_of_update == self._update_count:
            return
        self._renders_of_update = self._update_count
        for cache in (self._cell_render_cache, self._row_render_cache,
                      self._row_renderable_cache, self._line_cache):
            cache.clear()

    def render_lines(self, crop: Region) -> list[Strip]:
        self._drop_stale_renders()
        self._drop_dirty_renders()
        # Every line asks for the widget's and its row's style again (a walk up the DOM
        # each, ~0.1 ms): within one render they cannot change, so ask once.
        self._styles_this_render = {}
        try:
            return super().render_lines(crop)
        finally:
            self._styles_this_render = None

    @property
    def rich_style(self) -> Style:
        memo = self._styles_this_render
        if memo is None:
            return super().rich_style
        style = memo.get("widget")
        if style is None:
            style = memo["widget"] = super().rich_style
        return style

    def _memo(self, key: object, compute: Callable[[], Any]) -> Any:
        """`compute()`, once per render (outside a render: every time)."""
        memo = getattr(self, "_styles_this_render", None)  # (None before __init__ ends)
        if memo is None:
            return compute()
        if key not in memo:
            memo[key] = compute()
        return memo[key]

    def get_component_styles(self, *names: str) -> Any:
        # Each changed row asks for the header's style: a new RenderStyles, then a walk up
        # the DOM for its rich style (~0.1 ms). Once per render, rich style included.
        def read() -> _RenderedComponentStyles:
            return _RenderedComponentStyles(super(KeyedTable, self).get_component_styles(*names))

        return self._memo(("component", names), read)

    @property
    def background_colors(self) -> tuple[Color, Color]:
        # Also a walk up the DOM, once per changed row.
        return self._memo("background", lambda: super(KeyedTable, self).background_colors)

    @property
    def ordered_columns(self) -> list[Column]:
        # Rebuilt from the key maps at every call, five calls per changed row.
        return self._memo("columns", lambda: super(KeyedTable, self).ordered_columns)

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        memo = self._styles_this_render
        if memo is None or row_index < self.fixed_rows:  # header and fixed rows: as is
            return super()._get_row_style(row_index, base_style)
        key = (row_index % 2, base_style)  # zebra stripes: odd or even
        style = memo.get(key)
        if style is None:
            style = memo[key] = super()._get_row_style(row_index, base_style)
        return style

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """A body cell straight from its Text: the DataTable renders every cell through
        rich's console (Styled(Padding(text)) then render_lines, ~0.1 ms a cell, half the
        TUI's time during a burst of updates). Our cells are one-line Text, so the same
        segments come from Text.render, the padding and one crop; anything else (header,
        labels, other renderables) goes the DataTable's way."""
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor,
                                        hover)  # fmt: skip
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        cache_key = (row_key, column_key, base_style, cursor, hover, self._show_hover_cursor,
                     self._update_count, self._pseudo_class_state)  # fmt: skip
        cached = self._cell_render_cache.get(cache_key)
        if cached is not None:
            return cached
        cell = self._get_row_renderables(row_index).cells[column_index]
        if not isinstance(cell, Text) or self.rows[row_key].height != 1:
            return super()._render_cell(row_index, column_index, base_style, width, cursor,
                                        hover)  # fmt: skip
        base_style += Style.from_meta({"row": row_index, "column": column_index})
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, row_index < self.fixed_rows or column_index < self.fixed_columns,
            hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css",
        )  # fmt: skip
        console = self.app.console
        if cell.justify not in (None, "default", "left") or "\n" in cell.plain:
            return super()._render_cell(row_index, column_index, base_style, width, cursor,
                                        hover)  # fmt: skip
        pad = self.cell_padding
        inner = max(0, width - 2 * pad)
        text_style = console.get_style(cell.style) if isinstance(cell.style, str) else cell.style
        # Text.render leaves the text's own style to its caller (rich's console applies it);
        # the padding to the column's width is unstyled, as rich's.
        content = Segment.adjust_line_length(
            list(Segment.apply_style(cell.render(console, end=""), text_style)), inner,
            style=_NULL_STYLE,
        )  # fmt: skip
        blank = Segment(" " * pad, _NULL_STYLE)
        line = Segment.adjust_line_length([blank, *content, blank], width)
        lines = [list(Segment.apply_style(line, base_style + component_style, post_style))]
        self._cell_render_cache[cache_key] = lines
        return lines

    def _get_row_region(self, row_index: int) -> Region:
        """Where row `row_index` is drawn. Rows are one line high here, so it starts at
        line `row_index` (the DataTable sums the heights of every row above it: O(rows)
        for every changed cell, ~3 ms each with 500 rows)."""
        if not self.is_valid_row_index(row_index):
            return Region(0, 0, 0, 0)
        row_width = (
            sum(column.get_render_width(self) for column in self.columns.values())
            + self._row_label_column_width
        )
        y = row_index + (self.header_height if self.show_header else 0)
        return Region(0, y, max(self.size.width, row_width), 1)

    def _widens(self, column: str, text: str) -> bool:
        """Whether `text` is wider than its column: only then ask for a new width.

        `update_width=True` on a value that is not wider makes the DataTable measure
        every cell of the column again (to shrink it), so a price tick on 100 markets
        cost 100 x 100 measurements. Columns grow, never shrink: no jitter either.
        """
        return cell_len(text) > self.columns[ColumnKey(column)].content_width

    def discard(self, key: str) -> None:
        if self._cells.pop(key, None) is None:
            return
        try:
            self.remove_row(key)
        except RowDoesNotExist:
            pass

    def sync(self, rows: Mapping[str, tuple[Cell, ...]]) -> None:
        """Make the table show exactly `rows`, touching only what differs."""
        for key in [k for k in self._cells if k not in rows]:
            self.discard(key)
        for key, cells in rows.items():
            self.upsert(key, cells)
        self.finish()

    def finish(self) -> None:
        """Sort once after a batch of changes, keeping the cursor on the same row."""
        if not self._added_since_sort or not self._sort_by:
            return
        self._added_since_sort = False
        selected = self.selected_key()
        self.sort(*self._sort_by, key=self._sort_key, reverse=self._reverse)
        if selected is not None and selected in self._cells:
            self.move_cursor(row=self.get_row_index(selected), animate=False)

    def restyle(self) -> None:
        """Re-render every cell (after a theme change the tone colours differ)."""
        for key, cells in self._cells.items():
            for column, cell in zip(self._column_keys, cells, strict=True):
                self.update_cell(key, column, self._to_text(cell))

    # ------------------------------------------------------------------ helpers

    def _to_text(self, cell: Cell) -> Text:
        # Always Text, never str: a str cell is parsed as markup, and an indexer value
        # such as a ticker must never be able to inject styles.
        text, tone = cell
        return Text(text, style=self._tone_style(tone), no_wrap=True, end="")

    def _tone_style(self, tone: str | None) -> str:
        if tone is None:
            return ""
        if tone == "dim":
            return "dim"
        variables = self.app.theme_variables if self.is_attached else {}
        name = {"up": "text-success", "down": "text-error", "warn": "text-warning"}.get(tone)
        return variables.get(name, "") if name else ""


def text_sort_key(values: Any) -> Any:
    """Sort key over column values (Text): their plain strings."""
    if isinstance(values, tuple):
        return tuple(v.plain for v in values)
    return values.plain

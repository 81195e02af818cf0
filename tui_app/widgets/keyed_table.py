"""A DataTable changed only by row key: the base of every live table.

Rows are added with `add_row(key=...)`, changed cell by cell with `update_cell` (with
`update_width=True` when the value is wider than its column: without it a longer value is
cut), and removed with `remove_row`. The table is never cleared and refilled, so the
cursor, the scroll position and the unchanged cells stay put while the data moves
underneath.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

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
from tui_app.widgets.row_strips import (
    EMPTY_TEXT,
    RowCells,
    RowStyles,
    cell_segments,
    plain_text,
    row_strip,
)

Columns = Sequence[tuple[str, str]]  # (column key, label)
# Rows whose cells (and row styles) stay cached: far more than a screen shows; past
# that, the ones of rows scrolled by long ago are let go.
_MAX_CACHED_ROWS = 2000


@dataclass(frozen=True, slots=True)
class _Frame:
    """What every body line of one render shares (see `KeyedTable._begin_frame`)."""

    fast: bool  # body rows drawn by KeyedTable (else: all by the DataTable)
    header: int  # header lines
    width: int
    scroll_x: int
    scroll_y: int
    widths: tuple[int, ...]  # columns' render widths, padding included
    remaining: int  # blank cells right of the last column
    fits: bool  # a row line is exactly the view's width, unscrolled
    cursor_row: int
    hover_row: int
    base_style: Style
    line_key: tuple[Any, ...]  # what else a row strip depends on


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
        # Body rows' renders (see `render_line`); set first: the DataTable's __init__
        # may already clear caches.
        self._styles_this_render: dict[object, Any] | None = None
        self._frame: _Frame | None = None  # what the lines of the current render share
        self._cell_lines: dict[RowKey, RowCells] = {}
        self._cell_lines_of: tuple[Any, ...] = ()  # the columns and widths they fit
        self._row_strips: dict[RowKey, tuple[tuple[Any, ...], Strip]] = {}
        self._row_styles: dict[tuple[int, bool, bool], RowStyles] = {}
        self._styles_of: tuple[Any, ...] = ()  # the widget styles these were made with
        self._generic_rows: set[RowKey] = set()  # rows the DataTable draws
        self._pending_rows: set[int] = set()  # changed rows to mark dirty (refresh_row)
        self._sizing = False  # in `_update_dimensions` (see `refresh`)
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

    # ------------------------------------------------------------- rendering
    #
    # Body rows are drawn by `render_line` below from cells rendered once (row_strips.py),
    # not through the DataTable's generic per-cell path; the header, and any row that is
    # not plain one-line Text, still go the DataTable's way. A changed cell drops only its
    # own segments and its row's strip, and leaves `_update_count` alone (a DataTable
    # `update_cell` bumps it, and every cached render with it: 100-300 ms with a full
    # table). Anything that moves rows or widths (a wider value, add, remove, sort) still
    # bumps it. tests/ui/test_keyed_table.py checks that the lines are the DataTable's,
    # and that the internals this relies on are still there after an upgrade.

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: Any,
        *,
        update_width: bool = False,
    ) -> None:
        if isinstance(row_key, str):
            row_key = RowKey(row_key)
        if isinstance(column_key, str):
            column_key = ColumnKey(column_key)
        self._forget_cell(row_key, column_key)
        if update_width or not plain_text(value) or row_key in self._generic_rows:
            # The column may grow, or the row is drawn the DataTable's way: the full bump.
            super().update_cell(row_key, column_key, value, update_width=update_width)
            return
        if row_key not in self._row_locations or column_key not in self._column_locations:
            raise CellDoesNotExist(
                f"No cell exists for row_key={row_key!r}, column_key={column_key!r}."
            )
        self._data[row_key][column_key] = value
        row_index = self._row_locations.get(row_key)
        if row_index is not None:
            self.refresh_row(row_index)

    def _forget_cell(self, row_key: RowKey, column_key: ColumnKey) -> None:
        self._row_strips.pop(row_key, None)
        cells = self._cell_lines.get(row_key)
        column = self._column_locations.get(column_key)
        if cells is not None and column is not None and column < len(cells.plain):
            cells.changed(column)

    def _forget_row(self, row_key: RowKey) -> None:
        self._row_strips.pop(row_key, None)
        self._cell_lines.pop(row_key, None)
        self._generic_rows.discard(row_key)

    def _forget_renders(self) -> None:
        self._row_strips.clear()
        self._row_styles.clear()

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._forget_renders()

    def notify_style_update(self) -> None:
        self._forget_renders()  # (a theme change: every component style may differ)
        super().notify_style_update()

    def _drop_stale_renders(self) -> None:
        """Empty the render caches when `_update_count` moved (a row added, removed or
        sorted, a column widened): the DataTable's entries are keyed by the count they
        were made under, so none can be found again, and row strips carry their row's
        index. Left in, they filled the caches to their sizes (~100,000 lists, segments
        and keys with 500 orders), which every full pass of the garbage collector walks
        (~0.1 s, a stall)."""
        if self._renders_of_update == self._update_count:
            return
        self._renders_of_update = self._update_count
        for cache in (self._cell_render_cache, self._row_render_cache,
                      self._row_renderable_cache, self._line_cache):
            cache.clear()
        self._row_strips.clear()

    def render_lines(self, crop: Region) -> list[Strip]:
        self._mark_pending_rows()
        self._drop_stale_renders()
        # Every line asks for the widget's and its row's style again (a walk up the DOM
        # each, ~0.1 ms): within one render they cannot change, so ask once.
        self._styles_this_render = {}
        try:
            return super().render_lines(crop)
        finally:
            self._styles_this_render = None
            self._frame = None

    def render_line(self, y: int) -> Strip:
        frame = self._frame
        if frame is None:
            if self._styles_this_render is None:  # outside render_lines: a render of one
                self._styles_this_render = {}
                try:
                    return self.render_line(y)
                finally:
                    self._styles_this_render = None
                    self._frame = None
            frame = self._frame = self._begin_frame()
        if not frame.fast or y < frame.header:
            return super().render_line(y)
        row_index = y + frame.scroll_y - frame.header
        row_key = self._row_locations.get_key(row_index)
        if row_key is None:
            return super().render_line(y)
        strip = self._body_line(frame, row_key, row_index)
        return super().render_line(y) if strip is None else strip

    def _begin_frame(self) -> _Frame:
        """What every body line of this render shares, read once."""
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        columns = self.ordered_columns
        widths = tuple(column.get_render_width(self) for column in columns)
        base_style = self.rich_style
        style_key = (base_style, self._pseudo_class_state, self.show_cursor,
                     self._show_hover_cursor, self.cursor_foreground_priority,
                     self.cursor_background_priority)  # fmt: skip
        if style_key != self._styles_of:
            self._styles_of = style_key
            self._forget_renders()
        cells_key = (tuple(column.key for column in columns), widths, self.cell_padding)
        if cells_key != self._cell_lines_of:
            self._cell_lines_of = cells_key
            self._cell_lines.clear()
            self._row_strips.clear()
        elif len(self._cell_lines) > _MAX_CACHED_ROWS:  # rows scrolled through long ago
            self._cell_lines.clear()
        if len(self._row_styles) > _MAX_CACHED_ROWS:
            self._row_styles.clear()
        return _Frame(
            fast=(self.cursor_type == "row" and not self.fixed_rows
                  and not self.fixed_columns and not self._should_render_row_labels),
            header=self.header_height if self.show_header else 0,
            width=width,
            scroll_x=scroll_x,
            scroll_y=scroll_y,
            widths=widths,
            remaining=max(0, width - sum(widths) - self._row_label_column_width),
            fits=scroll_x == 0 and sum(widths) + self._row_label_column_width <= width,
            cursor_row=self.cursor_coordinate.row,
            hover_row=self.hover_coordinate.row,
            base_style=base_style,
            line_key=(scroll_x, width, style_key),
        )  # fmt: skip

    def _body_line(self, frame: _Frame, row_key: RowKey, row: int) -> Strip | None:
        """Row `row`'s line: cached until the row, its place or the styles change; None
        for a row that is not plain one-line Text (the DataTable draws it)."""
        cursor = row == frame.cursor_row
        hover = row == frame.hover_row
        key = (row, cursor, hover, frame.line_key)
        cached = self._row_strips.get(row_key)
        if cached is not None and cached[0] == key:
            return cached[1]
        cells = self._cells_of(frame, row_key)
        if cells is None:
            return None
        styles = self._styles_of_row(frame, row, cursor, hover)
        strip = row_strip(styles.line(cells), Segment(" " * frame.remaining, styles.extend),
                          frame.fits, frame.scroll_x, frame.scroll_x + frame.width,
                          frame.width, frame.base_style)  # fmt: skip
        self._row_strips[row_key] = (key, strip)
        return strip

    def _cells_of(self, frame: _Frame, row_key: RowKey) -> RowCells | None:
        """The row's cells fitted to their columns; only changed ones are made again."""
        cells = self._cell_lines.get(row_key)
        if cells is None:
            cells = self._cell_lines[row_key] = RowCells(len(frame.widths))
        plain = cells.plain
        if None not in plain:
            return cells
        data = self._data[row_key]
        console = self.app.console
        padding = self.cell_padding
        for index, column in enumerate(self.ordered_columns):
            if plain[index] is not None:
                continue
            value = data.get(column.key)
            if value is None:
                value = EMPTY_TEXT
            if not plain_text(value):
                self._generic_rows.add(row_key)
                del self._cell_lines[row_key]
                return None
            plain[index] = cell_segments(value, frame.widths[index], padding, console)
        return cells

    def _styles_of_row(self, frame: _Frame, row: int, cursor: bool, hover: bool) -> RowStyles:
        key = (row, cursor, hover)
        styles = self._row_styles.get(key)
        if styles is not None:
            return styles
        row_style = self._get_row_style(row, frame.base_style)
        show_cursor, show_hover = self.show_cursor, self._show_hover_cursor
        component, post = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, show_cursor, show_hover,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css",
        )  # fmt: skip
        cells = [(row_style + Style.from_meta({"row": row, "column": column})) + component
                 for column in range(len(frame.widths))]  # fmt: skip
        extend, _ = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, show_cursor, show_hover, False, False
        )
        extend = row_style + extend
        extend += Style.from_meta({"row": row, "column": 0, "out_of_bounds": True})
        styles = self._row_styles[key] = RowStyles(cells, post, extend)
        return styles

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
        # The header and the zebra rows ask for component styles: a new RenderStyles,
        # then a walk up the DOM for its rich style (~0.1 ms). Once per render.
        def read() -> _RenderedComponentStyles:
            return _RenderedComponentStyles(super(KeyedTable, self).get_component_styles(*names))

        return self._memo(("component", names), read)

    @property
    def background_colors(self) -> tuple[Color, Color]:
        # Also a walk up the DOM, asked for by every render.
        return self._memo("background", lambda: super(KeyedTable, self).background_colors)

    @property
    def ordered_columns(self) -> list[Column]:
        # Rebuilt from the key maps at every call.
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

    def _get_row_region(self, row_index: int) -> Region:
        """Where row `row_index` is drawn. Rows are one line high here, so it starts at
        line `row_index` (the DataTable sums the heights of every row above it: O(rows)
        for every changed cell, ~3 ms each with 500 rows)."""
        if not self.is_valid_row_index(row_index):
            return Region(0, 0, 0, 0)
        return self._row_regions([row_index])[0]

    def _row_regions(self, row_indexes: Iterable[int]) -> list[Region]:
        row_width = (
            sum(column.get_render_width(self) for column in self.columns.values())
            + self._row_label_column_width
        )
        width = max(self.size.width, row_width)
        header = self.header_height if self.show_header else 0
        return [Region(0, header + index, width, 1) for index in row_indexes]

    # A flush changes ~20 rows at 1,000 updates/s. Marking each dirty on its own (a
    # `refresh` per changed cell: it reads the gutter and scroll offsets and clears the
    # widget's caches) was most of the flush's time: the first changed row is refreshed
    # as the DataTable does (so the widget is repainted), the others are marked together
    # just before the paint (`_exchange_repaint_regions`, `render_lines`).

    def refresh_row(self, row_index: int) -> Self:
        if not self._pending_rows:
            super().refresh_row(row_index)
            self._pending_rows.add(-1)  # (the first is done)
        else:
            self._pending_rows.add(row_index)
        return self

    def _mark_pending_rows(self) -> None:
        rows = self._pending_rows
        rows.discard(-1)
        if not rows:
            return
        self._pending_rows = set()
        rows = {index for index in rows if self.is_valid_row_index(index)}
        window = self.window_region
        scroll = -self.scroll_offset
        regions = [region.translate(scroll) for region in self._row_regions(rows)
                   if window.overlaps(region)]  # fmt: skip
        if regions:
            self._set_dirty(*regions)

    def _exchange_repaint_regions(self) -> Collection[Region]:
        self._mark_pending_rows()
        self._pending_rows.clear()
        return super()._exchange_repaint_regions()

    # A wider column, or a row added or removed, gives the table a new virtual size, and
    # Textual does a layout for it (a removed row asks for one at once): the whole screen
    # arranged and drawn again (~10-25 ms at 160x50: a stall, at each new row of a burst
    # or each price tick that widens a column). When the table's own size does not depend
    # on its content (width and height not auto: 1fr in the app), only its scrollbars can
    # change: they are updated here, and a layout happens only if one appears or
    # disappears (their reactives ask for it).

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        self._sizing = True
        try:
            super()._update_dimensions(new_rows)
        finally:
            self._sizing = False

    def remove_row(self, row_key: RowKey | str) -> None:
        # (The DataTable asks for a layout here too; the new size follows on idle.)
        self._sizing = True
        try:
            super().remove_row(row_key)
        finally:
            self._sizing = False

    def refresh(
        self, *regions: Region, repaint: bool = True, layout: bool = False,
        recompose: bool = False,
    ) -> Self:  # fmt: skip
        if layout and getattr(self, "_sizing", False) and not regions and not recompose:
            styles = self.styles
            if not (styles.width is None or styles.width.is_auto or styles.height is None
                    or styles.height.is_auto):  # fmt: skip
                self._sizing = False
                self._scroll_update(self.virtual_size)
                layout = False
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

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
        self._forget_row(RowKey(key))
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

"""A KeyedTable body row drawn as one Strip, from cells rendered once.

Textual's DataTable renders each line of a changed row through its generic path: every
cell again (caches keyed by row, column, styles and update count), the highlight checks,
column widths read through reactives, twice per cell, then crop, adjust and simplify:
~0.4 ms a row, 20 changed rows ~9 ms of a 16 ms frame at 1,000 order updates/s.

Here a row's cells are split once into unstyled segments fitted to their column
(`cell_segments`, kept until the cell or the column widths change), and a row line is
those segments with the row's styles put on (`RowStyles`, kept for the render's
lifetime), cropped and simplified exactly as the DataTable does: the same segments with
equal styles, so the screen (and every snapshot) is byte for byte the same.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual._segment_tools import line_crop
from textual.strip import Strip

_NULL_STYLE = Style.null()
EMPTY_TEXT = Text(no_wrap=True, end="")  # what the DataTable shows for an empty cell

CellSegments = list[Segment]  # one cell's line: text and padding, without row styles


def plain_text(value: object) -> bool:
    """Whether a cell value takes the fast path: one line of left-aligned Text."""
    return (
        isinstance(value, Text)
        and value.justify in (None, "default", "left")
        and "\n" not in value.plain
    )


def cell_segments(value: Text, width: int, padding: int, console: Console) -> CellSegments:
    """A cell's text padded (or cut) to its column, before the row's styles: what the
    DataTable's `_render_cell` draws for a one-line Text, minus its style pass."""
    if not value:
        value = EMPTY_TEXT
    style = value.style
    text_style = console.get_style(style) if isinstance(style, str) else style
    inner = max(0, width - 2 * padding)
    blank = Segment(" " * padding, _NULL_STYLE)
    text = value.plain
    length = cell_len(text)
    if not value.spans and length <= inner and inner + 2 * padding == width:
        # The usual cell, as the general way below makes it: padding, text, fill, padding.
        content = Segment(text, text_style or None)
        if length == inner:
            return [blank, content, blank]
        return [blank, content, Segment(" " * (inner - length), _NULL_STYLE), blank]
    # Text.render leaves the text's own style to its caller; padding is unstyled, as rich's.
    content = Segment.adjust_line_length(
        list(Segment.apply_style(value.render(console, end=""), text_style)), inner,
        style=_NULL_STYLE,
    )  # fmt: skip
    return Segment.adjust_line_length([blank, *content, blank], width)


class RowCells:
    """One row's cells: unstyled (`cell_segments`, None when changed since) and styled
    with the RowStyles they were last drawn with (None: to style again). A changed cell,
    or the row under the cursor, styles only what it must."""

    __slots__ = ("plain", "styled", "styled_by")

    def __init__(self, columns: int) -> None:
        self.plain: list[CellSegments | None] = [None] * columns
        self.styled: list[list[Segment] | None] = [None] * columns
        self.styled_by: RowStyles | None = None

    def changed(self, column: int) -> None:
        self.plain[column] = None
        self.styled[column] = None


class RowStyles:
    """The styles of one row's cells: (row + cell meta + cursor/hover) + the segment's
    own style + the post style, composed once per distinct segment style."""

    __slots__ = ("_cells", "_post", "extend")

    def __init__(self, cells: list[Style], post: Style, extend: Style) -> None:
        self._cells = [(style, {}) for style in cells]
        self._post = post
        self.extend = extend  # the space right of the last column

    def line(self, row: RowCells) -> list[Segment]:
        """The row's segments, cell after cell, styled as `Segment.apply_style` styles
        them and merged as `Segment.simplify` merges them (neighbours of equal style).
        `row.plain` must be complete."""
        if row.styled_by is not self:
            row.styled = [None] * len(row.styled)
            row.styled_by = self
        out: list[Segment] = []
        for column, styled in enumerate(row.styled):
            if styled is None:
                styled = row.styled[column] = self._cell(column, row.plain[column])  # type: ignore[arg-type]
            if out and styled and out[-1].style == styled[0].style:  # (column metas differ)
                last = out.pop()
                out.append(Segment(last.text + styled[0].text, last.style))
                out.extend(styled[1:])
            else:
                out.extend(styled)
        return out

    def _cell(self, column: int, segments: CellSegments) -> list[Segment]:
        base, composed = self._cells[column]
        post = self._post
        out: list[Segment] = []
        add = out.append
        last_text = ""
        last_style: Style | None = None
        for text, style, _ in segments:  # (no control segments in a cell)
            final = composed.get(style)
            if final is None:
                final = base + style if style else base
                if post:
                    final = final + post if final else post
                composed[style] = final
            if final is last_style or (last_style is not None and final == last_style):
                last_text += text
                continue
            if last_style is not None:
                add(Segment(last_text, last_style))
            last_text, last_style = text, final
        if last_style is not None:
            add(Segment(last_text, last_style))
        return out


def row_strip(line: list[Segment], extend: Segment, fits: bool, x1: int, x2: int, width: int,
              base_style: Style) -> Strip:  # fmt: skip
    """The row's line (simplified, from `RowStyles.line`) as the DataTable's
    `_render_line` finishes it: cropped to the view, fitted to the width, simplified.
    `fits`: the line is the view's width from x1 = 0 (every cell is its column's width)."""
    line.append(extend)
    if fits and line[0].text:
        # Nothing to crop or pad: line_crop and adjust_cell_length would give it back
        # unchanged (line_crop drops a leading empty segment: hence the last test).
        return Strip(line, width)
    segments = line_crop(line, x1, x2, width)
    return Strip(segments).adjust_cell_length(width, base_style).simplify()

"""KeyedTable draws its body rows itself (row_strips.py): the lines must be exactly a
plain DataTable's, and a changed cell must re-render only itself (and its row's line).

KeyedTable relies on internals of Textual's DataTable (8.2.8, pinned): the first test
fails loudly if an upgrade changes them; the comparison with a plain DataTable catches
any drift in what the lines look like.
"""

from __future__ import annotations

import inspect

from rich.text import Text
from textual.app import App, ComposeResult
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Input

from tui_app.widgets.keyed_table import KeyedTable

COLUMNS = (("name", "Name"), ("value", "Value"))


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, id="t")


def lines(table: DataTable) -> list[str]:
    return [strip.text for strip in table.render_lines(table.region.reset_offset)]


def test_datatable_internals_relied_on_are_still_there():
    table = DataTable()
    for name in ("_cell_render_cache", "_row_render_cache", "_row_renderable_cache",
                 "_line_cache"):
        assert isinstance(getattr(table, name), LRUCache), name
    for name in ("_data", "_row_locations", "_column_locations", "_update_count",
                 "header_height", "_show_hover_cursor", "_row_label_column_width",
                 "_should_render_row_labels", "_get_styles_to_render_cell",
                 "_get_row_style", "_clear_caches", "_pseudo_class_state"):
        assert hasattr(table, name), name
    # How the DataTable draws a body line, which row_strips.py does the same way.
    source = inspect.getsource(DataTable._render_line)
    assert "line_crop(scrollable_line, x1 + fixed_width, x2, width)" in source
    assert "Strip(segments).adjust_cell_length(width, base_style).simplify()" in source
    source = inspect.getsource(DataTable._render_cell)
    assert 'base_style += Style.from_meta({"row": row_index, "column": column_index})' in source
    assert "pre_style=base_style + component_style" in source
    assert "post_style=post_style" in source
    source = inspect.getsource(DataTable._render_line_in_row)
    assert '{"row": row_index, "column": 0, "out_of_bounds": True}' in source
    assert "extend_style = row_style + extend_style" in source
    # And update_cell still only stores the value, bumps the count and refreshes.
    source = inspect.getsource(DataTable.update_cell)
    assert "self._data[row_key][column_key] = value" in source
    assert "self._update_count += 1" in source


class PairApp(App[None]):
    """A KeyedTable and a plain DataTable given the same rows, and an input to blur both."""

    COLUMNS = (("name", "Name"), ("value", "Value"), ("side", "Side"))

    def compose(self) -> ComposeResult:
        yield KeyedTable(self.COLUMNS, id="keyed")
        yield DataTable(id="plain", cursor_type="row", zebra_stripes=True,
                        cursor_foreground_priority="renderable")
        yield Input(id="elsewhere")


async def test_the_lines_are_exactly_a_plain_datatables():
    """Segment for segment, style for style (the snapshots hold the same, but only for
    the states they show): zebra rows, tones, an empty cell, the cursor row focused and
    not, a changed row, vertical and horizontal scrolling, the hover row."""
    tones = (None, "up", "down", "dim", "warn")
    app = PairApp()
    async with app.run_test(size=(60, 30)) as pilot:
        keyed = app.query_one(KeyedTable)
        plain = app.query_one("#plain", DataTable)
        for key, label in PairApp.COLUMNS:
            plain.add_column(label, key=key)
        for i in range(20):
            cells = ((f"row{i}", tones[i % 5]), ("" if i == 4 else f"{i:03d}", tones[(i + 1) % 5]),
                     ("BUY" if i % 2 else "SELL", tones[(i + 2) % 5]))  # fmt: skip
            keyed.upsert(f"k{i}", cells)
            plain.add_row(*(keyed._to_text(cell) for cell in cells), key=f"k{i}")
        keyed.styles.height = plain.styles.height = 12

        async def assert_same(what: str) -> None:
            keyed.focus()
            await pilot.pause()
            focused = keyed.render_lines(keyed.region.reset_offset)
            plain.focus()
            await pilot.pause()
            assert plain.render_lines(plain.region.reset_offset) == focused, what
            app.query_one(Input).focus()
            await pilot.pause()
            assert (plain.render_lines(plain.region.reset_offset)
                    == keyed.render_lines(keyed.region.reset_offset)), what  # fmt: skip

        await assert_same("first lines")
        for table in (keyed, plain):
            table.move_cursor(row=3)
        await assert_same("cursor on row 3")
        changed = (("row3", "up"), ("999", "down"), ("BUY", None))
        keyed.upsert("k3", changed)
        for (column, _), cell in zip(PairApp.COLUMNS, changed, strict=True):
            plain.update_cell("k3", column, keyed._to_text(cell))
        await assert_same("row 3 changed")
        for table in (keyed, plain):
            table.scroll_to(y=5, animate=False)
        await assert_same("scrolled down")
        for table in (keyed, plain):
            table.hover_coordinate = Coordinate(7, 0)
            table._set_hover_cursor(True)
        await assert_same("hovering row 7")
        keyed.styles.width = plain.styles.width = 12
        await assert_same("narrow")
        for table in (keyed, plain):
            table.scroll_to(x=4, animate=False)
        await assert_same("narrow, scrolled right")


async def test_a_cell_change_re_renders_only_its_cell_and_shows_the_new_text():
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(KeyedTable)
        for i in range(8):
            table.upsert(f"k{i}", ((f"row{i}", None), (f"{i:03d}", None)))
        await pilot.pause()
        # The first resize bumps the update count after the first paint (and row strips
        # are dropped with it): paint again.
        table.refresh()
        await pilot.pause()
        before = lines(table)
        count = table._update_count
        cells = {key: (list(row.plain), list(row.styled)) for key, row in table._cell_lines.items()}
        strips = dict(table._row_strips)
        assert len(cells) == 8 and len(strips) == 8

        table.upsert("k3", (("row3", None), ("999", None)))  # same width
        assert table._update_count == count  # no global invalidation
        after = lines(table)
        assert table._update_count == count
        changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
        assert len(changed) == 1
        assert "999" in after[changed[0]] and "row3" in after[changed[0]]
        # Only the changed cell was rendered (and styled) again, and only its row's line.
        for key, row in table._cell_lines.items():
            plain, styled = cells[key]
            redone = [i for i, cell in enumerate(row.plain) if cell is not plain[i]]
            assert redone == ([1] if key.value == "k3" else []), key
            restyled = [i for i, cell in enumerate(row.styled) if cell is not styled[i]]
            assert restyled == redone, key
        redrawn = {key.value for key, strip in table._row_strips.items()
                   if strip is not strips[key]}  # fmt: skip
        assert redrawn == {"k3"}


async def test_a_wider_value_still_widens_the_column():
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(KeyedTable)
        table.upsert("a", (("a", None), ("1", None)))
        await pilot.pause()
        table.upsert("a", (("a", None), ("a much longer value", None)))
        await pilot.pause()
        assert any("a much longer value" in line for line in lines(table))


async def test_a_cell_that_is_not_plain_text_is_drawn_by_the_datatable():
    """(KeyedTable's own cells always are; another value still shows, and stays right
    after a change.)"""
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(KeyedTable)
        table.upsert("a", (("a", None), ("1", None)))
        table.upsert("b", (("b", None), ("2", None)))
        table.update_cell("b", "value", Text("right", justify="right"))
        await pilot.pause()
        assert any("right" in line for line in lines(table))
        table.update_cell("b", "name", Text("bee"))
        await pilot.pause()
        assert any("bee" in line and "right" in line for line in lines(table))


async def test_renders_of_an_older_update_count_are_not_kept():
    """Adding rows bumps the update count: the caches then hold only renders that can
    still be found (the garbage collector walks whatever they hold)."""
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(KeyedTable)
        for i in range(8):
            table.upsert(f"k{i}", ((f"row{i}", None), (f"{i:03d}", None)))
            await pilot.pause()
        table.refresh()  # (a resize may bump the count without a paint)
        await pilot.pause()
        count = table._update_count
        header = table._cell_render_cache  # the header's cells: the DataTable's own
        assert len(header)
        assert all(key[6] == count for key in header.keys())  # (row, column, ..., count, ...)
        assert len(table._row_strips) == 8
        table.discard("k0")
        assert len(table._row_strips) == 7 and len(table._cell_lines) == 7


def screen_lines(app: App[None]) -> list[str]:
    """What the screen shows (the widgets' cached lines where they are not dirty)."""
    from tests.ui.harness import screen_text

    return screen_text(app).splitlines()  # type: ignore[arg-type]


async def test_every_row_changed_in_one_batch_is_repainted():
    """Only the first changed row is refreshed at once; the others are marked dirty just
    before the paint: none may be left showing its old text, scrolled or not."""
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(KeyedTable)
        for i in range(30):
            table.upsert(f"k{i:02d}", ((f"row{i:02d}", None), ("old", None)))
        await pilot.pause()
        for i in range(30):
            table.upsert(f"k{i:02d}", ((f"row{i:02d}", None), ("new", None)))
        await pilot.pause()
        shown = [line for line in screen_lines(app) if "row" in line]
        assert shown and all("new" in line for line in shown), shown
        table.scroll_to(y=15, animate=False)
        await pilot.pause()
        for i in range(30):
            table.upsert(f"k{i:02d}", ((f"row{i:02d}", None), ("NEW", None)))
        await pilot.pause()
        shown = [line for line in screen_lines(app) if "row" in line]
        assert "row15" in shown[0] and all("NEW" in line for line in shown), shown


class FixedSizeApp(App[None]):
    CSS = "KeyedTable { height: 1fr; }"  # as in the app: its size does not follow its rows

    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, id="t")


async def test_new_rows_and_wider_columns_update_the_scrollbars_without_a_layout():
    """A layout arranges and draws the whole screen again: only a scrollbar that appears
    (or disappears) needs one; more rows or a wider column only move the scroll range."""
    app = FixedSizeApp()
    async with app.run_test(size=(30, 10)) as pilot:
        table = app.query_one(KeyedTable)
        layouts = []
        screen = app.screen
        arrange = screen._refresh_layout
        screen._refresh_layout = lambda *a, **k: (layouts.append(1), arrange(*a, **k))[1]
        table.upsert("a", (("a", None), ("1", None)))
        await pilot.pause()
        assert not table.show_vertical_scrollbar and not table.show_horizontal_scrollbar
        for i in range(20):  # more rows than the view: the vertical scrollbar appears
            table.upsert(f"k{i:02d}", ((f"row{i:02d}", None), ("1", None)))
        await pilot.pause()
        assert table.show_vertical_scrollbar
        layouts.clear()
        for i in range(20, 40):  # more rows still: no layout
            table.upsert(f"k{i:02d}", ((f"row{i:02d}", None), ("1", None)))
        await pilot.pause()
        assert not layouts
        table.scroll_end(animate=False)
        await pilot.pause()
        assert any("row39" in line for line in screen_lines(app))
        table.upsert("k39", (("row39", None), ("a value wider than the view", None)))
        await pilot.pause()
        assert table.show_horizontal_scrollbar and table.max_scroll_x > 0
        layouts.clear()
        table.upsert("k38", (("row38", None), ("a value wider than the view, and more", None)))
        await pilot.pause()
        assert not layouts
        table.scroll_to(x=table.max_scroll_x, animate=False)
        await pilot.pause()
        assert any("and more" in line for line in screen_lines(app))
        for i in range(10):  # fewer rows, still more than the view: no layout
            table.discard(f"k{i:02d}")
        await pilot.pause()
        assert not layouts
        table.scroll_end(animate=False)
        await pilot.pause()
        assert any("row39" in line for line in screen_lines(app))
        assert not any("row05" in line for line in screen_lines(app))
        for i in range(10, 38):  # fewer than the view: the vertical scrollbar goes
            table.discard(f"k{i:02d}")
        await pilot.pause()
        assert not table.show_vertical_scrollbar
        assert any("row39" in line for line in screen_lines(app))

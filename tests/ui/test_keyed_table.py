"""KeyedTable's per-cell cache invalidation: a changed cell re-renders only itself (and
its row's line), and the screen shows exactly what a plain DataTable would.

KeyedTable relies on internals of Textual's DataTable (8.2.8, pinned): the names and
key layouts of its render caches. The first test fails loudly if an upgrade changes them.
"""

from __future__ import annotations

import inspect

from rich.text import Text
from textual.app import App, ComposeResult
from textual.cache import LRUCache
from textual.widgets import DataTable

from tui_app.widgets.keyed_table import KeyedTable

COLUMNS = (("name", "Name"), ("value", "Value"))


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, id="t")


def lines(table: KeyedTable) -> list[str]:
    return [strip.text for strip in table.render_lines(table.region.reset_offset)]


def test_datatable_internals_relied_on_are_still_there():
    table = DataTable()
    for name in ("_cell_render_cache", "_row_render_cache", "_row_renderable_cache",
                 "_line_cache"):
        assert isinstance(getattr(table, name), LRUCache), name
        assert hasattr(getattr(table, name), "discard"), name
    for name in ("_data", "_row_locations", "_column_locations", "_y_offsets",
                 "_update_count", "header_height"):
        assert hasattr(table, name), name
    # The key layouts: the row key first in the cell and row caches, (update count,
    # row index) for row renderables, the line's y first in the line cache.
    source = inspect.getsource(DataTable._render_cell)
    assert "cell_cache_key: CellCacheKey = (\n            row_key," in source
    source = inspect.getsource(DataTable._render_line_in_row)
    assert "cache_key = (\n            row_key," in source
    source = inspect.getsource(DataTable._get_row_renderables)
    assert "cache_key = (update_count, row_index)" in source
    source = inspect.getsource(DataTable._render_line)
    assert "cache_key = (\n            y," in source
    # And update_cell still only stores the value, bumps the count and refreshes.
    source = inspect.getsource(DataTable.update_cell)
    assert "self._data[row_key][column_key] = value" in source
    assert "self._update_count += 1" in source


async def test_a_cell_change_re_renders_only_its_cell_and_shows_the_new_text():
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(KeyedTable)
        for i in range(8):
            table.upsert(f"k{i}", ((f"row{i}", None), (f"{i:03d}", None)))
        await pilot.pause()
        # The first resize bumps the update count after the first paint; the caches only
        # hold renders of the current count (older ones can never be hit): paint again.
        table.refresh()
        await pilot.pause()
        before = lines(table)
        count = table._update_count
        cache = table._cell_render_cache
        cached = {key: cache.get(key) for key in cache.keys()}
        assert cached

        table.upsert("k3", (("row3", None), ("999", None)))  # same width
        assert table._update_count == count  # no global invalidation
        after = lines(table)
        assert table._update_count == count
        changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
        assert len(changed) == 1
        assert "999" in after[changed[0]] and "row3" in after[changed[0]]
        # Only the changed cell was rendered again; every other cell kept its render.
        now_cached = {key: cache.get(key) for key in cache.keys()}
        assert now_cached.keys() == cached.keys()
        redone = {key for key, lines_ in now_cached.items() if lines_ is not cached[key]}
        assert {(k[0].value, k[1].value) for k in redone} == {("k3", "value")}

        # A plain DataTable would have drawn the same screen.
        plain = DataTable(cursor_type="row", zebra_stripes=True,
                          cursor_foreground_priority="renderable")
        await app.mount(plain, before=table)
        for key, label in COLUMNS:
            plain.add_column(label, key=key)
        for i in range(8):
            value = "999" if i == 3 else f"{i:03d}"
            plain.add_row(Text(f"row{i}", end=""), Text(value, end=""), key=f"k{i}")
        table.styles.height = plain.styles.height = 10
        await pilot.pause()
        assert lines(plain) == lines(table)


async def test_a_wider_value_still_widens_the_column():
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(KeyedTable)
        table.upsert("a", (("a", None), ("1", None)))
        await pilot.pause()
        table.upsert("a", (("a", None), ("a much longer value", None)))
        await pilot.pause()
        assert any("a much longer value" in line for line in lines(table))


def test_the_indexed_cache_finds_entries_by_part_and_forgets_evicted_keys():
    from tui_app.widgets.render_cache import IndexedLRUCache

    cache = IndexedLRUCache(4, lambda key: key[0])
    for n in range(3):
        cache[("a", n)] = n
    cache[("b", 0)] = 9
    cache.discard_part("a")
    assert list(cache.keys()) == [("b", 0)]
    for n in range(20):  # far more than it holds: the index does not grow without end
        cache[("c", n)] = n
    assert len(cache) == 4
    assert cache._indexed <= 2 * cache.maxsize
    cache.discard_part("c")
    assert len(cache) == 0


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
        cells = table._cell_render_cache
        assert len(cells)
        assert all(key[6] == count for key in cells.keys())  # (row, column, ..., count, ...)

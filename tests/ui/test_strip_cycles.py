"""Strips freed when dropped: tui_app/widgets/strip_cycles.py against Textual's own."""

from __future__ import annotations

import gc

import pytest
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tui_app.widgets import strip_cycles

RED = Style(color="red")


def strip() -> Strip:
    return Strip([Segment("abc", RED), Segment("de"), Segment("fgh", RED)])


@pytest.mark.parametrize(
    "cuts", [[8], [8, 8], [8, 9], [3, 8], [0, 8], [2, 5, 8], [9], [], [4], [8, 12, 20]]
)
def test_divide_gives_what_textual_gives(cuts):
    ours, theirs = strip_cycles._divide(strip(), cuts), strip_cycles._original_divide(strip(), cuts)
    assert [s.text for s in ours] == [s.text for s in theirs]
    assert [list(s) for s in ours] == [list(s) for s in theirs]
    assert [s.cell_length for s in ours] == [s.cell_length for s in theirs]


@pytest.mark.parametrize("span", [(0, 8), (0, 10), (2, 8), (0, 5), (3, 12), (8, 8), (0, 0)])
def test_crop_extend_gives_what_textual_gives(span):
    start, end = span
    ours = strip_cycles._crop_extend(strip(), start, end, RED)
    theirs = strip_cycles._original_crop_extend(strip(), start, end, RED)
    assert list(ours) == list(theirs) and ours.cell_length == theirs.cell_length


def test_installed_a_dropped_strip_leaves_no_cycle_behind():
    assert strip_cycles.caches_itself()  # this Textual needs it (else the test is moot)
    strip_cycles.install()
    gc.collect()
    gc.disable()
    try:
        for _ in range(100):
            s = strip()
            s.divide([s.cell_length])
            s.crop_extend(0, s.cell_length, None)
            del s
        assert gc.collect() == 0  # everything was freed by reference counting
    finally:
        gc.enable()


def test_textual_as_it_is_would_leave_cycles():
    gc.collect()
    s = strip()
    strip_cycles._original_divide(s, [s.cell_length])
    del s
    assert gc.collect() > 0

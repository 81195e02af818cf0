"""Full garbage collections wait for a quiet moment (tui_app/gc_schedule.py)."""

from __future__ import annotations

import gc

from tui_app.gc_schedule import (
    MAX_INTERVAL,
    MIN_INTERVAL,
    RARE_FULL_COLLECTIONS,
    FullCollections,
    make_full_collections_rare,
)


def schedule() -> tuple[FullCollections, list[float], list[int]]:
    now, collected = [0.0], [0]
    full = FullCollections(clock=lambda: now[0],
                           collect=lambda: collected.__setitem__(0, collected[0] + 1))  # fmt: skip
    return full, now, collected


def test_collects_once_quiet_and_not_more_often_than_the_minimum_interval():
    full, now, collected = schedule()
    now[0] = MIN_INTERVAL - 0.1
    assert not full.tick()  # quiet, but collected (started) too recently
    now[0] = MIN_INTERVAL
    assert full.tick() and collected == [1]
    now[0] += 1
    assert not full.tick()


def test_waits_while_busy_but_not_beyond_the_maximum_interval():
    full, now, collected = schedule()
    for step in range(1, int(MAX_INTERVAL)):
        now[0] = float(step)
        full.busy()
        assert not full.tick()
    now[0] = MAX_INTERVAL
    full.busy()
    assert full.tick() and collected == [1]


def test_a_second_of_quiet_after_activity_is_enough():
    full, now, collected = schedule()
    now[0] = MIN_INTERVAL + 5
    full.busy()
    assert not full.tick()
    now[0] += 1.0
    assert full.tick() and collected == [1]


def test_automatic_full_collections_made_rare_young_ones_kept():
    before = gc.get_threshold()
    try:
        make_full_collections_rare()
        young, middle, full = gc.get_threshold()
        assert (young, middle) == before[:2] and full == RARE_FULL_COLLECTIONS
    finally:
        gc.set_threshold(*before)


async def test_the_app_waits_while_a_row_awaits_its_confirmation():
    from tests.ui.harness import make_app

    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        now = [1000.0]
        app.full_collections = FullCollections(clock=lambda: now[0], collect=lambda: None)
        app.order_notes["some-order"] = "cancel sent"  # the indexer has not confirmed yet
        now[0] += MAX_INTERVAL - 1
        app.tick()
        assert app.full_collections.collections == 0
        del app.order_notes["some-order"]
        now[0] += 1.0  # a quiet second once confirmed
        app.tick()
        assert app.full_collections.collections == 1
        await pilot.pause()


async def test_the_app_waits_while_a_dialog_is_open():
    from tests.ui.harness import make_app
    from tui_app.screens.help import HelpScreen

    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        now = [1000.0]
        app.full_collections = FullCollections(clock=lambda: now[0], collect=lambda: None)
        await app.push_screen(HelpScreen())
        now[0] += MAX_INTERVAL - 1
        app.tick()
        assert app.full_collections.collections == 0  # the trader's answer is a key away
        app.pop_screen()
        await pilot.pause()
        now[0] += 1.0
        app.tick()
        assert app.full_collections.collections == 1

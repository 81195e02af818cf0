"""DimmedModalScreen: the dimmed background is exactly what Textual's BackgroundScreen
draws (the same strips), before and after the screen below changes, and only the lines
that changed below are dimmed again.

It relies on Textual internals (8.2.8, pinned): the screen below found through
`visible_screen_stack`, its compositor's `render_strips`, RichVisual's pipeline.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.renderables.background_screen import BackgroundScreen
from textual.screen import visible_screen_stack
from textual.strip import Strip
from textual.visual import RichVisual, Visual
from textual.widgets import Footer, Static

from tui_app.screens import dimmed
from tui_app.screens.dimmed import DimmedBackground, DimmedModalScreen, push_over
from tui_app.widgets.main_screen import MainScreen


class Modal(DimmedModalScreen[None]):
    DEFAULT_CSS = "Modal > Static { width: 20; height: 3; border: solid red; }"

    def compose(self) -> ComposeResult:
        yield Static("modal", id="box")


class Below(App[None]):
    def compose(self) -> ComposeResult:
        for i in range(8):
            yield Static(f"[b]line {i}[/b] [red]red[/] [@click=app.bell]link[/]", id=f"s{i}")
        yield Footer()


def ours(app: Below) -> list[Strip]:
    modal = app.screen
    visible_screen_stack.set(list(app._background_screens))
    modal._layout_cache.clear()  # render() again, as a refresh would
    modal._dirty_regions.add(modal.region)
    modal._render_content()
    return list(modal._render_cache.lines)


def textuals(app: Below) -> list[Strip]:
    modal = app.screen
    below = app.screen_stack[0]
    visual = RichVisual(modal, BackgroundScreen(below, modal.styles.background))
    width, height = modal.size
    return Visual.to_strips(modal, visual, width, height, modal.visual_style)


async def test_the_background_is_textuals_before_and_after_a_change_below():
    app = Below()
    async with app.run_test(size=(60, 14)) as pilot:
        app.push_screen(Modal())
        await pilot.pause()
        visible_screen_stack.set(list(app._background_screens))
        assert isinstance(app.screen.render(), DimmedBackground)
        assert ours(app) == textuals(app)
        app.screen_stack[0].query_one("#s3", Static).update("[green]changed[/]")
        await pilot.pause()
        assert ours(app) == textuals(app)


async def test_only_the_lines_that_changed_below_are_dimmed_again(monkeypatch):
    app = Below()
    async with app.run_test(size=(60, 14)) as pilot:
        app.push_screen(Modal())
        await pilot.pause()
        ours(app)
        tinted_lines: list[int] = []
        real = dimmed._TintedStrips.__init__

        def counting(self, strips, color):  # type: ignore[no-untyped-def]
            tinted_lines.append(len(strips))
            real(self, strips, color)

        monkeypatch.setattr(dimmed._TintedStrips, "__init__", counting)
        ours(app)
        assert tinted_lines == []  # nothing changed below
        app.screen_stack[0].query_one("#s3", Static).update("changed")
        await pilot.pause()
        ours(app)
        assert tinted_lines == [1]


# ----- push_over: the screen below drawn a turn of the loop before the modal opens ---------


class BelowMain(App[None]):
    """The screen below is our MainScreen (it counts its paints, takes quiet_push)."""

    def get_default_screen(self) -> MainScreen:
        return MainScreen()

    def compose(self) -> ComposeResult:
        for i in range(8):
            yield Static(f"line {i}", id=f"s{i}")


def spy_below_renders(app: App[None], monkeypatch) -> tuple[list[int], list[int]]:
    """Renders of the screen below: all of them, and how many there had been once the
    modal's first frame had its background."""
    calls: list[int] = []
    at_first_frame: list[int] = []
    compositor = app.screen._compositor
    real_render = compositor.render_strips
    real_below = Modal.below_strips

    def counting(*args):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real_render(*args)

    def first(self, below):  # type: ignore[no-untyped-def]
        strips = real_below(self, below)
        if not at_first_frame:
            at_first_frame.append(len(calls))
        return strips

    monkeypatch.setattr(compositor, "render_strips", counting)
    monkeypatch.setattr(Modal, "below_strips", first)
    return calls, at_first_frame


async def test_push_over_opens_on_the_drawing_made_before(monkeypatch):
    app = BelowMain()
    async with app.run_test(size=(60, 14)) as pilot:
        await pilot.pause()  # laid out and painted: idle, as when a key opens a modal
        calls, at_first_frame = spy_below_renders(app, monkeypatch)
        push_over(app, Modal())
        assert calls == [1] and not isinstance(app.screen, Modal)  # drawn; opens next turn
        await pilot.pause()
        assert isinstance(app.screen, Modal)
        assert at_first_frame == [1]  # its first frame reused that drawing
        assert ours(app) == textuals(app)


async def test_push_over_draws_again_when_the_screen_below_painted_meanwhile(monkeypatch):
    app = BelowMain()
    async with app.run_test(size=(60, 14)) as pilot:
        await pilot.pause()  # laid out and painted: idle, as when a key opens a modal
        calls, at_first_frame = spy_below_renders(app, monkeypatch)
        push_over(app, Modal())
        app.screen.paints += 1  # as if a row changed and was painted before the push
        await pilot.pause()
        assert isinstance(app.screen, Modal)
        assert at_first_frame == [2]
        assert ours(app) == textuals(app)

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
from tui_app.screens.dimmed import DimmedBackground, DimmedModalScreen


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

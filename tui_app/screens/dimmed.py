"""Modal screens over a dimmed main screen that do not draw the whole dimmed screen again
for every change behind them.

A ModalScreen's translucent background is Textual's `BackgroundScreen`: the screen below,
rendered again and tinted segment by segment (a colour blend and two new Styles for each
of ~8,000 segments at 160x50: 40-250 ms) whenever anything behind the modal changes, down
to one footer key. Here the lines of the screen below that did not change since the last
render keep their dimmed strips (`DimmedBackground`), the others are tinted straight into
strips (the same strips as Textual's pipeline, see tests/ui/test_dimmed.py), and each
distinct style is tinted once (`tinted`).

The screen below is rendered again only after it asked for a repaint: the modal's own
changes (focus moving, a layout as it opens: 5-30 ms each at 160x50) reuse its lines.
Nor is it laid out again for the Resize a new screen gets after its first layout. While a
modal is busy (`hold_below`), its changes are drawn a few times a second, not every frame.

`push_over` opens a modal in two turns of the loop: the screen below is drawn in the first
(10-25 ms at 160x50), the modal's styles, layout and first frame come in the next, so no
one step holds the UI for both (opening the cancel-all confirmation: 40-60 ms in one).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from rich.console import RenderableType
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual import events
from textual.color import Color
from textual.geometry import Region
from textual.renderables.background_screen import BackgroundScreen
from textual.screen import ModalScreen, Screen
from textual.strip import Strip
from textual.style import Style
from textual.timer import Timer
from textual.visual import RenderOptions, RichVisual

ResultType = TypeVar("ResultType")
BELOW_HELD_INTERVAL = 0.25  # seconds: see DimmedModalScreen.hold_below

_NULL_STYLE = RichStyle()
# (tint, style before) -> style after. Cells carry their row and column as meta, so a
# large table adds many styles: the memo is dropped whole when it grows past this.
_MAX_TINTS = 20_000
_tints: dict[tuple[Color, RichStyle | None], RichStyle] = {}


def tinted(style: RichStyle | None, color: Color) -> RichStyle:
    """What `BackgroundScreen.process_segments` makes of `style` (memoized)."""
    key = (color, style)
    result = _tints.get(key)
    if result is None:
        if len(_tints) >= _MAX_TINTS:
            _tints.clear()
        result = _tints[key] = _tint(style, color)
    return result


def _tint(style: RichStyle | None, color: Color) -> RichStyle:
    # The same expressions as textual/renderables/background_screen.py (8.2.x).
    style = _NULL_STYLE if style is None else style.clear_meta_and_links()
    if color.a == 0:
        return style
    from_rich = Color.from_rich_color
    return style + RichStyle.from_color(
        (from_rich(style.color) + color).rich_color if style.color is not None else None,
        (from_rich(style.bgcolor) + color).rich_color if style.bgcolor is not None else None,
    )


class _TintedStrips:
    """Some lines of the screen below, dimmed: the strips `RichVisual` draws of them as
    `BackgroundScreen` renders them (`process_segments` over a `StripRenderable` of the
    compositor's lines), without the round trip through a Rich console (~10 ms for a
    whole screen at 160x50)."""

    def __init__(self, strips: list[Strip], color: Color) -> None:
        self.strips = strips
        self.color = color

    def render(self, base: RichStyle, width: int) -> list[Strip]:
        """Each segment tinted and laid on `base` as `Widget.post_render`'s `_Styled` does
        (its link style does nothing here: tinted styles carry no meta), each line cropped
        to `width` as `Segment.split_and_crop_lines` does."""
        color, lines = self.color, []
        for strip in self.strips:
            if base:
                segments = [Segment(text, base + (style if control else tinted(style, color)))
                            for text, style, control in strip]  # fmt: skip
            else:
                segments = [segment if segment.control else
                            Segment(segment.text, tinted(segment.style, color))
                            for segment in strip]  # fmt: skip
            lines.append(Strip(Segment.adjust_line_length(segments, width, pad=False)))
        return lines


class DimmedBackground(RichVisual):
    """The modal's background: the dimmed screen below, line by line from `lines` (the
    modal's memo of the last render: strip below -> dimmed strip)."""

    def __init__(self, modal: DimmedModalScreen[object], background: BackgroundScreen) -> None:
        super().__init__(modal, background)
        self._modal = modal
        self._below = background.screen
        self._color = background.color

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        below = self._modal.below_strips(self._below)[:height]
        memo = self._modal.background_lines(width, style)
        keys = [tuple(strip) for strip in below]
        missing = {key: strip for key, strip in zip(keys, below, strict=True)
                   if key not in memo}  # fmt: skip
        if missing:
            fresh = _TintedStrips(list(missing.values()), self._color)
            dimmed = fresh.render(style.rich_style, width)
            memo.update(zip(missing, dimmed, strict=True))
        lines = [memo[key] for key in keys]
        self._modal.keep_background_lines(keys)
        return lines


class DimmedModalScreen(ModalScreen[ResultType]):
    """A ModalScreen whose dimmed background redraws only the lines that changed below."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._background_for: tuple[int, Style] | None = None
        self._background_lines: dict[tuple[Segment, ...], Strip] = {}
        self._below_strips: list[Strip] | None = None  # the screen below, as last rendered
        self._below_held = False  # see hold_below
        self._below_pending: Region | None = None  # where it changed while held
        self._below_timer: Timer | None = None
        self._prepared: tuple[Screen, list[Strip]] | None = None  # see push_over

    def refresh(self, *regions: Region, **kwargs: bool) -> DimmedModalScreen[ResultType]:
        if regions:
            # Regions come from the screen below (Screen._compositor_refresh tells the top
            # screen where it changed); the modal's own refreshes name none.
            if self._below_held:
                self._hold(regions)
                return self
            self._below_strips = self._prepared = None
        return super().refresh(*regions, **kwargs)  # type: ignore[return-value]

    def hold_below(self, held: bool) -> None:
        """While held (this screen is busy: cancel-all's progress), the screen below, whose
        rows then change every frame, is drawn again at most every BELOW_HELD_INTERVAL, not
        every frame (10-25 ms each at 160x50). Released, what changed meanwhile is drawn
        after the next frame (not in the same one)."""
        self._below_held = held
        if not held:
            if self._below_timer is not None:
                self._below_timer.stop()
                self._below_timer = None
            self.call_after_refresh(self._show_below)

    def _hold(self, regions: tuple[Region, ...]) -> None:
        changed = Region.from_union(list(regions))
        pending = self._below_pending
        self._below_pending = changed if pending is None else pending.union(changed)
        if self._below_timer is None:
            self._below_timer = self.set_timer(BELOW_HELD_INTERVAL, self._show_below)

    def _show_below(self) -> None:
        self._below_timer = None
        pending, self._below_pending = self._below_pending, None
        if pending is not None:
            self._below_strips = None
            super().refresh(pending)

    def below_strips(self, below: Screen) -> list[Strip]:
        """The lines of the screen below: rendered again only when it changed."""
        strips = self._below_strips
        size = below._compositor.size
        prepared, self._prepared = self._prepared, None
        if strips is None and prepared is not None and prepared[0] is below:
            strips = self._below_strips = prepared[1]
        if (strips is None or len(strips) != size.height
                or (strips and strips[0].cell_length != size.width)
                or self.app.screen is not self):  # below a modal: its changes are not told
            strips = self._below_strips = below._compositor.render_strips()
        return strips

    def _on_resize(self, event: events.Resize) -> None:
        # A new screen's first layout sends it a Resize of the size it was just laid out at;
        # Textual's handler (Screen._on_resize, next in the MRO) would lay it out again, and
        # the screens below it (the main screen: 20-40 ms), for nothing. prevent_default
        # stops it; a real change of size, or breakpoint classes to set, go through.
        breakpoints = [self.HORIZONTAL_BREAKPOINTS, self.VERTICAL_BREAKPOINTS,
                       self.app.HORIZONTAL_BREAKPOINTS, self.app.VERTICAL_BREAKPOINTS]
        if event.size == self._compositor.size and not any(breakpoints):
            event.prevent_default()

    def render(self) -> RenderableType:
        background = super().render()
        if type(background) is BackgroundScreen and isinstance(background.screen, Screen):
            return DimmedBackground(self, background)  # type: ignore[return-value]
        return background

    def background_lines(self, width: int, style: Style) -> dict[tuple[Segment, ...], Strip]:
        """The dimmed strips of the last render (none when its width or style differ)."""
        if self._background_for != (width, style):
            self._background_for = (width, style)
            self._background_lines = {}
        return self._background_lines

    def keep_background_lines(self, keys: list[tuple[Segment, ...]]) -> None:
        """Forget the strips of lines no longer on screen (the memo stays one screen big)."""
        lines = self._background_lines
        if len(lines) > len(keys):
            self._background_lines = {key: lines[key] for key in keys}


def push_over(
    app: Any, modal: DimmedModalScreen[Any], callback: Callable[[Any], object] | None = None
) -> None:
    """Push `modal` over the current screen in two turns of the loop: the screen below is
    drawn in this one, the modal opens in the next and starts from that drawing, unless
    the screen below painted in between (then it is drawn again, as without this).

    The screen below must count its paints (`paints`, as MainScreen does) and take
    `quiet_push` (Textual's push_screen repaints the screen it covers, all of it: the
    modal draws it anyway)."""
    below = app.screen
    paints = getattr(below, "paints", None)
    if paints is None or not hasattr(below, "quiet_push"):
        app.push_screen(modal, callback)
        return
    drawn = below._compositor.render_strips()

    def push() -> None:
        if below.paints == paints and app.screen is below:
            modal._prepared = (below, drawn)
        with below.quiet_push():
            app.push_screen(modal, callback)

    # call_soon, not call_later: Textual handles queued messages back to back without
    # letting the loop run in between, and the point is to let it run.
    asyncio.get_running_loop().call_soon(push)

"""A small app that hosts one screen, for screen tests before (and beside) the real app.

It records what the screen dismissed with and the messages screens post to the app, and
is deterministic: no animation, steady cursor, fixed size in the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui_app.messages import CancelsFinished, CancelsRequested

_UNSET = object()


class ScreenHost(App[None]):
    # The main app's keys, so the help screen has something real to list.
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit", tooltip="Quit (asks first when busy)"),
        Binding("c", "noop('cancel')", "Cancel", id="cancel_order",
                tooltip="Cancel the selected order"),
        Binding("C", "noop('cancel_all')", "Cancel all", id="cancel_all",
                tooltip="Cancel all open orders (confirmation with the count per market)"),
        Binding("n", "noop('new')", "New", id="new_order", tooltip="Place a new order"),
        Binding("x", "noop('close')", "Close", id="close_position",
                tooltip="Close the selected position (confirmation)"),
        Binding("question_mark", "noop('help')", "Help", id="help",
                tooltip="Keys and what they do"),
    ]

    def __init__(self, make_screen: Callable[[], Screen[Any]] | None = None,
                 *, read_only: str | None = None) -> None:
        super().__init__()
        self.make_screen = make_screen
        self.read_only = read_only
        self.result: Any = _UNSET
        self.cancel_messages: list[CancelsRequested | CancelsFinished] = []
        self.cursor_blink = False
        self.pressed: list[str] = []

    @property
    def dismissed(self) -> bool:
        return self.result is not _UNSET

    def compose(self) -> ComposeResult:
        yield Static("main screen", id="main")
        yield Footer()

    def on_mount(self) -> None:
        self.animation_level = "none"
        if self.make_screen is not None:
            self.push_screen(self.make_screen(), self._dismissed)

    def _dismissed(self, result: Any) -> None:
        self.result = result

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.read_only and action == "noop" and parameters != ("help",):
            return None
        return True

    def trading_disabled_reason(self) -> str | None:
        return self.read_only

    def action_noop(self, name: str) -> None:
        self.pressed.append(name)

    def on_cancels_requested(self, message: CancelsRequested) -> None:
        self.cancel_messages.append(message)

    def on_cancels_finished(self, message: CancelsFinished) -> None:
        self.cancel_messages.append(message)

"""A compact, mouse-free choice among a few options, for the screens' forms.

The chosen option is marked with a filled dot, not only a colour, so it reads with
NO_COLOR and in 256 colours alike; while the choice has the focus, the chosen option is
also in reverse video, like a cursor. One line (left/right) or one option per line
(up/down).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class Choice(Widget, can_focus=True):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"choice--chosen"}

    DEFAULT_CSS = """
    Choice { height: auto; width: auto; }
    Choice:focus { background: $boost; }
    Choice > .choice--chosen { text-style: bold; }
    Choice:focus > .choice--chosen { text-style: bold reverse; }
    """

    BINDINGS = [
        Binding("left,h", "move(-1)", "Previous", show=False),
        Binding("right,l,space", "move(1)", "Next", show=False),
        Binding("up,k", "move_line(-1)", "Previous", show=False),
        Binding("down,j", "move_line(1)", "Next", show=False),
    ]

    value: reactive[str] = reactive("", layout=True)

    class Changed(Message):
        def __init__(self, choice: Choice, value: str) -> None:
            super().__init__()
            self.choice = choice
            self.value = value

        @property
        def control(self) -> Choice:
            return self.choice

    def __init__(
        self,
        options: Sequence[tuple[str, str]],
        value: str,
        *,
        vertical: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.options = list(options)  # (value, label)
        self.vertical = vertical
        self.set_reactive(Choice.value, value)

    def render(self) -> Text:
        chosen_style = self.get_component_rich_style("choice--chosen", partial=True)
        text = Text()
        for index, (value, label) in enumerate(self.options):
            if index:
                text.append("\n" if self.vertical else "  ")
            if value == self.value:
                text.append(f"● {label}", style=chosen_style)
            else:
                text.append(f"○ {label}")
        return text

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A one-line choice leaves up/down to the screen (e.g. next/previous field).
        return self.vertical if action == "move_line" else True

    def action_move_line(self, step: int) -> None:
        self.action_move(step)

    def action_move(self, step: int) -> None:
        values = [value for value, _ in self.options]
        if not values:
            return
        index = values.index(self.value) if self.value in values else 0
        self.value = values[(index + step) % len(values)]

    def watch_value(self, value: str) -> None:
        self.post_message(self.Changed(self, value))

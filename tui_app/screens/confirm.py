"""A yes/no confirmation (close position, quit while busy): dismisses with a bool."""

from __future__ import annotations

from decimal import Decimal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from tui_app.screens.dimmed import DimmedModalScreen
from tui_app.state import PositionView

CENT = Decimal("0.01")


class ConfirmScreen(DimmedModalScreen[bool]):
    """Asks one question. `y` confirms, `n`/Esc refuses; the refusing button has focus,
    so a stray Enter does nothing harmful."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > #dialog {
        width: 64; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ConfirmScreen #title { text-style: bold; width: 1fr; }
    ConfirmScreen #body { margin: 1 0; width: 1fr; }
    ConfirmScreen #buttons { height: auto; align-horizontal: right; }
    ConfirmScreen Button { margin-left: 1; }
    """

    BINDINGS = [
        Binding("y", "confirm", "Confirm", id="confirm.yes", tooltip="Confirm and go ahead"),
        Binding("n,escape", "refuse", "Back", id="confirm.no", tooltip="Do nothing and go back"),
    ]

    def __init__(self, title: str, body: str, confirm_label: str = "Confirm") -> None:
        super().__init__()
        self.title_text = title
        self.body_text = body
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text, id="title", markup=False)
            yield Static(self.body_text, id="body", markup=False)
            with Horizontal(id="buttons"):
                yield Button(f"{self.confirm_label} (y)", variant="warning", id="confirm")
                yield Button("Back (n)", id="refuse")

    def on_mount(self) -> None:
        self.query_one("#refuse", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_refuse(self) -> None:
        self.dismiss(False)


def close_position_screen(view: PositionView, tick: Decimal | None = None) -> ConfirmScreen:
    """`x`: what closing sends, with the position's figures rounded for reading."""
    oracle = view.oracle_price
    if oracle is not None and tick is not None and tick > 0:
        oracle = oracle.quantize(tick.normalize())
    pnl = "-" if view.unrealized_pnl is None else f"{view.unrealized_pnl.quantize(CENT):+,}"
    body = (
        f"{view.side} {abs(view.size)} {view.market}: entry {view.entry_price}, "
        f"oracle {oracle}, unrealized PnL {pnl} USDC.\n"
        "Sends a reduce-only IOC market order for the whole position."
    )
    return ConfirmScreen(f"Close the {view.market} position?", body, "Close position")

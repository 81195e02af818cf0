"""Before trading on mainnet the trader types the network name: real funds are at stake.

Dismisses True once "mainnet" is typed exactly and submitted; Esc dismisses False and the
caller quits. Anything else keeps it locked (no case folding, no trimming: a deliberate act).
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

NETWORK_NAME = "mainnet"


class MainnetConfirmScreen(Screen[bool]):
    DEFAULT_CSS = """
    MainnetConfirmScreen { align: center middle; }
    MainnetConfirmScreen > #box {
        width: 66; max-width: 100%; height: auto; border: thick $error; padding: 0 1;
    }
    MainnetConfirmScreen #badge {
        width: 1fr; content-align: center middle; text-style: bold;
        background: $error; color: $text;
    }
    MainnetConfirmScreen #explain { margin: 1 0; }
    MainnetConfirmScreen #lock { height: 1; margin-top: 1; }
    MainnetConfirmScreen #lock.-unlocked { color: $success; text-style: bold; }
    MainnetConfirmScreen #lock.-wrong { color: $error; }
    """

    BINDINGS = [
        Binding("escape", "quit_app", "Quit", id="mainnet.quit", tooltip="Leave without trading"),
    ]

    def __init__(
        self, network: str = NETWORK_NAME, *, address: str | None = None, read_only: bool = False
    ) -> None:
        super().__init__()
        self.network = network  # shown only; the word to type is always "mainnet"
        self.address = address
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static("MAINNET", id="badge")
            lines = ["You are connecting to dYdX mainnet."]
            if self.address:
                lines.append(f"Account: {self.address}")
            if self.read_only:
                lines.append("Read-only: no key is configured, trading keys stay disabled.")
            else:
                lines.append("Orders placed here trade real funds.")
            lines.append(f"Type {NETWORK_NAME} and press Enter to continue, Esc to quit.")
            yield Static("\n".join(lines), id="explain", markup=False)
            yield Input(placeholder="network name", id="network", max_length=32)
            yield Static("Locked", id="lock")

    def on_mount(self) -> None:
        if getattr(self.app, "cursor_blink", True) is False:
            # The app's deterministic mode (tests, screenshots): a steady cursor.
            for field_ in self.query(Input):
                field_.cursor_blink = False
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        lock = self.query_one("#lock", Static)
        unlocked = event.value == NETWORK_NAME
        lock.set_class(unlocked, "-unlocked")
        lock.remove_class("-wrong")
        lock.update("Unlocked: press Enter to continue" if unlocked else "Locked")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value == NETWORK_NAME:
            self.dismiss(True)
            return
        lock = self.query_one("#lock", Static)
        lock.add_class("-wrong")
        lock.update(f"Locked: type {NETWORK_NAME} exactly to continue")

    def action_quit_app(self) -> None:
        self.dismiss(False)


class MainnetGateApp(App[bool]):
    """The confirmation alone, before anything connects: no node or indexer is contacted
    on mainnet until the trader has typed the network name."""

    def __init__(self, *, address: str | None, read_only: bool) -> None:
        super().__init__()
        self._screen = MainnetConfirmScreen(NETWORK_NAME, address=address, read_only=read_only)

    def on_mount(self) -> None:
        self.push_screen(self._screen, lambda confirmed: self.exit(bool(confirmed)))

"""The header: network badge, account, equity, free collateral and margin usage."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from tui_app.state import AccountState
from tui_app.widgets.format import DASH, margin_usage, number, short_address
from tui_app.widgets.positions import account_equity

NETWORK_LABELS = {"local": "LOCAL DEVNET", "testnet": "TESTNET", "mainnet": "MAINNET"}


class NetworkBadge(Static):
    """Always visible. The words say the network; the colour only repeats it."""

    DEFAULT_CSS = """
    NetworkBadge { width: auto; padding: 0 1; text-style: bold; }
    """

    def __init__(self, network: str) -> None:
        label = NETWORK_LABELS.get(network, network.upper())
        super().__init__(label, id="network-badge", classes=f"-{network}", markup=False)
        self.network = network


class AccountHeader(Horizontal):
    def __init__(self, network: str, address: str, subaccount: int,
                 trading_off_reason: str | None, *, read_only: bool = False) -> None:
        super().__init__(id="header")
        self._network = network
        self._address = address
        self._subaccount = subaccount
        self._trading_off_reason = trading_off_reason
        self._read_only = read_only
        self._balances_shown: Text | None = None

    def compose(self) -> ComposeResult:
        yield NetworkBadge(self._network)
        if self._trading_off_reason:  # next to the network: both say what keys can do
            label = "READ-ONLY" if self._read_only else "TRADING OFF"
            badge = Static(label, id="read-only-badge", markup=False)
            badge.tooltip = self._trading_off_reason
            yield badge
        yield Static(self._account_text(), id="header-account", markup=False)
        yield Static("", id="header-balances", markup=False)

    def _account_text(self) -> str:
        return f"{short_address(self._address, head=6)}/{self._subaccount}"

    def refresh_balances(self, state: AccountState) -> None:
        equity = account_equity(state)
        free = state.free_collateral
        usage = margin_usage(equity, free)
        text = Text.assemble(
            # No "$": every balance is USDC, and 80 columns must hold the whole line.
            ("Equity ", "dim"), number(equity, 2),
            (" Free ", "dim"), number(free, 2),
            (" Margin ", "dim"), f"{number(usage, 1)}%" if usage is not None else DASH,
        )
        if not state.snapshot_received:
            text.append("  (waiting for the account snapshot)", style="dim")
        if text == self._balances_shown:  # most price ticks move no balance by a cent
            return
        first = self._balances_shown is None
        self._balances_shown = text
        # One line in a one-line bar, its width the bar's rest (1fr): after the first, a
        # new text never changes the layout. (A layout pass arranges and draws the whole
        # screen again: ~10-25 ms, a dropped frame, at every price tick.)
        self.query_one("#header-balances", Static).update(text, layout=first)



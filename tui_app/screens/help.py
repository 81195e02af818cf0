"""`?`: every key the app answers to right now, read from the active bindings, so a key
rebound in the config shows under its new key, and a disabled key says why."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from tui_app.screens.dimmed import DimmedModalScreen

DisabledReason = Callable[[str], "str | None"]
# Textual's own screen keys (tab, shift+tab, copy): the same in every app, not listed.
TEXTUAL_DEFAULTS = frozenset({"app.focus_next", "app.focus_previous", "screen.copy_text"})


@dataclass(frozen=True)
class HelpRow:
    keys: str
    name: str
    does: str
    enabled: bool
    reason: str | None = None


def _defined_by_textual(node: object, binding: Binding) -> bool:
    """A key a Textual widget brings by itself (a table's arrows, page keys...)."""
    for cls in type(node).__mro__:
        for own in cls.__dict__.get("BINDINGS", ()):
            if isinstance(own, Binding) and own.action == binding.action:
                return cls.__module__.startswith("textual.")
    return False


def _definition_order(node: object, binding: Binding) -> int:
    """Where the binding sits in its class's BINDINGS: the order the author chose."""
    for cls in type(node).__mro__:
        own = [b for b in cls.__dict__.get("BINDINGS", ()) if isinstance(b, Binding)]
        for index, candidate in enumerate(own):
            if (candidate.id or candidate.action) == (binding.id or binding.action):
                return index
    return 10_000


def collect_bindings(screen: Screen[object]) -> list[ActiveBinding]:
    """Every binding from the focused widget up to the app, shadowed ones too.

    `Screen.active_bindings` keeps one binding per key, so the app's `enter` (order
    details) would hide behind the table's own `enter`; this walks the same chain (a
    private attribute of Textual, which is pinned) and keeps them all.
    """
    chain = getattr(screen, "_modal_binding_chain", None)
    if chain is None:  # another Textual: the public view is still right, only shorter
        return list(screen.active_bindings.values())
    app = screen.app
    found = []
    for namespace, bindings in chain:
        for _key, binding in bindings:
            state = app._check_action_state(binding.action, namespace)
            if state is not False:  # False: hidden on purpose
                found.append(ActiveBinding(namespace, binding, bool(state), binding.tooltip))
    return found


def help_rows(
    bindings: Mapping[str, ActiveBinding] | Iterable[ActiveBinding],
    key_display: Callable[[Binding], str],
    disabled_reason: DisabledReason | None = None,
    app: object | None = None,
) -> list[HelpRow]:
    """One row per action (keys that do the same thing joined): the app's own keys
    first, in the order they are defined, then those of the widget in focus."""
    if isinstance(bindings, Mapping):
        bindings = bindings.values()
    grouped: dict[tuple[int, str], list[ActiveBinding]] = {}
    for active in bindings:
        binding = active.binding
        if not binding.description or binding.system or binding.action in TEXTUAL_DEFAULTS:
            continue  # tab/shift+tab and such: the same in every app
        if _defined_by_textual(active.node, binding):
            continue
        name = binding.id or binding.action
        grouped.setdefault((id(active.node), name), []).append(active)
    ordered = sorted(
        grouped.values(),
        key=lambda actives: (
            actives[0].node is not app,
            _definition_order(actives[0].node, actives[0].binding),
        ),
    )
    rows = []
    for actives in ordered:
        # Bindings merge base classes first: the last is the app's own wording.
        first = actives[-1]
        binding = first.binding
        keys = " ".join(dict.fromkeys(key_display(a.binding) for a in actives))
        reason = None
        if not first.enabled and disabled_reason is not None:
            reason = disabled_reason(binding.action)
        rows.append(
            HelpRow(
                keys=keys,
                name=binding.description,
                does=binding.tooltip or binding.description,
                enabled=first.enabled,
                reason=reason,
            )
        )
    return rows


class HelpScreen(DimmedModalScreen[None]):
    """Built while the main screen is still on top: its bindings are the ones listed."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > #frame {
        width: 90%; max-width: 100; height: 90%; border: thick $accent;
        background: $surface; padding: 0 1;
    }
    HelpScreen #help-title { text-style: bold; height: 1; }
    HelpScreen #help-hint { color: $text-muted; height: auto; }
    """

    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close",
                tooltip="Close the help screen"),
    ]

    def __init__(
        self,
        bindings: Mapping[str, ActiveBinding] | Iterable[ActiveBinding] | None = None,
        disabled_reason: DisabledReason | None = None,
    ) -> None:
        super().__init__()
        if bindings is None:
            bindings = collect_bindings(self.app.screen)
        if disabled_reason is None:
            # The app shell's `trading_disabled_reason()` (read-only mode and such).
            app_reason = getattr(self.app, "trading_disabled_reason", None)
            if app_reason is not None:
                disabled_reason = lambda _action: app_reason()  # noqa: E731
        self.rows = help_rows(bindings, self.app.get_key_display, disabled_reason, self.app)

    def compose(self) -> ComposeResult:
        with Vertical(id="frame"):
            yield Static("Keys", id="help-title")
            with VerticalScroll(id="help-body"):
                yield Static(self._table(), id="help-table")
            yield Static("Esc closes. ctrl+p: command palette. Keys are rebindable in the "
                         "config (keys:).", id="help-hint", markup=False)

    def _table(self) -> Table:
        table = Table(box=None, expand=True, show_header=True, header_style="bold",
                      pad_edge=False)
        table.add_column("Key", no_wrap=True, style="bold")
        table.add_column("Action", no_wrap=True)
        table.add_column("What it does", ratio=1)
        for row in self.rows:
            does = Text(row.does)
            if not row.enabled:
                does = Text(f"{row.does} (disabled: {row.reason or 'not available here'})",
                            style="dim")
            table.add_row(Text(row.keys), Text(row.name), does)
        return table

    def action_close(self) -> None:
        self.dismiss(None)

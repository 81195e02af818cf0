"""The Textual app: main screen, live updates, keys, and the one factory that builds it.

`build_app(AppParts(...))` is the only way the CLI, the tests and the screenshot script
make the app; nothing here connects or reads a file at import. The parts are injected:
the resolved config, the account state, a feed (anything with `run()` and
`subscribe_status()`), a controller (see `ControllerLike`), a clock.

Data flow: the feed applies indexer messages to the AccountState, which calls our
listener with change records. The listener only collects keys; the first change after a
flush schedules the next flush, at most one per frame (`flush_interval`) and never while
the last one is not on screen yet, which posts one `AccountUpdated` with everything that
changed, and its handler updates the affected rows inside `batch_update()`. So an update
reaches the screen within a frame or two, a burst of thousands of updates costs one
repaint per frame (fewer, longer frames when the machine is slow: the loop is never
flooded), and no update is lost (keys accumulate until flushed; the rows are re-read from
the state, which holds every delta).
A flush with more order rows than a frame can afford updates the first
`ORDER_ROWS_PER_FRAME` and leaves the rest for the next frame (the loop never stalls).

Actions are thin: they read the selected row and call an `open_*` method; the modal
screens (tui_app/screens/) plug in there. Controller calls run in workers
(`run_controller`), results come back as notifications and `ActionFinished` messages.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from textual import events, on, work
from textual.actions import ActionParseResult
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Tab, Tabs

from tui_app.clock import Clock, SystemClock
from tui_app.config import ResolvedConfig
from tui_app.controller.errors import ControllerError
from tui_app.controller.requests import (
    CancelAllReport,
    CancelOutcome,
    CancelResult,
    CancelScope,
    PlaceOutcome,
    PlaceRequest,
    ReconcileSummary,
)
from tui_app.feed.status import ConnectionStatus
from tui_app.gc_schedule import FullCollections
from tui_app.messages import CancelsFinished, CancelsRequested, cancel_all_result
from tui_app.retry_notes import OrderRetrying, RetryNotes
from tui_app.state import (
    AccountState,
    BalanceChanged,
    BlockHeightChanged,
    Change,
    FillRecorded,
    MarketChanged,
    OrderChanged,
    OrderStatus,
    PositionChanged,
    ResyncRequested,
    StateReset,
)
from tui_app.widgets import strip_cycles
from tui_app.widgets.fills import FillsTable
from tui_app.widgets.header import AccountHeader
from tui_app.widgets.history import HistoryView
from tui_app.widgets.keyed_table import KeyedTable
from tui_app.widgets.main_screen import MainScreen
from tui_app.widgets.markets import MarketsTable
from tui_app.widgets.messages import (
    AccountUpdated,
    ActionFinished,
    ActionStarted,
    ChangeSet,
    ConnectionStatusChanged,
)
from tui_app.widgets.orders import OrdersTable
from tui_app.widgets.positions import PositionsTable
from tui_app.widgets.status_bar import StatusBar, describe

log = logging.getLogger(__name__)

T = TypeVar("T")

WIDE_COLUMNS = 140  # from this width, orders, positions and markets share the screen
TABS = ("orders", "positions", "markets", "fills", "history")
TRADE_TABS = frozenset({"orders", "positions", "markets"})  # shown together when wide
TRADING_ACTIONS = frozenset({"cancel_order", "cancel_all", "new_order", "close_position"})
QUIT_AGAIN_SECONDS = 3.0
DISABLED_NOTICE_SECONDS = 2.0  # a held disabled key: one notice, not one per repeat
DISPLAY_RATE = 60  # frames per second: Textual's own (TEXTUAL_FPS) default
# Order rows one flush updates at most (the rest: next frame), so a cancel-all of 500 or a
# snapshot of thousands never blocks the loop for more than a frame or two.
ORDER_ROWS_PER_FRAME = 200
# A frame not on screen after this long no longer holds the next flush back (a screen
# switch may drop the after-refresh callback).
FRAME_WAIT_LIMIT = 0.25


# --- the injected parts --------------------------------------------------------------


class FeedLike(Protocol):
    """What the app needs of the indexer feed (tui_app/feed)."""

    async def run(self) -> None:
        """Connect and keep the AccountState up to date until cancelled."""

    def on_status(
        self, listener: Callable[[ConnectionStatus], None]
    ) -> Callable[[], None]:
        """Call `listener` with every new ConnectionStatus; returns an unsubscribe."""


class ControllerLike(Protocol):
    """What the app needs of the order controller (tui_app/controller)."""

    async def place(self, request: PlaceRequest) -> PlaceOutcome: ...

    async def cancel(self, order_id: str) -> CancelOutcome: ...

    async def cancel_all(
        self, scope: CancelScope, on_progress: Callable[..., Any] | None = None
    ) -> CancelAllReport: ...

    async def close_position(self, market: str) -> PlaceOutcome: ...

    async def reconcile(self) -> ReconcileSummary: ...


@dataclass
class AppParts:
    """Everything the app is made of. Only `config` and `state` are required."""

    config: ResolvedConfig
    state: AccountState
    feed: FeedLike | None = None
    controller: ControllerLike | None = None
    clock: Clock = field(default_factory=SystemClock)
    store_path: Path | None = None
    flush_interval: float = 1 / DISPLAY_RATE  # least time between two UI updates
    tick_interval: float = 0.5  # status bar ages, countdowns, stale detection
    reconcile_at_start: bool = True
    # Why there is no controller although the account could sign (e.g. node unreachable).
    trading_off_reason: str | None = None
    # Tests and screenshots: no timers, no blinking cursor, no feed worker surprises.
    deterministic: bool = False
    # The launcher already had the trader type "mainnet" (before connecting anything).
    mainnet_confirmed: bool = False


def build_app(parts: AppParts) -> DydxApp:
    """The one factory of the app (CLI, tests and screenshots all call it)."""
    app = DydxApp(parts)
    # Set here, not through TEXTUAL_ANIMATIONS: by the time a conftest could set the
    # variable, Textual has already read it.
    app.animation_level = "none" if parts.deterministic else app.animation_level
    keys = parts.config.settings.keys
    if keys:
        app.set_keymap(dict(keys))
    return app


# --- coalescing ----------------------------------------------------------------------


class ChangeAccumulator:
    """Collects change records between flushes; keys only, so a burst stays small.

    `on_pending` is called (outside the lock, on the adding thread) when the first change
    worth showing arrives after a drain: the app schedules its next flush then."""

    def __init__(self, on_pending: Callable[[], None] | None = None) -> None:
        self._lock = threading.Lock()  # the feed may call from another thread
        self._on_pending = on_pending
        self._reset()

    def _reset(self) -> None:
        self.orders: set[str] = set()
        self.positions: set[str] = set()
        self.markets: set[str] = set()
        self.fills = self.balance = self.block_height = self.reset = False
        self.resync: list[str] = []
        self._pending = False

    def add(self, change: Change) -> None:
        with self._lock:
            match change:
                case OrderChanged(order_id=order_id):
                    self.orders.add(order_id)
                case PositionChanged(market=market):
                    self.positions.add(market)
                case MarketChanged(ticker=ticker):
                    self.markets.add(ticker)
                case FillRecorded():
                    self.fills = True
                case BalanceChanged():
                    self.balance = True
                case BlockHeightChanged():
                    self.block_height = True
                case StateReset():
                    self.reset = True
                case ResyncRequested(reason=reason):
                    self.resync.append(reason)
                case _:
                    return  # order books and trades: not shown on the main screen
            first, self._pending = not self._pending, True
        if first and self._on_pending is not None:
            self._on_pending()

    def add_orders(self, order_ids: Iterable[str]) -> None:
        """Order rows to update with the next flush although the state did not say so
        (rows the last flush could not afford, rows with a new note of the app's)."""
        with self._lock:
            self.orders.update(order_ids)
            first, self._pending = not self._pending, True
        if first and self._on_pending is not None:
            self._on_pending()

    def drain(self) -> ChangeSet:
        with self._lock:
            changes = ChangeSet(
                frozenset(self.orders), frozenset(self.positions), frozenset(self.markets),
                self.fills, self.balance, self.block_height, self.reset, tuple(self.resync),
            )
            self._reset()
        return changes


# --- the app -------------------------------------------------------------------------


class DydxApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "dydx-tui"

    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit",
                tooltip="Quit (asks first when an action is still in flight)"),
        Binding("c", "cancel_order", "Cancel", id="cancel_order",
                tooltip="Cancel the selected order"),
        Binding("C", "cancel_all", "Cancel all", id="cancel_all",
                tooltip="Cancel all open orders (confirmation with the count per market)"),
        Binding("n", "new_order", "New", id="new_order", tooltip="Place a new order"),
        Binding("x", "close_position", "Close", id="close_position",
                tooltip="Close the selected position (confirmation)"),
        Binding("enter", "order_details", "Details", id="order_details",
                tooltip="Details of the selected order: fills, metadata, audit trail"),
        Binding("slash", "filter", "Filter", id="filter",
                tooltip="Filter the table in view (history: status: market: from: to:)"),
        Binding("question_mark", "help", "Help", id="help", tooltip="Keys and what they do"),
        Binding("1", "show_tab('orders')", "Orders", show=False, id="tab.orders"),
        Binding("2", "show_tab('positions')", "Positions", show=False, id="tab.positions"),
        Binding("3", "show_tab('markets')", "Markets", show=False, id="tab.markets"),
        Binding("4", "show_tab('fills')", "Fills", show=False, id="tab.fills"),
        Binding("5", "show_tab('history')", "History", show=False, id="tab.history"),
        Binding("left_square_bracket", "page(-1)", "Prev page", show=False,
                id="history.prev_page"),
        Binding("right_square_bracket", "page(1)", "Next page", show=False,
                id="history.next_page"),
    ]

    def __init__(self, parts: AppParts) -> None:
        strip_cycles.install()  # strips freed when dropped, not by a full collection
        super().__init__()
        self.parts = parts
        self.config = parts.config
        self.state = parts.state
        self.feed = parts.feed
        self.controller = parts.controller
        self.clock = parts.clock
        self.connection: ConnectionStatus | None = None
        # The app's own notes on orders ("cancel sent"...): shown until the state knows.
        self.order_notes: dict[str, str] = {}
        # Controller calls under way: key ("cancel:<id>", "cancel_all"...) -> description.
        self.in_flight: dict[str, str] = {}
        self.active_tab = "orders"
        self._history_filter_text = ""
        self._history_stale = False  # orders changed while the history tab was hidden
        self._changes = ChangeAccumulator(self._changes_pending)
        self._flush_handle: asyncio.TimerHandle | None = None  # the next flush, if due
        self._last_flush = 0.0  # loop.time() of the last flush
        self._frame_in_flight = False  # a flush's rows are not on screen yet
        self.full_collections = FullCollections()  # at quiet moments (gc_schedule.py)
        self._orders_table: OrdersTable | None = None  # the main screen's, from on_mount
        self._status_bar: StatusBar | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._quit_pressed_at: float | None = None
        self._disabled_told: dict[tuple[str, str], float] = {}  # -> clock.monotonic()
        self._place_counter = 0
        self.retry_notes = RetryNotes(self)  # "retrying 2/5" on the order's row
        if parts.deterministic:
            self.cursor_blink = False  # read by Input widgets created later

    # ----------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield AccountHeader(
            self.config.network, self.config.address, self.config.subaccount_number,
            self.trading_disabled_reason(), read_only=self.config.read_only,
        )
        yield Tabs(
            Tab("1 Orders", id="tab-orders"),
            Tab("2 Positions", id="tab-positions"),
            Tab("3 Markets", id="tab-markets"),
            Tab("4 Fills", id="tab-fills"),
            Tab("5 History", id="tab-history"),
            id="tabs",
        )
        with Container(id="panes", classes="-show-orders"):
            with Vertical(id="orders-pane", classes="pane"):
                yield OrdersTable()
            with Vertical(id="markets-pane", classes="pane"):
                yield MarketsTable()
            with Vertical(id="positions-pane", classes="pane"):
                yield PositionsTable()
            with Vertical(id="fills-pane", classes="pane"):
                yield FillsTable()
            with Vertical(id="history-pane", classes="pane"):
                yield HistoryView()
        yield Input(placeholder="filter (Enter: keep, Esc: close)", id="filter-input")
        yield StatusBar()
        yield Footer()

    def get_default_screen(self) -> Screen:
        return MainScreen(id="_default")  # paints follow flushes sooner (main_screen.py)

    def on_mount(self) -> None:
        self._orders_table = self.query_one(OrdersTable)
        self._status_bar = self.query_one(StatusBar)
        self.query_one("#orders-pane").border_title = "Open orders"
        self.query_one("#positions-pane").border_title = "Positions"
        self.query_one("#markets-pane").border_title = "Markets"
        self.screen.set_class(self.config.is_mainnet, "-mainnet")
        self.screen.set_class(self.config.read_only, "-read-only")
        self._unsubscribe.append(self.state.subscribe(self._changes.add))
        self.refresh_everything()
        for table in self.query(KeyedTable):
            table.move_cursor(row=0, animate=False)  # start at the top, not where sorting left it
        self.set_interval(self.parts.tick_interval, self.tick)
        self.query_one(OrdersTable).focus()
        reason = self.trading_disabled_reason()
        if reason:
            self.notify(reason, title="Trading keys disabled", severity="warning", timeout=15)
        if self.config.is_mainnet and not self.parts.mainnet_confirmed:
            self.open_mainnet_confirmation()
        else:
            self.start_live()

    def on_unmount(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None

    def on_resize(self) -> None:
        self._apply_layout()

    # ------------------------------------------------------ starting the feed

    def start_live(self) -> None:
        """Start the feed and the start-up reconciliation (after mainnet confirmation)."""
        self.retry_notes.attach(self.controller)
        if self.feed is not None:
            self._unsubscribe.append(self.feed.on_status(self._status_from_feed))
            self.run_worker(self._run_feed(), name="feed", group="feed", exclusive=True,
                            exit_on_error=False)
        if self.controller is not None and self.parts.reconcile_at_start:
            self.run_controller("reconcile", "reconciliation", self.controller.reconcile)

    async def _run_feed(self) -> None:
        assert self.feed is not None
        try:
            await self.feed.run()
        except Exception as exc:  # the feed reconnects by itself; this is a bug in it
            log.exception("the feed stopped")
            self.notify(f"The live feed stopped: {exc}", severity="error", timeout=30)
            raise

    def _status_from_feed(self, status: ConnectionStatus) -> None:
        # post_message is the one thread-safe call: the feed may run anywhere.
        self.post_message(ConnectionStatusChanged(status))

    # ---------------------------------------------------------- live updates

    @property
    def _main_mounted(self) -> bool:
        # Timers may fire once more while the app shuts down and its widgets are gone.
        # (Held, not queried: a query walks every screen, ~0.5 ms, and cancel-all of 500
        # asks 1,000 times in a row.)
        bar = self._status_bar
        return bar is not None and bar.is_attached and self.is_running

    @property
    def _orders(self) -> OrdersTable:
        assert self._orders_table is not None  # set in on_mount
        return self._orders_table

    def _changes_pending(self) -> None:
        """The first change since the last flush arrived (on any thread): flush soon."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if threading.get_ident() == self._thread_id:
            self._schedule_flush()
        else:
            loop.call_soon_threadsafe(self._schedule_flush)

    def _schedule_flush(self) -> None:
        """Flush a frame after the last flush, and once its rows are on screen: changes
        in between coalesce."""
        if self._flush_handle is not None or self._loop is None:
            return
        loop = self._loop
        next_at = self._last_flush + self.parts.flush_interval
        if self._frame_in_flight:  # `_frame_painted` schedules it; this is the backstop
            next_at = self._last_flush + FRAME_WAIT_LIMIT
        self._flush_handle = loop.call_later(max(0.0, next_at - loop.time()),
                                             self._scheduled_flush)

    def _scheduled_flush(self) -> None:
        self._flush_handle = None
        loop = self._loop
        if loop is None:
            return
        if self._frame_in_flight and loop.time() < self._last_flush + FRAME_WAIT_LIMIT:
            self._schedule_flush()
            return
        if self._covered():  # the changes keep; look again a little later
            self._flush_handle = loop.call_later(FRAME_WAIT_LIMIT, self._scheduled_flush)
            return
        self._last_flush = loop.time()
        self._frame_in_flight = self.flush_changes()

    def _covered(self) -> bool:
        """A modal screen (cancel-all, order form...) is on top of the main screen.

        Textual then composes the whole main screen again and dims it for every change
        behind the modal (textual/renderables/background_screen.py: 100-300 ms at
        160x50 here), so the rows behind wait, and catch up when the modal closes."""
        table = self._orders_table
        return table is not None and self.screen is not table.screen

    def _frame_painted(self) -> None:
        """The last flush's rows are on screen: what came since may go out."""
        self._frame_in_flight = False
        if self._flush_handle is not None:  # waiting for this frame: now one frame apart
            self._flush_handle.cancel()
            self._flush_handle = None
            self._schedule_flush()

    def flush_changes(self) -> bool:
        """Post what changed since the last flush (scheduled by the first change);
        whether there was anything."""
        changes = self._changes.drain()
        if changes:
            return self.post_message(AccountUpdated(changes))
        return False

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):  # the trader is at the keys: no pause now
            self.full_collections.busy()
        await super().on_event(event)

    def tick(self) -> None:
        """Periodic: ages, block countdowns and staleness move with the clock."""
        # A cancel-all, a place... under way, rows still noting what the trader awaits
        # ("cancel sent" until the indexer confirms), or a dialog open (its answer is a
        # key away): not the moment for a pause.
        if self.in_flight or self.order_notes or len(self.screen_stack) > 1:
            self.full_collections.busy()
        self.full_collections.tick()
        if not self._main_mounted or self._covered():
            return
        self._refresh_status_bar()
        with self.batch_update():  # the rows on screen only: see refresh_clock
            self._orders.refresh_clock(self.state, self.clock.now(), self.order_notes)

    def on_account_updated(self, message: AccountUpdated) -> None:
        self.call_after_refresh(self._frame_painted)
        if not self._main_mounted:
            return
        changes = message.changes
        if changes.orders or changes.reset:
            self.full_collections.busy()
        if changes.reset:
            self.refresh_everything()
            return
        now = self.clock.now()
        state = self.state
        with self.batch_update():
            self._settle_notes(changes.orders)
            orders = self._orders
            if changes.orders:
                orders.refresh_orders(state, now, self.order_notes,
                                      self._affordable(orders, changes.orders))
            if changes.block_height:  # countdowns moved: the rows on screen
                orders.refresh_clock(state, now, self.order_notes)
            if changes.positions or changes.markets:
                self.query_one(PositionsTable).refresh_positions(state, changes.positions)
            if changes.markets:
                self.query_one(MarketsTable).refresh_markets(state, changes.markets)
            if changes.fills:
                self.query_one(FillsTable).refresh_fills(state)
            if changes.orders or changes.block_height:
                # Filtering and sorting every order: only when the history is shown
                # (else when its tab is opened).
                if self.active_tab == "history":
                    self.query_one(HistoryView).refresh_history(state, now)
                else:
                    self._history_stale = True
            if changes.balance or changes.positions or changes.markets:
                self.query_one(AccountHeader).refresh_balances(state)
            if changes.block_height:
                self._refresh_status_bar()
        if changes.resync:
            log.info("state asked for a resync: %s", changes.resync[0])

    def _affordable(self, orders: OrdersTable, order_ids: frozenset[str]) -> Iterable[str]:
        """The order rows this frame updates: all, or the rows on screen first and up to
        ORDER_ROWS_PER_FRAME in all; the rest go out with the next flush."""
        if len(order_ids) <= ORDER_ROWS_PER_FRAME:
            return order_ids
        on_screen = set(orders.visible_keys())
        ordered = sorted(order_ids, key=lambda order_id: order_id not in on_screen)
        self._changes.add_orders(ordered[ORDER_ROWS_PER_FRAME:])
        return ordered[:ORDER_ROWS_PER_FRAME]

    def on_connection_status_changed(self, message: ConnectionStatusChanged) -> None:
        self.connection = message.status
        self._refresh_status_bar()

    def refresh_everything(self) -> None:
        """Bring every row up to date (at start and after a snapshot replaced the state)."""
        now = self.clock.now()
        state = self.state
        with self.batch_update():
            self._settle_notes(state.orders.keys())
            self.query_one(OrdersTable).refresh_orders(state, now, self.order_notes)
            self.query_one(PositionsTable).refresh_positions(state)
            self.query_one(MarketsTable).refresh_markets(state)
            self.query_one(FillsTable).refresh_fills(state)
            if self.active_tab == "history":
                self.query_one(HistoryView).refresh_history(state, now)
            else:  # filtering and sorting every order: when the history is next shown
                self._history_stale = True
            self.query_one(AccountHeader).refresh_balances(state)
            self._refresh_status_bar()

    def _refresh_status_bar(self) -> None:
        bar = self._status_bar
        if bar is None or not self._main_mounted:
            return
        bar.show(
            describe(
                self.connection, self.clock.now(), self.clock.monotonic(),
                self.state.block_height, self.state.block_time,
                in_flight=len(self.in_flight),
            )
        )

    def _settle_notes(self, order_ids: Iterable[str]) -> None:
        """Drop the app's note once the state itself says where the order stands."""
        for order_id in list(order_ids):
            if order_id not in self.order_notes:
                continue
            order = self.state.order(order_id)
            if order is None or order.status.is_final or (
                order.status is OrderStatus.BEST_EFFORT_CANCELED
            ):
                del self.order_notes[order_id]

    def set_order_note(self, order_id: str, note: str | None) -> None:
        """Show `note` in the order's status cell until the state knows better."""
        if note is None:
            self.order_notes.pop(order_id, None)
        else:
            self.order_notes[order_id] = note
        # Cancel-all's per-order reports may still be queued when the app quits: the
        # table is gone by then, and the note has nowhere to show.
        if not self._main_mounted:
            return
        self._orders.refresh_orders(self.state, self.clock.now(), self.order_notes, [order_id])

    # ------------------------------------------------------------ navigation

    def action_show_tab(self, tab: str) -> None:
        self.query_one(Tabs).active = f"tab-{tab}"

    @on(Tabs.TabActivated)
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        self.active_tab = (event.tab.id or "tab-orders").removeprefix("tab-")
        if self.active_tab == "history" and self._history_stale:
            self._history_stale = False
            self.query_one(HistoryView).refresh_history(self.state, self.clock.now())
        self._apply_layout()
        self._tab_table(self.active_tab).focus()

    def _apply_layout(self) -> None:
        panes = self.query_one("#panes")
        wide = self.size.width >= WIDE_COLUMNS
        wanted = {"-wide": wide, "-trade": wide and self.active_tab in TRADE_TABS}
        wanted.update({f"-show-{tab}": tab == self.active_tab for tab in TABS})
        if all(panes.has_class(name) == present for name, present in wanted.items()):
            return
        # One restyle of the panes' subtree for all the changes, not one per class.
        for name, present in wanted.items():
            panes.set_class(present, name, update=False)
        panes.update_node_styles()

    def table_in_view(self) -> KeyedTable:
        """The table the trader is looking at: the focused one, else the active tab's."""
        focused = self.focused
        if isinstance(focused, KeyedTable):
            return focused
        return self._tab_table(self.active_tab)

    def _tab_table(self, tab: str) -> KeyedTable:
        tables: dict[str, type[KeyedTable]] = {
            "orders": OrdersTable, "positions": PositionsTable, "markets": MarketsTable,
            "fills": FillsTable,
        }
        if tab == "history":
            return self.query_one(HistoryView).table
        return self.query_one(tables[tab])

    def action_page(self, delta: int) -> None:
        history = self.query_one(HistoryView)
        history.turn_page(delta)
        history.refresh_history(self.state, self.clock.now())

    # ------------------------------------------------------------- selection

    def selected_order_id(self) -> str | None:
        """The order under the cursor of the orders table (or of the history table when
        that is the one in view)."""
        table = self.table_in_view()
        if not isinstance(table, OrdersTable) and table.id != "history-table":
            table = self.query_one(OrdersTable)
        return table.selected_key()

    def selected_position(self) -> str | None:
        """The market of the position under the cursor."""
        return self.query_one(PositionsTable).selected_key()

    def focused_market(self) -> str | None:
        """The market of the row in view (order, position, market or fill), if any."""
        table = self.table_in_view()
        key = table.selected_key()
        if key is None:
            return None
        if isinstance(table, PositionsTable | MarketsTable):
            return key
        if isinstance(table, FillsTable):
            return table.cell_text(key, "market")
        order = self.state.order(key)
        return order.ticker if order is not None else None

    # ---------------------------------------------------------------- filter

    def action_filter(self) -> None:
        field_ = self.query_one("#filter-input", Input)
        field_.add_class("-visible")
        field_.value = self._current_filter()
        field_.focus()

    def _current_filter(self) -> str:
        if self.active_tab == "history":
            return self._history_filter_text
        return getattr(self._tab_table(self.active_tab), "filter_text", "")

    @on(Input.Changed, "#filter-input")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.apply_filter(event.value)

    @on(Input.Submitted, "#filter-input")
    def _filter_submitted(self) -> None:
        self._close_filter()

    def on_key(self, event: Any) -> None:
        if event.key == "escape" and self.focused is self.query_one("#filter-input"):
            self._close_filter()
            event.stop()

    def _close_filter(self) -> None:
        self.query_one("#filter-input", Input).remove_class("-visible")
        self._tab_table(self.active_tab).focus()

    def apply_filter(self, text: str) -> None:
        """Filter the active tab's table (history: structured filter, see history.py)."""
        now = self.clock.now()
        with self.batch_update():
            if self.active_tab == "history":
                self._history_filter_text = text
                history = self.query_one(HistoryView)
                history.set_filter(text)
                history.refresh_history(self.state, now)
                return
            table = self._tab_table(self.active_tab)
            table.filter_text = text  # type: ignore[attr-defined]
            if isinstance(table, OrdersTable):
                table.refresh_orders(self.state, now, self.order_notes)
            elif isinstance(table, PositionsTable):
                table.refresh_positions(self.state)
            elif isinstance(table, MarketsTable):
                table.refresh_markets(self.state)
            elif isinstance(table, FillsTable):
                table.refresh_fills(self.state)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        # Enter on a table: the table's own binding wins over the app's, so route it here.
        if event.data_table.id in ("orders-table", "history-table"):
            self.action_order_details()

    # ------------------------------------------------------- thin actions
    # Each reads the selection and calls an `open_*` method; the screens plug in there.

    def action_cancel_order(self) -> None:
        order_id = self.selected_order_id()
        if order_id is None:
            self.notify("No order selected.", severity="warning")
            return
        self.open_cancel_order(order_id)

    def action_cancel_all(self) -> None:
        self.open_cancel_all(self.focused_market())

    def action_new_order(self) -> None:
        self.open_new_order(self.focused_market())

    def action_close_position(self) -> None:
        market = self.selected_position()
        if market is None:
            self.notify("No position selected (tab 2).", severity="warning")
            return
        self.open_close_position(market)

    def action_order_details(self) -> None:
        order_id = self.selected_order_id()
        if order_id is None:
            return
        self.open_order_details(order_id)

    def action_help(self) -> None:
        self.open_help()

    async def action_quit(self) -> None:
        if self.in_flight:
            self.open_quit_confirmation()
            return
        self.exit()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Trading keys: disabled (greyed, with the reason in the header) when read-only
        or without a controller; cancel-all also while one is running."""
        if self.disabled_reason(action) is not None:
            return None
        if action == "page":
            return self.active_tab == "history"
        return True

    def disabled_reason(self, action: str) -> str | None:
        """Why a trading key does nothing now (None: it is enabled)."""
        if action not in TRADING_ACTIONS:
            return None
        reason = self.trading_disabled_reason()
        if reason is not None:
            return f"Trading keys are disabled: {reason}."
        if action == "cancel_all" and "cancel_all" in self.in_flight:
            return "A cancel-all is still running: wait for its result."
        return None

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Run an action; a disabled key (or command) says why instead of doing nothing.

        Textual asks `check_action` for every footer refresh, so the reason cannot be
        told there; a key press runs the action once, so it is told here, at most once
        per key and reason every few seconds (a held key does not stack toasts).
        """
        handled = await super().run_action(action, default_namespace, namespaces)
        if not handled and isinstance(action, str):
            # The app's keys, and the screens' that can say why (a `disabled_reason`).
            target = self if default_namespace is None else default_namespace
            explain = getattr(target, "disabled_reason", None)
            reason = explain(action) if callable(explain) else None
            if reason is not None:
                self._tell_disabled(action, reason)
        return handled

    def _tell_disabled(self, action: str, reason: str) -> None:
        now = self.clock.monotonic()
        last = self._disabled_told.get((action, reason))
        if last is not None and now - last < DISABLED_NOTICE_SECONDS:
            return
        self._disabled_told[(action, reason)] = now
        self.notify(reason, title="Key disabled", severity="warning", markup=False)

    def trading_disabled_reason(self) -> str | None:
        if self.config.read_only:
            return self.config.credentials.reason or "read-only mode"
        if self.controller is None:
            return self.parts.trading_off_reason or "no order controller"
        return None

    # --------------------------------------- where the screens plug in
    # Default behaviours, replaced by tui_app/screens/ where a screen is needed.

    def open_cancel_order(self, order_id: str) -> None:
        """`c`: cancel at once (one order, no confirmation: cancelling is the safe way)."""
        self.run_cancel(order_id)

    def open_cancel_all(self, market: str | None) -> None:
        """`C`: confirmation with the count per market and a scope, then n/N progress and
        "retry the failed" (the screen runs the controller in its worker)."""
        from tui_app.screens.cancel_all import CancelAllScreen
        from tui_app.screens.dimmed import push_over

        if self.controller is None:
            return
        orders_table = self.query_one(OrdersTable)
        filter_ids = None
        if orders_table.filter_text:  # the rows the trader is looking at
            filter_ids = [k for k in orders_table.keys if (o := self.state.order(k))
                          and o.status.is_live]
        screen = CancelAllScreen(self.state.open_orders(), self.controller,
                                 focus_market=market, filter_ids=filter_ids)
        # In two turns of the loop (the main screen drawn first): no 40-60 ms step.
        push_over(self, screen, lambda report: self._cancel_all_done(report, screen.asked))

    def _cancel_all_done(self, report: CancelAllReport | None, asked: int) -> None:
        if report is not None and report.outcomes:
            failed = bool(report.failed)
            self.notify(cancel_all_result(report, asked), title="Cancel all", markup=False,
                        severity="warning" if failed else "information")

    def open_new_order(self, market: str | None) -> None:
        from tui_app.screens.order_form import OrderFormScreen

        positions = {m: p.signed_size for m, p in self.state.positions.items()}
        trading = self.config.settings.trading
        screen = OrderFormScreen(self.state.markets, market=market,
                                 free_collateral=self.state.free_collateral,
                                 positions=positions,
                                 short_term_blocks=trading.short_term_blocks,
                                 long_term_seconds=trading.long_term_seconds)
        self.push_screen(screen, lambda request: request and self.run_place(request))

    def open_close_position(self, market: str) -> None:
        from tui_app.screens.confirm import close_position_screen

        view = self.state.position_view(market)
        if view is None:
            self.notify(f"No open {market} position.", severity="warning")
            return
        info = self.state.markets.get(market)
        screen = close_position_screen(view, info.tick_size if info is not None else None)
        self.push_screen(screen, lambda ok: ok and self.run_close_position(market))

    def open_order_details(self, order_id: str) -> None:
        from tui_app.screens.order_detail import OrderDetailScreen

        order = self.state.order(order_id)
        if order is None:
            return
        fills = [f for f in self.state.fills() if f.order_id == order_id]
        store = getattr(self.controller, "store", None)  # OrderController's OrderStore

        async def load() -> tuple[Any, Any]:
            return await store.find(order_id), await store.audit_log(order_id)

        self.push_screen(OrderDetailScreen(order, fills, block_height=self.state.block_height,
                                           loader=load if store is not None else None))

    def open_help(self) -> None:
        from tui_app.screens.help import HelpScreen

        self.push_screen(HelpScreen())  # built now: lists the main screen's active keys

    def open_quit_confirmation(self) -> None:
        """`q` while an action is in flight: a second `q` within 3 s quits."""
        now = self.clock.monotonic()
        if self._quit_pressed_at is not None and now - self._quit_pressed_at < QUIT_AGAIN_SECONDS:
            self.exit()
            return
        self._quit_pressed_at = now
        waiting = ", ".join(self.in_flight.values())
        self.notify(f"Still in flight: {waiting}. Press q again to quit anyway.",
                    severity="warning")

    def open_mainnet_confirmation(self) -> None:
        """Mainnet: nothing starts until the trader types the network name."""
        try:
            from tui_app.screens.mainnet import MainnetConfirmScreen
        except ImportError:
            # Fail safe: never run on mainnet without the typed confirmation.
            self.exit(return_code=2, message="mainnet confirmation screen missing: refusing")
            return
        screen = MainnetConfirmScreen(self.config.network, address=self.config.address,
                                      read_only=self.config.read_only)
        self.push_screen(screen, self._mainnet_answered)

    def _mainnet_answered(self, confirmed: bool | None) -> None:
        if confirmed:
            self.start_live()
        else:
            self.exit(return_code=1, message="mainnet not confirmed: nothing was done")

    # ------------------------------------------------ controller calls

    def run_controller(
        self,
        key: str,
        description: str,
        call: Callable[[], Awaitable[T]],
        on_result: Callable[[T], None] | None = None,
    ) -> None:
        """Run one controller call in a worker; the result comes back as ActionFinished
        (and `on_result(result)` on the UI thread). `key` marks it in flight."""
        self.in_flight[key] = description
        self.post_message(ActionStarted(key, description))
        self.refresh_bindings()
        self._controller_worker(key, description, call, on_result)

    @work(group="controller", exit_on_error=False)
    async def _controller_worker(
        self,
        key: str,
        description: str,
        call: Callable[[], Awaitable[Any]],
        on_result: Callable[[Any], None] | None,
    ) -> None:
        try:
            result = await call()
        except ControllerError as exc:
            self.post_message(ActionFinished(key, description, error=str(exc)))
        except Exception as exc:  # a bug: say so, keep the app alive and the log full
            log.exception("%s failed", description)
            self.post_message(
                ActionFinished(key, description, error=f"unexpected error: {exc!r}"[:300])
            )
        else:
            if on_result is not None:
                on_result(result)
            self.post_message(ActionFinished(key, description, result=result))

    def on_action_started(self, message: ActionStarted) -> None:
        self._refresh_status_bar()

    def on_action_finished(self, message: ActionFinished) -> None:
        self.in_flight.pop(message.action, None)
        self.refresh_bindings()
        self._refresh_status_bar()
        if message.error is not None:
            self.notify(f"{message.description}: {message.error}", severity="error",
                        timeout=10)
            return
        text = summarize(message.result)
        if text:
            self.notify(text, title=message.description[:1].upper() + message.description[1:])

    def run_cancel(self, order_id: str) -> None:
        """Cancel one order in a worker; the row shows where the cancel stands."""
        if self.controller is None:
            return
        key = f"cancel:{order_id}"
        if key in self.in_flight:
            self.notify("A cancel of this order is already in flight.")
            return
        self.set_order_note(order_id, "cancel sent")
        controller = self.controller
        self.run_controller(
            key, "cancel", lambda: controller.cancel(order_id),
            on_result=self._note_cancel_outcome,
        )

    def run_cancel_all(
        self, scope: CancelScope, on_progress: Callable[..., Any] | None = None
    ) -> None:
        """Cancel-all in a worker. `on_progress` is passed through to the controller (the
        confirmation screen shows n/N with it); every outcome also updates its row."""
        if self.controller is None:
            return
        controller = self.controller

        def progress(*args: Any) -> None:
            for arg in args:
                if isinstance(arg, CancelOutcome):
                    self.call_later(self._note_cancel_outcome, arg)
            if on_progress is not None:
                on_progress(*args)

        for order in self.state.open_orders():
            if _in_scope(order, scope):
                self.order_notes[order.id] = "cancel sent"
        self.run_controller(
            "cancel_all", "cancel all", lambda: controller.cancel_all(scope, progress),
            on_result=lambda report: [self._note_cancel_outcome(o) for o in report.outcomes],
        )

    def run_place(self, request: PlaceRequest) -> None:
        if self.controller is None:
            return
        self._place_counter += 1
        controller = self.controller
        self.run_controller(
            f"place:{self._place_counter}",
            f"place {request.side.lower()} {request.size} {request.market}",
            lambda: controller.place(request),
        )

    def run_close_position(self, market: str) -> None:
        if self.controller is None:
            return
        controller = self.controller
        self.run_controller(f"close:{market}", f"close {market}",
                            lambda: controller.close_position(market))

    def _note_cancel_outcome(self, outcome: CancelOutcome) -> None:
        self.set_order_note(outcome.order_id, CANCEL_NOTES.get(outcome.result))

    # The cancel-all screen reports cancels in batches (tui_app/messages.py). A message
    # only notes, and the rows follow with the next flush (a frame later, with the others,
    # at most ORDER_ROWS_PER_FRAME at a time).
    def on_cancels_requested(self, message: CancelsRequested) -> None:
        for order_id in message.order_ids:
            self._note_for_next_frame(order_id, message.label)

    def on_cancels_finished(self, message: CancelsFinished) -> None:
        for outcome in message.outcomes:
            self._note_for_next_frame(outcome.order_id, CANCEL_NOTES.get(outcome.result))

    def _note_for_next_frame(self, order_id: str, note: str | None) -> None:
        if note is None:
            self.order_notes.pop(order_id, None)
        else:
            self.order_notes[order_id] = note
        self._changes.add_orders((order_id,))

    def on_order_retrying(self, message: OrderRetrying) -> None:
        self.retry_notes.show(message)

    # ----------------------------------------------------------- commands

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            if not isinstance(binding, Binding) or not binding.tooltip:
                continue
            action = binding.action
            if action == "quit":
                continue  # the built-in palette has its own Quit
            yield SystemCommand(
                binding.description, binding.tooltip,
                lambda action=action: self.run_action(action),
            )

    # ------------------------------------------------------- failing safely

    def _fatal_error(self) -> None:
        """An unexpected error: a readable message, no local variables (Textual's default
        report prints them, and a frame may hold something secret). Exit code 1 is set by
        `_handle_exception` before this runs."""
        from rich.console import Group
        from rich.text import Text
        from rich.traceback import Traceback

        self.bell()
        error = self._exception
        log.error("unexpected error, exiting", exc_info=error)
        headline = Text.assemble(
            ("dydx-tui stopped after an unexpected error: ", "bold"),
            f"{type(error).__name__}: {error}" if error else "unknown",
            "\nOpen orders stay on the exchange; restart to see them. "
            f"Details are in the log ({self.config.paths.log_file}).",
        )
        traceback = Traceback(show_locals=False, width=None, max_frames=8)
        self._exit_renderables.append(Group(headline, traceback))
        self._close_messages_no_wait()


CANCEL_NOTES: dict[CancelResult, str | None] = {
    CancelResult.SENT: "cancel sent",
    CancelResult.BEST_EFFORT: "best-effort cancel sent",
    CancelResult.CANCELLED: "cancelled, awaiting indexer",
    CancelResult.ALREADY_DONE: None,
    CancelResult.FAILED: None,
    CancelResult.UNKNOWN: "outcome unknown, reconciling",
}


def _in_scope(order: Any, scope: CancelScope) -> bool:
    data = order.data
    if scope.market is not None and data.ticker != scope.market:
        return False
    if scope.side is not None and data.side != scope.side:
        return False
    return scope.order_ids is None or order.id in scope.order_ids


def summarize(result: object) -> str:
    """One line for a notification about a controller result."""
    if isinstance(result, CancelOutcome | PlaceOutcome):
        return result.message
    if isinstance(result, CancelAllReport):
        return cancel_all_result(result, asked=len(result.outcomes))
    if isinstance(result, ReconcileSummary):
        return (
            f"{result.open_on_indexer} open, {result.settled} settled, "
            f"{result.placed_elsewhere} placed elsewhere"
            + (f", {result.still_unknown} still unknown" if result.still_unknown else "")
        )
    return ""

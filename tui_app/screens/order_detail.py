"""`enter` on an order: its fields, fills, partial-fill figures, metadata and audit trail.

The metadata (everything needed to find or cancel the order by hand: ids, flags,
good-til, tx hashes) can be copied with `y` over OSC 52, which works through SSH.
The store record and audit trail are optional: given directly, or loaded by `loader`
in a worker so that the screen opens at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tui_app.models import Fill
from tui_app.screens.dimmed import DimmedModalScreen
from tui_app.state import TrackedOrder
from tui_app.store.models import AuditEntry, OrderRecord

Loader = Callable[[], Awaitable[tuple[OrderRecord | None, Sequence[AuditEntry]]]]

FLAG_NAMES = {0: "short-term", 32: "conditional", 64: "long-term", 128: "TWAP"}


def _text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def fill_summary(order: TrackedOrder, fills: Sequence[Fill]) -> list[tuple[str, str]]:
    """Filled, remaining, share filled and average fill price."""
    data = order.data
    filled = data.total_filled
    if filled is None and fills:
        filled = sum((f.size for f in fills), Decimal(0))
    rows = [("Filled", _text(filled)), ("Remaining", _text(order.remaining))]
    if data.size and filled is not None:
        share = (filled / data.size * 100).quantize(Decimal("0.1"))
        rows.append(("Filled share", f"{share}%"))
    if fills:
        size = sum((f.size for f in fills), Decimal(0))
        if size:
            average = sum((f.size * f.price for f in fills), Decimal(0)) / size
            # Fixed-point text: normalize() alone writes 61000 as 6.1E+4.
            rows.append(("Average fill price",
                         format(average.quantize(Decimal("1e-8")).normalize(), "f")))
        rows.append(("Fees", _text(sum((f.fee or Decimal(0) for f in fills), Decimal(0)))))
    return rows


def metadata_rows(
    order: TrackedOrder, record: OrderRecord | None, block_height: int | None = None
) -> list[tuple[str, str]]:
    """What identifies the order on chain, from the store record when there is one."""
    data = order.data
    flags = record.order_flags if record is not None else data.order_flags
    gtb = record.good_til_block if record is not None else data.good_til_block
    rows = [
        ("Order id", order.id),
        ("Client id", _text(record.client_id if record is not None else data.client_id)),
        ("Order flags", f"{_text(flags)} ({FLAG_NAMES.get(flags, 'other')})"
         if flags is not None else "-"),
        ("CLOB pair", _text(record.clob_pair_id if record is not None else data.clob_pair_id)),
        ("Subaccount", _text(record.subaccount_number if record is not None
                             else data.subaccount_number)),
    ]
    if gtb is not None:
        left = ""
        if block_height is not None:
            left = f" ({gtb - block_height} blocks left)" if gtb >= block_height else " (passed)"
        rows.append(("Good-til block", f"{gtb}{left}"))
    if record is not None and record.good_til_block_time is not None:
        rows.append(("Good-til time", f"{record.good_til_block_time} (unix s)"))
    elif data.good_til_block_time is not None:
        rows.append(("Good-til time", data.good_til_block_time.isoformat()))
    rows.append(("Client metadata", _text(record.client_metadata if record is not None
                                          else data.client_metadata)))
    if record is not None:
        rows += [
            ("Owner", record.owner),
            ("Place tx", _text(record.tx_hash)),
            ("Cancel tx", _text(record.cancel_tx_hash)),
            ("Store status", record.status.value),
        ]
        if record.last_error:
            rows.append(("Last error", record.last_error))
    return rows


def metadata_text(rows: Sequence[tuple[str, str]]) -> str:
    """Plain `name: value` lines: what `y` copies."""
    return "\n".join(f"{name}: {value}" for name, value in rows)


def _grid(rows: Sequence[tuple[str, str]]) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False, expand=True)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(ratio=1, overflow="fold")
    for name, value in rows:
        table.add_row(name, Text(value))
    return table


class OrderDetailScreen(DimmedModalScreen[None]):
    DEFAULT_CSS = """
    OrderDetailScreen { align: center middle; }
    OrderDetailScreen > #frame {
        width: 100%; max-width: 110; height: 100%; max-height: 40;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    OrderDetailScreen #detail-title { text-style: bold; height: 1; }
    OrderDetailScreen .section { text-style: bold; margin-top: 1; }
    OrderDetailScreen #detail-hint { height: 1; color: $text-muted; }
    """

    BINDINGS = [
        Binding("y", "copy_metadata", "Copy metadata", id="order_detail.copy",
                tooltip="Copy ids, flags, good-til and tx hashes to the clipboard (OSC 52)"),
        Binding("escape,q,enter", "close", "Close", id="order_detail.close",
                tooltip="Back to the orders"),
    ]

    def __init__(
        self,
        order: TrackedOrder,
        fills: Sequence[Fill] = (),
        *,
        record: OrderRecord | None = None,
        audit: Sequence[AuditEntry] = (),
        block_height: int | None = None,
        loader: Loader | None = None,
    ) -> None:
        super().__init__()
        self.order = order
        self.fills = [f for f in fills if f.order_id in (None, order.id)]
        self.record = record
        self.audit = list(audit)
        self.block_height = block_height
        self.loader = loader

    def compose(self) -> ComposeResult:
        data = self.order.data
        with Vertical(id="frame"):
            yield Static(
                f"Order {self.order.id[:8]} · {_text(data.ticker)} {_text(data.side)}",
                id="detail-title", markup=False,
            )
            with VerticalScroll(id="detail-body"):
                yield Static(id="order-fields")
                yield Static("Fills", classes="section")
                yield Static(id="fills")
                yield Static("Metadata", classes="section")
                yield Static(id="metadata")
                yield Static("Audit trail", classes="section")
                yield Static(id="audit")
            yield Static("y copy metadata · Esc close", id="detail-hint")

    def on_mount(self) -> None:
        self.query_one("#detail-body").focus()  # arrows and page keys scroll
        self.refresh_detail()
        if self.loader is not None:
            self.load()

    @work(exclusive=True, group="order_detail", exit_on_error=False)
    async def load(self) -> None:
        assert self.loader is not None
        try:
            record, audit = await self.loader()
        except Exception as error:  # the screen still shows what the feed knows
            self.query_one("#audit", Static).update(
                Text(f"could not read the order store: {error}")
            )
            return
        self.record, self.audit = record, list(audit)
        self.refresh_detail()

    def refresh_detail(self) -> None:
        self.query_one("#order-fields", Static).update(self._order_table())
        self.query_one("#fills", Static).update(self._fills_table())
        self.query_one("#metadata", Static).update(
            _grid(metadata_rows(self.order, self.record, self.block_height))
        )
        self.query_one("#audit", Static).update(self._audit_table())

    def _order_table(self) -> Table:
        data = self.order.data
        flags = []
        if data.post_only:
            flags.append("post-only")
        if data.reduce_only:
            flags.append("reduce-only")
        status = self.order.status.value
        if data.status and data.status != status:
            status += f" (indexer: {data.status})"
        rows = [
            ("Order", f"{_text(data.ticker)} {_text(data.side)} {_text(data.type)}"),
            ("Price", _text(data.price)),
            ("Size", _text(data.size)),
            ("Status", status),
            ("Time in force", _text(data.time_in_force)),
            ("Flags", ", ".join(flags) or "-"),
            ("Created at block", _text(data.created_at_height)),
        ]
        if data.removal_reason:
            rows.append(("Removal reason", data.removal_reason))
        rows += fill_summary(self.order, self.fills)
        return _grid(rows)

    def _fills_table(self) -> Table | Text:
        if not self.fills:
            return Text("no fills seen for this order")
        table = Table(box=None, pad_edge=False, header_style="bold")
        for name in ("Block", "Size", "Price", "Fee", "Liquidity", "Tx"):
            table.add_column(name, no_wrap=name != "Tx")
        for fill in self.fills:
            table.add_row(_text(fill.created_at_height), _text(fill.size), _text(fill.price),
                          _text(fill.fee), _text(fill.liquidity),
                          _text(fill.transaction_hash))
        return table

    def _audit_table(self) -> Table | Text:
        if not self.audit:
            return Text("no audit entries (order not placed from this app, or store not read)")
        table = Table(box=None, pad_edge=False, header_style="bold", expand=True)
        for name in ("When (UTC)", "Action", "Outcome", "Code", "Detail"):
            table.add_column(name, no_wrap=name != "Detail", ratio=1 if name == "Detail" else None)
        for entry in self.audit:
            when = entry.at.strftime("%Y-%m-%d %H:%M:%S") if entry.at else "-"
            detail = entry.detail + (f" tx {entry.tx_hash}" if entry.tx_hash else "")
            table.add_row(when, entry.action.value, entry.outcome.value, _text(entry.code),
                          Text(detail))
        return table

    def metadata(self) -> str:
        return metadata_text(metadata_rows(self.order, self.record, self.block_height))

    def action_copy_metadata(self) -> None:
        # OSC 52: the terminal (even at the far end of SSH) puts it on the clipboard.
        self.app.copy_to_clipboard(self.metadata())
        self.notify("Order metadata copied to the clipboard (OSC 52).", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)

"""`n`: the new-order form, validated as you type, with a preview of notional and margin.

The checks live in `check_order`, a plain function of the form's values and the market,
so every rule can be tested without a terminal. The screen only shows its verdict: the
reason next to each field, the preview, and a submit button disabled while anything is
wrong. It dismisses with a `PlaceRequest` (or None); the caller sends it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from tui_app.chain.quantize import (
    MarketSpec,
    QuantizeError,
    parse_decimal,
    price_to_subticks,
    size_to_quantums,
)
from tui_app.controller.requests import OrderType, PlaceRequest, TimeInForceChoice
from tui_app.models import PerpetualMarket
from tui_app.screens.choice import Choice
from tui_app.screens.dimmed import DimmedModalScreen
from tui_app.widgets.format import duration

FOK_REASON = "not supported by the chain: FOK is deprecated and refused (clob 48); use IOC"


# ----------------------------------------------------------------- the checks (no UI)


@dataclass(frozen=True)
class FormValues:
    market: str | None
    side: str = "BUY"
    order_type: OrderType = OrderType.LIMIT
    size: str = ""
    price: str = ""
    time_in_force: TimeInForceChoice = TimeInForceChoice.GTT
    post_only: bool = False
    reduce_only: bool = False
    # Like dYdX's own front end: a limit order rests on the book, so it is long-term
    # (good-til-time) by default; market and IOC orders are short-term.
    long_term: bool = True


@dataclass(frozen=True)
class Preview:
    notional: Decimal | None = None
    initial_margin: Decimal | None = None
    free_after: Decimal | None = None
    imf: Decimal | None = None
    at_oracle: bool = False  # a market order without a price: valued at the oracle price


@dataclass(frozen=True)
class FormCheck:
    errors: dict[str, str] = field(default_factory=dict)  # field -> why it is refused
    warnings: dict[str, str] = field(default_factory=dict)  # shown, does not block
    preview: Preview = Preview()
    request: PlaceRequest | None = None

    @property
    def valid(self) -> bool:
        return not self.errors and self.request is not None


def market_spec(market: PerpetualMarket) -> MarketSpec | None:
    """The exact units of a market, if the indexer has sent all four numbers."""
    try:
        return MarketSpec(
            ticker=market.ticker or "?",
            atomic_resolution=int(market.atomic_resolution),  # type: ignore[arg-type]
            quantum_conversion_exponent=int(market.quantum_conversion_exponent),  # type: ignore[arg-type]
            step_base_quantums=int(market.step_base_quantums),  # type: ignore[arg-type]
            subticks_per_tick=int(market.subticks_per_tick),  # type: ignore[arg-type]
        )
    except (TypeError, ValueError):
        return None


def _reason(error: QuantizeError) -> str:
    # "size: 1.0005 is not ..." -> "1.0005 is not ...": the field is already beside it.
    text = str(error)
    prefix = f"{error.field}: "
    return text[len(prefix):] if text.startswith(prefix) else text


def _check_number(
    text: str, name: str, market: PerpetualMarket | None, errors: dict[str, str]
) -> Decimal | None:
    """A size or price: strict ASCII decimal, on the step/tick, at least one step."""
    if not text:
        errors[name] = "required"
        return None
    try:
        value = parse_decimal(text, name)
        if market is not None:
            spec = market_spec(market)
            if spec is not None:
                if name == "size":
                    size_to_quantums(value, spec)
                else:
                    price_to_subticks(value, spec)
            else:
                _check_on_step(value, name, market)
    except QuantizeError as error:
        errors[name] = _reason(error)
        return None
    return value


def _check_on_step(value: Decimal, name: str, market: PerpetualMarket) -> None:
    # Fallback when the market lacks its atomic parameters: the human step/tick only.
    step = market.step_size if name == "size" else market.tick_size
    if step is None or step <= 0:
        return
    unit = "step size" if name == "size" else "tick size"
    if value < step:
        what = "order size" if name == "size" else "price"
        raise QuantizeError(name, f"{value} is below the minimum {what} {step}")
    if value % step:
        raise QuantizeError(name, f"{value} is not a multiple of the {unit} {step}")


def check_order(
    values: FormValues,
    market: PerpetualMarket | None,
    free_collateral: Decimal | None = None,
    position_size: Decimal | None = None,
) -> FormCheck:
    """Everything the chain would refuse, said before sending. `position_size` is the
    signed size of the open position in this market (negative when short), if any."""
    errors: dict[str, str] = {}
    warnings: dict[str, str] = {}
    is_market = values.order_type is OrderType.MARKET
    tif = values.time_in_force

    if not values.market:
        errors["market"] = "choose a market"
    elif market is None:
        errors["market"] = f"{values.market} is not a known market"
    elif market.status not in (None, "ACTIVE"):
        errors["market"] = f"{values.market} is {market.status}: not trading"

    size = _check_number(values.size, "size", market, errors)
    price: Decimal | None = None
    if values.price or not is_market:
        # A market order's price is optional: the worst acceptable price.
        price = _check_number(values.price, "price", market, errors)

    # Order-type rules of the chain (protocol notes 3.3), each on the field to change.
    if tif is TimeInForceChoice.FOK:
        errors["time_in_force"] = FOK_REASON
    elif is_market and tif is not TimeInForceChoice.IOC:
        errors["time_in_force"] = "a market order is IOC: it fills now or not at all"
    elif values.long_term and tif is TimeInForceChoice.IOC:
        errors["time_in_force"] = "long-term orders cannot be IOC (chain refuses, clob 3002)"
    if is_market and values.long_term:
        errors["long_term"] = "market orders are short-term"
    if values.post_only:
        if is_market:
            errors["post_only"] = "a market order takes liquidity; post-only never does"
        elif tif is not TimeInForceChoice.GTT:
            errors["post_only"] = "post-only rests on the book: not with IOC/FOK"
    if values.reduce_only:
        if values.long_term or tif is not TimeInForceChoice.IOC:
            errors["reduce_only"] = "only on short-term IOC orders (chain refuses, clob 9003)"
        elif not position_size:
            errors["reduce_only"] = f"no open {values.market} position to reduce"
        elif (position_size > 0) == (values.side == "BUY"):
            held = "long" if position_size > 0 else "short"
            errors["reduce_only"] = f"a {values.side} would increase the {held} position"
        elif size is not None and size > abs(position_size):
            warnings["reduce_only"] = f"larger than the position {abs(position_size)}"

    preview = _preview(values, market, size, price, free_collateral)
    if preview.free_after is not None and preview.free_after < 0 and not values.reduce_only:
        warnings["preview"] = "initial margin exceeds the free collateral: likely refused"

    request = None
    if not errors and size is not None and values.market:
        request = PlaceRequest(
            market=values.market,
            side=values.side,
            size=size,
            price=price,
            order_type=values.order_type,
            time_in_force=tif,
            post_only=values.post_only,
            reduce_only=values.reduce_only,
            long_term=values.long_term,
        )
    return FormCheck(errors, warnings, preview, request)


def _preview(
    values: FormValues,
    market: PerpetualMarket | None,
    size: Decimal | None,
    price: Decimal | None,
    free_collateral: Decimal | None,
) -> Preview:
    at_oracle = False
    basis = price
    if basis is None and values.order_type is OrderType.MARKET and market is not None:
        basis, at_oracle = market.oracle_price, True
    if size is None or basis is None:
        return Preview(free_after=free_collateral)
    notional = size * basis
    imf = market.initial_margin_fraction if market is not None else None
    margin = None if imf is None else notional * imf
    if values.reduce_only:
        margin = Decimal(0)  # reducing a position frees margin, it never takes more
    free_after = None
    if free_collateral is not None and margin is not None:
        free_after = free_collateral - margin
    return Preview(notional, margin, free_after, imf, at_oracle)


def money(value: Decimal | None) -> str:
    """USDC with two decimals and thousands separators; "-" when unknown."""
    if value is None:
        return "-"
    return f"{value.quantize(Decimal('0.01')):,}"


# ------------------------------------------------------------------------ the widgets


NO_YES = [("no", "no"), ("yes", "yes")]


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _show(widget: Static, text: str) -> None:
    """Update a line only when its text changes: each update costs a layout pass, and
    the form revalidates on every key."""
    if widget.content != text:
        widget.update(text)


def _row_label(label: str, *, focused: bool) -> str:
    return f"▶ {label}" if focused else f"  {label}"


FIELDS = (
    "market", "side", "order_type", "size", "price", "time_in_force", "long_term",
    "post_only", "reduce_only",
)


class OrderFormScreen(DimmedModalScreen[PlaceRequest | None]):
    """The form. `markets` maps tickers to the account state's markets; `positions` maps
    tickers to signed position sizes (for the reduce-only checks)."""

    DEFAULT_CSS = """
    OrderFormScreen { align: center middle; }
    OrderFormScreen > #form {
        width: 100%; max-width: 100; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    OrderFormScreen #form-title { text-style: bold; height: 1; margin-bottom: 1; }
    OrderFormScreen .row { height: auto; }
    OrderFormScreen .row > Label { width: 16; margin-right: 1; }
    OrderFormScreen .row.-focused > Label { text-style: bold reverse; }
    OrderFormScreen .row > .field { width: 26; }
    OrderFormScreen .row > Input.field { width: 18; margin-right: 8; }
    OrderFormScreen .row > Select.field { width: 26; }
    OrderFormScreen .reason { width: 1fr; margin-left: 1; color: $text-muted; }
    OrderFormScreen .reason.-error { color: $error; }
    OrderFormScreen .reason.-warning { color: $warning; }
    OrderFormScreen #preview { margin-top: 1; height: auto; }
    OrderFormScreen #preview-warning { color: $warning; height: auto; }
    OrderFormScreen #preview-warning.-empty { display: none; }
    OrderFormScreen #buttons { height: auto; margin-top: 1; }
    OrderFormScreen #buttons Button { margin-right: 1; }
    """

    BINDINGS = [
        Binding("ctrl+s", "submit", "Place", id="order_form.submit",
                tooltip="Send the order (only when every field is valid)"),
        Binding("escape", "close", "Cancel", id="order_form.cancel",
                tooltip="Close the form without placing anything"),
        Binding("down", "app.focus_next", "Next field", show=False),
        Binding("up", "app.focus_previous", "Previous field", show=False),
    ]

    def __init__(
        self,
        markets: Mapping[str, PerpetualMarket],
        *,
        market: str | None = None,
        side: str = "BUY",
        free_collateral: Decimal | None = None,
        positions: Mapping[str, Decimal] | None = None,
        short_term_blocks: int | None = None,
        long_term_seconds: int | None = None,
    ) -> None:
        super().__init__()
        self.markets = dict(markets)
        self.free_collateral = free_collateral
        self.positions = dict(positions or {})
        # The configured lifetimes (trading.*), shown beside the term when known.
        self.short_term_blocks = short_term_blocks
        self.long_term_seconds = long_term_seconds
        tickers = sorted(self.markets)
        if market not in self.markets:
            market = tickers[0] if tickers else None
        self.initial = FormValues(market=market, side=side)
        self.check = FormCheck()

    # ---- layout

    def compose(self) -> ComposeResult:
        v = self.initial
        with Vertical(id="form"):
            yield Static("New order", id="form-title")
            yield from self._row(
                "Market",
                Select(
                    [(t, t) for t in sorted(self.markets)], value=v.market or Select.NULL,
                    allow_blank=v.market is None, compact=True, id="market",
                    classes="field",
                ),
            )
            yield from self._row(
                "Side", Choice([("BUY", "BUY"), ("SELL", "SELL")], v.side, id="side")
            )
            yield from self._row(
                "Type",
                Choice([(t.value, t.value) for t in OrderType], v.order_type.value,
                       id="order_type"),
            )
            yield from self._row(
                "Size", Input(v.size, placeholder="e.g. 0.01", id="size", compact=True,
                              classes="field")
            )
            yield from self._row(
                "Price", Input(v.price, placeholder="limit price", id="price", compact=True,
                               classes="field")
            )
            yield from self._row(
                "Time in force",
                Choice([(t.value, t.value.upper()) for t in TimeInForceChoice],
                       v.time_in_force.value, id="time_in_force"),
            )
            yield from self._row(
                "Term",
                Choice([("short", "short-term"), ("long", "long-term")],
                       "long" if v.long_term else "short", id="long_term"),
            )
            # Yes/no as a Choice, not a Checkbox: its mark reads without colour.
            yield from self._row("Post-only", Choice(NO_YES, _yes_no(v.post_only), id="post_only"))
            yield from self._row(
                "Reduce-only", Choice(NO_YES, _yes_no(v.reduce_only), id="reduce_only")
            )
            yield Static(id="preview")
            yield Static(id="preview-warning")
            with Horizontal(id="buttons"):
                yield Button("Place order (ctrl+s)", variant="primary", id="submit",
                             disabled=True, compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def _row(self, label: str, widget: Widget) -> ComposeResult:
        widget.add_class("field")
        with Horizontal(classes="row"):
            yield Label(_row_label(label, focused=False), name=label)
            yield widget
            yield Static("", id=f"{widget.id}-reason", classes="reason", markup=False)

    def _show_focused_row(self) -> None:
        """Mark the row that has the focus: a ▶ and reverse video on its label, so the
        trader sees where typing goes without relying on colour (NO_COLOR, 256 colours).
        """
        focused = self.focused
        for row in self.query(".row"):
            has_focus = focused is not None and row in focused.ancestors_with_self
            row.set_class(has_focus, "-focused")
            label = row.query_one(Label)
            _show(label, _row_label(label.name or "", focused=has_focus))

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._show_focused_row()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self._show_focused_row()

    def on_mount(self) -> None:
        if getattr(self.app, "cursor_blink", True) is False:
            # The app's deterministic mode (tests, screenshots): a steady cursor.
            for field_ in self.query(Input):
                field_.cursor_blink = False
        self.query_one("#size", Input).focus()
        self.revalidate()

    # ---- reading the form

    def values(self) -> FormValues:
        market = self.query_one("#market", Select).value
        return FormValues(
            market=market if isinstance(market, str) else None,
            side=self.query_one("#side", Choice).value,
            order_type=OrderType(self.query_one("#order_type", Choice).value),
            size=self.query_one("#size", Input).value,
            price=self.query_one("#price", Input).value,
            time_in_force=TimeInForceChoice(self.query_one("#time_in_force", Choice).value),
            post_only=self.query_one("#post_only", Choice).value == "yes",
            reduce_only=self.query_one("#reduce_only", Choice).value == "yes",
            long_term=self.query_one("#long_term", Choice).value == "long",
        )

    def revalidate(self) -> FormCheck:
        values = self.values()
        market = self.markets.get(values.market) if values.market else None
        position = self.positions.get(values.market) if values.market else None
        check = self.check = check_order(values, market, self.free_collateral, position)
        for name in FIELDS:
            reason = self.query_one(f"#{name}-reason", Static)
            error, warning = check.errors.get(name), check.warnings.get(name)
            # A mark as well as a colour, so it reads with NO_COLOR too.
            if error == "required" and not getattr(values, name):
                text = "required"  # an empty field is not a mistake yet: no ✗
            elif error is not None:
                text = f"✗ {error}"
            elif warning is not None:
                text = f"! {warning}"
            else:
                text = self._hint(name, market, values)
            _show(reason, text)
            reason.set_class(error is not None and text != "required", "-error")
            reason.set_class(error is None and warning is not None, "-warning")
        _show(self.query_one("#preview", Static), self._preview_text(check.preview))
        preview_warning = check.warnings.get("preview")
        warning_line = self.query_one("#preview-warning", Static)
        _show(warning_line, f"! {preview_warning}" if preview_warning else "")
        warning_line.set_class(preview_warning is None, "-empty")
        self.query_one("#submit", Button).disabled = not check.valid
        self.refresh_bindings()
        return check

    def _hint(self, name: str, market: PerpetualMarket | None, values: FormValues) -> str:
        # With nothing wrong, say what the field expects.
        if name == "long_term":
            return self._term_hint(values.long_term)
        if market is None:
            return ""
        if name == "size" and market.step_size is not None:
            return f"step {market.step_size}"
        if name == "price":
            tick = f"tick {market.tick_size}" if market.tick_size is not None else ""
            if values.order_type is OrderType.MARKET:
                return "optional: worst price you accept" + (f", {tick}" if tick else "")
            return tick
        return ""

    def _term_hint(self, long_term: bool) -> str:
        if long_term:
            if self.long_term_seconds is None:
                return "good-til-time"
            return f"good-til-time: {duration(self.long_term_seconds)}"
        if self.short_term_blocks is None:
            return "good-til-block"
        return f"good-til-block: {self.short_term_blocks} blocks"

    def _preview_text(self, preview: Preview) -> str:
        basis = " (at oracle price)" if preview.at_oracle else ""
        imf = f" (IMF {preview.imf.normalize()})" if preview.imf is not None else ""
        notional = "-" if preview.notional is None else f"{money(preview.notional)} USDC"
        return (
            f"Notional {notional}{basis}\n"
            f"Initial margin {money(preview.initial_margin)}{imf}   "
            f"Free collateral after {money(preview.free_after)}"
        )

    # ---- events

    def on_input_changed(self, event: Input.Changed) -> None:
        self.revalidate()

    def on_choice_changed(self, event: Choice.Changed) -> None:
        # Set what the type or time in force needs instead of refusing it: a market
        # order is short-term IOC, an IOC order short-term, a limit order long-term GTT
        # (the term stays switchable; the checks say why a combination is refused).
        term = self.query_one("#long_term", Choice)
        if event.choice.id == "order_type":
            tif = self.query_one("#time_in_force", Choice)
            if event.value == OrderType.MARKET:
                tif.value = TimeInForceChoice.IOC.value
                term.value = "short"
            else:
                tif.value = TimeInForceChoice.GTT.value
                term.value = "long"
        elif event.choice.id == "time_in_force":
            term.value = "short" if event.value == TimeInForceChoice.IOC else "long"
        self.revalidate()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.revalidate()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.check.valid:
            self.action_submit()
        else:
            self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "submit":
            self.action_submit()
        else:
            self.action_close()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit" and not self.check.valid:
            return None  # shown greyed out while the form is invalid
        return True

    def disabled_reason(self, action: str) -> str | None:
        """Why ctrl+s does nothing (the app shows it when the key is pressed)."""
        if action != "submit" or self.check.valid:
            return None
        field_, why = next(iter(self.check.errors.items()), ("form", "incomplete"))
        return f"Not placed: {field_.replace('_', ' ')}: {why}"

    def action_submit(self) -> None:
        check = self.revalidate()
        if check.valid:
            self.dismiss(check.request)

    def action_close(self) -> None:
        self.dismiss(None)

"""Pydantic models of the indexer's objects (protocol notes 1.5-1.9, 2).

Field names are snake_case in Python and camelCase on the wire. Unknown extra fields are
ignored (the indexer adds fields over time). Statuses, order types and the like stay plain
strings: a status this version does not know must not make a whole message unreadable, so
the models only flag it (`status_known`) and the state decides what to show.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)
from pydantic.alias_generators import to_camel

from tui_app.models.numbers import Dec, IntText, NonNegDec

Side = Literal["BUY", "SELL"]
PositionSide = Literal["LONG", "SHORT"]
Liquidity = Literal["TAKER", "MAKER"]

# Identifiers and names are short; a megabyte "ticker" is malformed, not a market.
Id = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Name = Annotated[str, StringConstraints(max_length=128)]


class IndexerOrderStatus(StrEnum):
    """Order statuses the indexer's API defines (protocol notes 1.7)."""

    OPEN = "OPEN"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    BEST_EFFORT_CANCELED = "BEST_EFFORT_CANCELED"
    BEST_EFFORT_OPENED = "BEST_EFFORT_OPENED"
    UNTRIGGERED = "UNTRIGGERED"
    ERROR = "ERROR"


KNOWN_ORDER_STATUSES = frozenset(IndexerOrderStatus)


class IndexerModel(BaseModel):
    """Base: camelCase on the wire, snake_case in Python, extra fields ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="ignore",
    )


def _event_id_hex(value: Any) -> Any:
    """Old indexers sent the event id as a serialized Node Buffer; today it is hex text."""
    if isinstance(value, dict) and value.get("type") == "Buffer":
        data = value.get("data")
        if isinstance(data, list) and len(data) <= 64:
            if all(type(b) is int and 0 <= b <= 255 for b in data):
                return bytes(data).hex()
    return value


EventIdHex = Annotated[
    str,
    BeforeValidator(_event_id_hex),
    StringConstraints(pattern=r"^[0-9a-fA-F]{1,128}$"),
]


class IndexerOrder(IndexerModel):
    """An order as the indexer reports it; updates may carry only some fields (1.7)."""

    id: Id
    subaccount_id: Id | None = None
    client_id: IntText | None = None
    clob_pair_id: IntText | None = None
    side: Side | None = None
    size: NonNegDec | None = None
    total_filled: NonNegDec | None = None
    total_optimistic_filled: NonNegDec | None = None
    price: NonNegDec | None = None
    type: Name | None = None
    status: Name | None = None
    time_in_force: Name | None = None
    post_only: StrictBool | None = None
    reduce_only: StrictBool | None = None
    order_flags: IntText | None = None
    good_til_block: IntText | None = None
    good_til_block_time: AwareDatetime | None = None
    created_at_height: IntText | None = None
    updated_at: AwareDatetime | None = None
    updated_at_height: IntText | None = None
    client_metadata: IntText | None = None
    trigger_price: NonNegDec | None = None
    removal_reason: Name | None = None
    ticker: Name | None = None
    subaccount_number: StrictInt | None = None

    @property
    def is_partial(self) -> bool:
        """True when the update lacks what a new order needs (side, size, price, market)."""
        return self.side is None or self.size is None or self.price is None or not self.ticker

    @property
    def status_known(self) -> bool:
        return self.status in KNOWN_ORDER_STATUSES


class Fill(IndexerModel):
    """One side of a match. WebSocket fills name the market `ticker`, REST fills `market`."""

    id: Id
    subaccount_id: Id | None = None
    side: Side
    liquidity: Liquidity
    type: Name | None = None
    clob_pair_id: IntText | None = None
    order_id: Id | None = None
    size: NonNegDec
    price: NonNegDec
    quote_amount: Dec | None = None
    event_id: EventIdHex | None = None
    transaction_hash: Name | None = None
    created_at: AwareDatetime | None = None
    created_at_height: IntText | None = None
    client_metadata: IntText | None = None
    fee: Dec | None = None
    affiliate_rev_share: Dec | None = None
    ticker: Name | None = Field(default=None, validation_alias=AliasChoices("ticker", "market"))
    subaccount_number: StrictInt | None = None


class _PositionFields(IndexerModel):
    market: Name
    status: Name
    side: PositionSide
    size: Dec
    max_size: Dec | None = None
    entry_price: NonNegDec | None = None
    exit_price: NonNegDec | None = None
    realized_pnl: Dec | None = None
    unrealized_pnl: Dec | None = None
    sum_open: Dec | None = None
    sum_close: Dec | None = None
    net_funding: Dec | None = None
    subaccount_number: StrictInt | None = None

    @property
    def signed_size(self) -> Decimal:
        """Size with the sign of the side: snapshots send shorts negative, be sure anyway."""
        return -abs(self.size) if self.side == "SHORT" else abs(self.size)


class PerpetualPosition(_PositionFields):
    """A position in a snapshot or REST answer (`openPerpetualPositions`)."""

    created_at: AwareDatetime | None = None
    created_at_height: IntText | None = None
    closed_at: AwareDatetime | None = None


class PerpetualPositionUpdate(_PositionFields):
    """A position in a `v4_subaccounts` update (no timestamps, carries its id)."""

    address: Name | None = None
    position_id: Id | None = None


class AssetPosition(IndexerModel):
    """A balance; `size` is unsigned and `side` says which way (LONG = positive)."""

    symbol: Name
    side: PositionSide
    size: NonNegDec
    asset_id: IntText | None = None
    subaccount_number: StrictInt | None = None

    @property
    def signed_size(self) -> Decimal:
        return -self.size if self.side == "SHORT" else self.size


class AssetPositionUpdate(AssetPosition):
    address: Name | None = None
    position_id: Id | None = None


class Subaccount(IndexerModel):
    """REST SubaccountResponseObject, the heart of a `v4_subaccounts` snapshot."""

    address: Name
    subaccount_number: StrictInt
    equity: Dec | None = None
    free_collateral: Dec | None = None
    open_perpetual_positions: dict[Name, PerpetualPosition] = Field(default_factory=dict)
    asset_positions: dict[Name, AssetPosition] = Field(default_factory=dict)
    margin_enabled: StrictBool | None = None
    updated_at_height: IntText | None = None
    latest_processed_block_height: IntText | None = None


class SubaccountSnapshot(IndexerModel):
    """`subscribed` contents on `v4_subaccounts`; `{}` when the subaccount does not exist."""

    subaccount: Subaccount | None = None
    orders: tuple[IndexerOrder, ...] = ()
    block_height: IntText | None = None


class ParentSubaccount(IndexerModel):
    address: Name
    parent_subaccount_number: StrictInt
    equity: Dec | None = None
    free_collateral: Dec | None = None
    child_subaccounts: tuple[Subaccount, ...] = ()


class ParentSubaccountSnapshot(IndexerModel):
    subaccount: ParentSubaccount | None = None
    orders: tuple[IndexerOrder, ...] = ()
    block_height: IntText | None = None


class TransferParty(IndexerModel):
    address: Name
    subaccount_number: StrictInt | None = None  # absent for a wallet


class Transfer(IndexerModel):
    sender: TransferParty
    recipient: TransferParty
    symbol: Name
    size: NonNegDec
    type: Name
    transaction_hash: Name | None = None
    created_at: AwareDatetime | None = None
    created_at_height: IntText | None = None


class TradingReward(IndexerModel):
    trading_reward: Dec
    created_at: AwareDatetime | None = None
    created_at_height: IntText | None = None


class SubaccountUpdate(IndexerModel):
    """`channel_data` contents on `v4_subaccounts`: any subset of these (1.6)."""

    perpetual_positions: tuple[PerpetualPositionUpdate, ...] = ()
    asset_positions: tuple[AssetPositionUpdate, ...] = ()
    orders: tuple[IndexerOrder, ...] = ()
    fills: tuple[Fill, ...] = ()
    transfers: Transfer | None = None  # one object despite the plural name
    trading_reward: TradingReward | None = None
    block_height: IntText | None = None


class PerpetualMarket(IndexerModel):
    """A market; in `trading` updates only the changed fields are present."""

    ticker: Name | None = None
    clob_pair_id: IntText | None = None
    market_id: IntText | None = None
    status: Name | None = None
    oracle_price: NonNegDec | None = None
    price_change_24h: Dec | None = Field(default=None, alias="priceChange24H")
    volume_24h: Dec | None = Field(default=None, alias="volume24H")
    trades_24h: IntText | None = Field(default=None, alias="trades24H")
    next_funding_rate: Dec | None = None
    default_funding_rate_1h: Dec | None = Field(default=None, alias="defaultFundingRate1H")
    initial_margin_fraction: NonNegDec | None = None
    maintenance_margin_fraction: NonNegDec | None = None
    open_interest: Dec | None = None
    open_interest_lower_cap: Dec | None = None
    open_interest_upper_cap: Dec | None = None
    base_open_interest: Dec | None = None
    atomic_resolution: IntText | None = None
    quantum_conversion_exponent: IntText | None = None
    tick_size: NonNegDec | None = None
    step_size: NonNegDec | None = None
    step_base_quantums: IntText | None = None
    subticks_per_tick: IntText | None = None
    market_type: Name | None = None


class MarketsSnapshot(IndexerModel):
    markets: dict[Name, PerpetualMarket] = Field(default_factory=dict)


class OraclePrice(IndexerModel):
    oracle_price: NonNegDec
    effective_at: AwareDatetime | None = None
    effective_at_height: IntText | None = None
    market_id: IntText | None = None


class MarketsUpdate(IndexerModel):
    trading: dict[Name, PerpetualMarket] | None = None
    oracle_prices: dict[Name, OraclePrice] | None = None


class OrderbookLevel(IndexerModel):
    price: NonNegDec
    size: NonNegDec


PriceLevel = tuple[NonNegDec, NonNegDec]
"""An update level `[price, size]`: the absolute size at that price; size 0 removes it."""


class OrderbookSnapshot(IndexerModel):
    bids: tuple[OrderbookLevel, ...] = ()
    asks: tuple[OrderbookLevel, ...] = ()


class OrderbookUpdate(IndexerModel):
    bids: tuple[PriceLevel, ...] = ()
    asks: tuple[PriceLevel, ...] = ()


class Trade(IndexerModel):
    id: Id
    side: Side
    size: NonNegDec
    price: NonNegDec
    type: Name | None = None
    created_at: AwareDatetime | None = None
    created_at_height: IntText | None = None


class Trades(IndexerModel):
    """Both the snapshot and the updates of `v4_trades`."""

    trades: tuple[Trade, ...] = ()


class Candle(IndexerModel):
    ticker: Name | None = None
    resolution: Name | None = None
    started_at: AwareDatetime | None = None
    low: NonNegDec | None = None
    high: NonNegDec | None = None
    open: NonNegDec | None = None
    close: NonNegDec | None = None
    base_token_volume: Dec | None = None
    usd_volume: Dec | None = None
    trades: IntText | None = None
    starting_open_interest: Dec | None = None


class Candles(IndexerModel):
    candles: tuple[Candle, ...] = ()


class BlockHeightSnapshot(IndexerModel):
    """Snapshot of `v4_block_height` (REST /v4/height): note `height`, not `blockHeight`."""

    height: IntText
    time: AwareDatetime


class BlockHeightUpdate(IndexerModel):
    block_height: IntText
    time: AwareDatetime

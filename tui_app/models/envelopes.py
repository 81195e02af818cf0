"""The indexer WebSocket envelopes (protocol notes 1.3, 1.9, 1.10).

One class per (type, channel), joined in a union discriminated first by `type` and then by
`channel`, so that pydantic's Rust core picks the right model while it parses the JSON: no
Python dict is built and no second pass is needed on the hot path.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, TypeAdapter

from tui_app.models.indexer import (
    BlockHeightSnapshot,
    BlockHeightUpdate,
    Candle,
    Candles,
    MarketsSnapshot,
    MarketsUpdate,
    Name,
    OrderbookSnapshot,
    OrderbookUpdate,
    ParentSubaccountSnapshot,
    SubaccountSnapshot,
    SubaccountUpdate,
    Trades,
)

CHANNELS = (
    "v4_subaccounts",
    "v4_parent_subaccounts",
    "v4_orderbook",
    "v4_trades",
    "v4_markets",
    "v4_candles",
    "v4_block_height",
)


class Envelope(BaseModel):
    """Fields every server message carries."""

    model_config = ConfigDict(extra="ignore")

    connection_id: Name
    message_id: Annotated[StrictInt, Field(ge=0)]


class Connected(Envelope):
    type: Literal["connected"]


class Unsubscribed(Envelope):
    type: Literal["unsubscribed"]
    channel: Name
    id: Name | None = None


class ErrorMessage(Envelope):
    """`channel`/`id` are set only for a failed subscription's initial fetch."""

    type: Literal["error"]
    message: Annotated[str, Field(max_length=4096)]
    channel: Name | None = None
    id: Name | None = None


class _Subscribed(Envelope):
    type: Literal["subscribed"]
    id: Name | None = None  # absent for v4_markets


class _ChannelData(Envelope):
    type: Literal["channel_data"]
    id: Name | None = None
    version: Name | None = None


class _ChannelBatchData(Envelope):
    type: Literal["channel_batch_data"]
    id: Name | None = None
    version: Name | None = None


# --- v4_subaccounts and v4_parent_subaccounts


class SubaccountsSubscribed(_Subscribed):
    channel: Literal["v4_subaccounts"]
    contents: SubaccountSnapshot


class SubaccountsChannelData(_ChannelData):
    channel: Literal["v4_subaccounts"]
    contents: SubaccountUpdate


class SubaccountsBatchData(_ChannelBatchData):
    channel: Literal["v4_subaccounts"]
    contents: tuple[SubaccountUpdate, ...]


class ParentSubaccountsSubscribed(_Subscribed):
    channel: Literal["v4_parent_subaccounts"]
    contents: ParentSubaccountSnapshot


class ParentSubaccountsChannelData(_ChannelData):
    channel: Literal["v4_parent_subaccounts"]
    contents: SubaccountUpdate
    subaccount_number: StrictInt | None = Field(default=None, alias="subaccountNumber")


class ParentSubaccountsBatchData(_ChannelBatchData):
    channel: Literal["v4_parent_subaccounts"]
    contents: tuple[SubaccountUpdate, ...]
    subaccount_number: StrictInt | None = Field(default=None, alias="subaccountNumber")


# --- v4_markets


class MarketsSubscribed(_Subscribed):
    channel: Literal["v4_markets"]
    contents: MarketsSnapshot


class MarketsChannelData(_ChannelData):
    channel: Literal["v4_markets"]
    contents: MarketsUpdate


class MarketsBatchData(_ChannelBatchData):
    channel: Literal["v4_markets"]
    contents: tuple[MarketsUpdate, ...]


# --- v4_orderbook


class OrderbookSubscribed(_Subscribed):
    channel: Literal["v4_orderbook"]
    contents: OrderbookSnapshot


class OrderbookChannelData(_ChannelData):
    channel: Literal["v4_orderbook"]
    contents: OrderbookUpdate


class OrderbookBatchData(_ChannelBatchData):
    channel: Literal["v4_orderbook"]
    contents: tuple[OrderbookUpdate, ...]


# --- v4_trades


class TradesSubscribed(_Subscribed):
    channel: Literal["v4_trades"]
    contents: Trades


class TradesChannelData(_ChannelData):
    channel: Literal["v4_trades"]
    contents: Trades


class TradesBatchData(_ChannelBatchData):
    channel: Literal["v4_trades"]
    contents: tuple[Trades, ...]


# --- v4_candles


class CandlesSubscribed(_Subscribed):
    channel: Literal["v4_candles"]
    contents: Candles


class CandlesChannelData(_ChannelData):
    channel: Literal["v4_candles"]
    contents: Candle


class CandlesBatchData(_ChannelBatchData):
    channel: Literal["v4_candles"]
    contents: tuple[Candle, ...]


# --- v4_block_height (snapshot and update use different key names)


class BlockHeightSubscribed(_Subscribed):
    channel: Literal["v4_block_height"]
    contents: BlockHeightSnapshot


class BlockHeightChannelData(_ChannelData):
    channel: Literal["v4_block_height"]
    contents: BlockHeightUpdate


class BlockHeightBatchData(_ChannelBatchData):
    channel: Literal["v4_block_height"]
    contents: tuple[BlockHeightUpdate, ...]


Subscribed = Annotated[
    SubaccountsSubscribed
    | ParentSubaccountsSubscribed
    | MarketsSubscribed
    | OrderbookSubscribed
    | TradesSubscribed
    | CandlesSubscribed
    | BlockHeightSubscribed,
    Field(discriminator="channel"),
]
ChannelData = Annotated[
    SubaccountsChannelData
    | ParentSubaccountsChannelData
    | MarketsChannelData
    | OrderbookChannelData
    | TradesChannelData
    | CandlesChannelData
    | BlockHeightChannelData,
    Field(discriminator="channel"),
]
ChannelBatchData = Annotated[
    SubaccountsBatchData
    | ParentSubaccountsBatchData
    | MarketsBatchData
    | OrderbookBatchData
    | TradesBatchData
    | CandlesBatchData
    | BlockHeightBatchData,
    Field(discriminator="channel"),
]
ParsedMessage = Annotated[
    Connected | Unsubscribed | ErrorMessage | Subscribed | ChannelData | ChannelBatchData,
    Field(discriminator="type"),
]
"""Any server message this app understands."""

MESSAGE_ADAPTER: TypeAdapter[ParsedMessage] = TypeAdapter(ParsedMessage)
ENVELOPE_TYPES = (
    "connected",
    "subscribed",
    "channel_data",
    "channel_batch_data",
    "unsubscribed",
    "error",
)

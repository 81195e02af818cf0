"""Typed models of the dYdX v4 indexer's messages, and the parser that never raises.

`numbers` holds the strict Decimal/int field types, `indexer` the objects (orders, fills,
positions, markets...), `envelopes` the WebSocket message types, `parsing` the
`parse_message` entry point and the rejection counter, `rest` the REST answers. No UI code is imported here.
"""

from tui_app.models.envelopes import (
    CHANNELS,
    BlockHeightBatchData,
    BlockHeightChannelData,
    BlockHeightSubscribed,
    CandlesBatchData,
    CandlesChannelData,
    CandlesSubscribed,
    Connected,
    Envelope,
    ErrorMessage,
    MarketsBatchData,
    MarketsChannelData,
    MarketsSubscribed,
    OrderbookBatchData,
    OrderbookChannelData,
    OrderbookSubscribed,
    ParentSubaccountsBatchData,
    ParentSubaccountsChannelData,
    ParentSubaccountsSubscribed,
    ParsedMessage,
    SubaccountsBatchData,
    SubaccountsChannelData,
    SubaccountsSubscribed,
    TradesBatchData,
    TradesChannelData,
    TradesSubscribed,
    Unsubscribed,
)
from tui_app.models.indexer import (
    KNOWN_ORDER_STATUSES,
    AssetPosition,
    AssetPositionUpdate,
    BlockHeightSnapshot,
    BlockHeightUpdate,
    Candle,
    Candles,
    Fill,
    IndexerOrder,
    IndexerOrderStatus,
    MarketsSnapshot,
    MarketsUpdate,
    OraclePrice,
    OrderbookLevel,
    OrderbookSnapshot,
    OrderbookUpdate,
    ParentSubaccount,
    ParentSubaccountSnapshot,
    PerpetualMarket,
    PerpetualPosition,
    PerpetualPositionUpdate,
    PositionSide,
    PriceLevel,
    Side,
    Subaccount,
    SubaccountSnapshot,
    SubaccountUpdate,
    Trade,
    Trades,
    TradingReward,
    Transfer,
    TransferParty,
)
from tui_app.models.numbers import Dec, IntText, NonNegDec, parse_decimal, parse_int
from tui_app.models.rest import (
    ORDERS_RESPONSE,
    FillsResponse,
    HeightResponse,
    MarketsResponse,
    PerpetualPositionsResponse,
    SubaccountResponse,
)
from tui_app.models.parsing import (
    EXCERPT_CHARS,
    MessageRejected,
    RejectCounter,
    RejectReason,
    parse_message,
)

__all__ = [name for name in dir() if not name.startswith("_")]

"""The indexer WebSocket protocol (dYdX's `socks`): channels, ids, envelopes, error texts.

Envelope keys are written in the order socks writes them (type, connection_id, message_id,
channel, id, version, contents); clients must not depend on it, but it costs nothing.
"""

from __future__ import annotations

from tui_app.devnet.accounts import is_valid_address
from tui_app.devnet.types import SubaccountId

from .order_query import OrderQuery
from .store import BLOCK_HEIGHT, MARKETS, ORDERBOOK, SUBACCOUNTS, TRADES, IndexerStore

CANDLES = "v4_candles"
PARENT_SUBACCOUNTS = "v4_parent_subaccounts"

VERSIONS = {
    SUBACCOUNTS: "3.0.0",
    PARENT_SUBACCOUNTS: "3.0.0",
    ORDERBOOK: "1.0.0",
    TRADES: "2.1.0",
    MARKETS: "1.0.0",
    CANDLES: "1.0.0",
    BLOCK_HEIGHT: "1.0.0",
}
# Channels the devnet serves (candles and parent subaccounts are not simulated).
SERVED_CHANNELS = frozenset({SUBACCOUNTS, ORDERBOOK, TRADES, MARKETS, BLOCK_HEIGHT})
# socks' per-connection subscription caps.
SUBSCRIPTION_LIMITS = {
    SUBACCOUNTS: 256,
    PARENT_SUBACCOUNTS: 256,
    ORDERBOOK: 32,
    TRADES: 32,
    MARKETS: 32,
    CANDLES: 32,
    BLOCK_HEIGHT: 1,
}
# Channels without an id; block height's id is normalised to the channel name.
ID_LESS = frozenset({MARKETS, BLOCK_HEIGHT})
MAX_SUBACCOUNT_NUMBER = 128_000
TRADES_SNAPSHOT_LIMIT = 100


def subscription_id(channel: str, raw_id: object) -> str | None:
    """The id a subscription is kept under (None for v4_markets)."""
    if channel == MARKETS:
        return None
    if channel == BLOCK_HEIGHT:
        return BLOCK_HEIGHT
    return raw_id  # type: ignore[return-value]


def valid_id(channel: str, sub_id: str | None, store: IndexerStore) -> bool:
    if channel in ID_LESS:
        return True
    assert sub_id is not None
    if channel == SUBACCOUNTS:
        address, _, number = sub_id.partition("/")
        return (
            is_valid_address(address)
            and number.isdigit()
            and int(number) < MAX_SUBACCOUNT_NUMBER
        )
    return store.market_by_ticker(sub_id) is not None


def snapshot(channel: str, sub_id: str | None, store: IndexerStore) -> dict:
    """The `contents` of a `subscribed` message: what socks fetches from comlink."""
    if channel == SUBACCOUNTS:
        return subaccount_snapshot(sub_id, store)
    if channel == MARKETS:
        return store.markets_object()
    if channel == BLOCK_HEIGHT:
        return store.height_object()
    market = store.market_by_ticker(sub_id)
    if channel == ORDERBOOK:
        return market.orderbook_object()
    trades = list(reversed(market.trades))[:TRADES_SNAPSHOT_LIMIT]
    return {"trades": [market.trade_rest(t) for t in trades]}


def subaccount_snapshot(sub_id: str, store: IndexerStore) -> dict:
    address, _, number = sub_id.partition("/")
    sid = SubaccountId(address, int(number))
    if not store.has_subaccount(sid):
        return {}  # comlink answered 404
    # socks asks comlink twice: open orders, and recent best-effort cancels (the last
    # 20 blocks), and concatenates the two lists.
    records = store.order_records(sid)
    open_orders = OrderQuery(statuses=["OPEN", "UNTRIGGERED", "BEST_EFFORT_OPENED"]).apply(records)
    canceled = OrderQuery(
        statuses=["BEST_EFFORT_CANCELED"], good_til_block_after=max(store.height - 20, 0)
    ).apply(records)
    return {
        "subaccount": store.subaccount_object(sid),
        "orders": [r.rest_object() for r in open_orders + canceled],
        "blockHeight": str(store.height),
    }


# ---- envelopes ---------------------------------------------------------------------------


def _with_channel(body: dict, channel: str, sub_id: str | None) -> dict:
    body["channel"] = channel
    if sub_id is not None:
        body["id"] = sub_id
    return body


def connected(connection_id: str) -> dict:
    return {"type": "connected", "connection_id": connection_id, "message_id": 0}


def subscribed(
    connection_id: str, message_id: int, channel: str, sub_id: str | None, contents: dict
) -> dict:
    body = {"type": "subscribed", "connection_id": connection_id, "message_id": message_id}
    _with_channel(body, channel, sub_id)
    body["contents"] = contents
    return body


def channel_data(
    connection_id: str,
    message_id: int,
    channel: str,
    sub_id: str | None,
    contents: dict | list,
) -> dict:
    kind = "channel_batch_data" if isinstance(contents, list) else "channel_data"
    body = {"type": kind, "connection_id": connection_id, "message_id": message_id}
    _with_channel(body, channel, sub_id)
    body["version"] = VERSIONS[channel]
    body["contents"] = contents
    return body


def unsubscribed(connection_id: str, message_id: int, channel: str, sub_id: str | None) -> dict:
    body = {"type": "unsubscribed", "connection_id": connection_id, "message_id": message_id}
    return _with_channel(body, channel, sub_id)


def error(connection_id: str, message_id: int, message: str) -> dict:
    return {
        "type": "error",
        "message": message,
        "connection_id": connection_id,
        "message_id": message_id,
    }


# ---- error texts (socks' own words) ------------------------------------------------------

COULD_NOT_PARSE = "Invalid message: could not parse"
TYPE_REQUIRED = "Invalid message: type is required"


def invalid_type(kind: object) -> str:
    return f"Invalid message type: {kind}"


def channel_required(kind: str) -> str:
    return f"Invalid {kind} message: channel is required"


def invalid_channel(channel: object) -> str:
    return f"Invalid channel: {channel}"


def invalid_id(sub_id: object) -> str:
    return f"Invalid id: {sub_id}"


def invalid_subscription_id(channel: str, sub_id: object) -> str:
    return f"Invalid subscription id for channel: ({channel}-{sub_id})"


def already_subscribed(channel: str, sub_id: object) -> str:
    return f"Invalid subscribe message: already subscribed ({channel}-{sub_id})"


def limit_reached(channel: str) -> str:
    limit = SUBSCRIPTION_LIMITS[channel]
    return f"Per-connection subscription limit reached for {channel} (limit={limit})."


def could_not_fetch(channel: str) -> str:
    return f"Internal error, could not fetch data for subscription: {channel}."


def too_many_subscribes(channel: str, sub_id: object) -> str:
    return (
        f"Too many subscribe attempts for channel {channel}-{sub_id}. "
        "Please reconnect and try again."
    )


TOO_MANY_INVALID = "Too many invalid messages. Please reconnect and try again."
RATE_LIMITED_REASON = '{"message":"Rate limited"}'
RESTARTING_REASON = '{"message":"Service restarting"}'

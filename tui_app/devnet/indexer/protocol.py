"""The indexer WebSocket protocol (dYdX's `socks`): channels, ids, envelopes, error texts.

Envelope keys are written in the order socks writes them (type, connection_id, message_id,
channel, id, contents for `subscribed`; id before channel, then version, contents and
`subaccountNumber` for data); clients must not depend on it, but it costs nothing.
"""

from __future__ import annotations

from tui_app.devnet.accounts import is_valid_address
from tui_app.devnet.types import SubaccountId

from .candles import RESOLUTIONS
from .order_query import OrderQuery
from .params import MAX_LIMIT
from .parents import (
    parse_js_int,
    parse_parent_number,
    valid_parent_channel_id,
    valid_subaccount_channel_id,
)
from .store import (
    BLOCK_HEIGHT,
    CANDLES,
    MARKETS,
    ORDERBOOK,
    PARENT_SUBACCOUNTS,
    SUBACCOUNTS,
    TRADES,
    IndexerStore,
)

VERSIONS = {
    SUBACCOUNTS: "3.0.0",
    PARENT_SUBACCOUNTS: "3.0.0",
    ORDERBOOK: "1.0.0",
    TRADES: "2.1.0",
    MARKETS: "1.0.0",
    CANDLES: "1.0.0",
    BLOCK_HEIGHT: "1.0.0",
}
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
# socks subtracts this many blocks from the latest height to ask for recent best-effort
# cancels (`goodTilBlockAfter`, at least 1).
BEST_EFFORT_CANCELED_BLOCKS = 20


class CouldNotFetch(Exception):
    """The snapshot's comlink request failed (socks answers `Internal error, could not
    fetch data for subscription: <channel>.`)."""


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
        return valid_subaccount_channel_id(sub_id, MAX_SUBACCOUNT_NUMBER)
    if channel == PARENT_SUBACCOUNTS:
        return valid_parent_channel_id(sub_id)
    if channel == CANDLES:
        ticker, resolution = _candle_id(sub_id)
        return store.market_by_ticker(ticker) is not None and resolution in RESOLUTIONS
    return store.market_by_ticker(sub_id) is not None


def _candle_id(sub_id: str) -> tuple[str, str | None]:
    """socks splits `{ticker}/{resolution}` on "/" and reads the first two parts."""
    parts = sub_id.split("/")
    return parts[0], parts[1] if len(parts) > 1 else None


def snapshot(channel: str, sub_id: str | None, store: IndexerStore) -> dict:
    """The `contents` of a `subscribed` message: what socks fetches from comlink.

    Raises CouldNotFetch where comlink would have answered an error other than 404."""
    if channel == SUBACCOUNTS:
        return subaccount_snapshot(sub_id, store)
    if channel == PARENT_SUBACCOUNTS:
        return parent_subaccount_snapshot(sub_id, store)
    if channel == CANDLES:
        ticker, resolution = _candle_id(sub_id)
        return store.candles_object(ticker, resolution, MAX_LIMIT)
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
    address, raw = sub_id.split("/")
    # comlink's own check (isInt, 0..128000) of what socks let through.
    number = parse_js_int(raw, MAX_SUBACCOUNT_NUMBER + 1)
    if number is None or not is_valid_address(address):
        raise CouldNotFetch(sub_id)  # comlink answered 400
    sid = SubaccountId(address, number)
    if not store.has_subaccount(sid):
        return {}  # comlink answered 404
    records = store.order_records(sid)
    return {
        "subaccount": store.subaccount_object(sid),
        "orders": [r.rest_object() for r in snapshot_orders(records, store.height)],
        "blockHeight": str(store.height),
    }


def snapshot_orders(records: list, height: int) -> list:
    """socks asks comlink twice: open orders, and best-effort cancels of the last 20 blocks,
    and concatenates the two lists."""
    open_orders = OrderQuery(statuses=["OPEN", "UNTRIGGERED", "BEST_EFFORT_OPENED"]).apply(records)
    canceled = OrderQuery(
        statuses=["BEST_EFFORT_CANCELED"],
        good_til_block_after=max(height - BEST_EFFORT_CANCELED_BLOCKS, 1),
    ).apply(records)
    return open_orders + canceled


def parent_subaccount_snapshot(sub_id: str, store: IndexerStore) -> dict:
    """`/v4/addresses/{a}/parentSubaccountNumber/{p}` plus the parent's orders
    (`/v4/orders/parentSubaccountNumber`, twice as for a subaccount)."""
    address, number = sub_id.split("/")
    parent = parse_parent_number(number)
    if parent is None or not is_valid_address(address):
        raise CouldNotFetch(sub_id)  # comlink answered 400
    subaccount = store.parent_subaccount_object(address, parent)
    if subaccount is None:
        return {}  # comlink answered 404
    records = [
        r for sid in store.child_subaccount_ids(address, parent) for r in store.order_records(sid)
    ]
    return {
        "subaccount": subaccount,
        "orders": [r.rest_object() for r in snapshot_orders(records, store.height)],
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
    subaccount_number: int | None = None,
) -> dict:
    """`channel_data` (or `channel_batch_data` for a list); socks writes `id` before
    `channel` here, and `subaccountNumber` (the child) last on v4_parent_subaccounts."""
    kind = "channel_batch_data" if isinstance(contents, list) else "channel_data"
    body: dict = {"type": kind, "connection_id": connection_id, "message_id": message_id}
    if sub_id is not None:
        body["id"] = sub_id
    body["channel"] = channel
    body["version"] = VERSIONS[channel]
    body["contents"] = contents
    if subaccount_number is not None:
        body["subaccountNumber"] = subaccount_number
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
    # Two spaces before "reconnect": socks joins "... Please " and " reconnect ...".
    return (
        f"Too many subscribe attempts for channel {channel}-{sub_id}. Please "
        " reconnect and try again."
    )


TOO_MANY_INVALID = "Too many invalid messages. Please reconnect and try again."
RATE_LIMITED_REASON = '{"message":"Rate limited"}'
RESTARTING_REASON = '{"message":"Service restarting"}'

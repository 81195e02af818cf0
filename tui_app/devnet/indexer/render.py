"""Indexer objects as dicts: the exact keys and value types dYdX's indexer sends.

Pure functions from the chain's domain objects to JSON-ready dicts, shared by REST and
WebSocket. Numbers are strings built from ints/Decimals (never floats), except the few
fields the real indexer sends as JSON numbers (`subaccountNumber`, `atomicResolution`,
`trades24H`, `marketId`...). Times are ISO-8601 UTC with milliseconds and `Z`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from tui_app.devnet.markets import MarketParams, format_decimal
from tui_app.devnet.params import FLAG_SHORT_TERM, QUOTE_ATOMIC_RESOLUTION, USDC_ASSET_ID
from tui_app.devnet.types import Fill, Order, Side, TimeInForce

from . import ids


def iso(time: datetime) -> str:
    """`2024-08-12T14:06:01.172Z` (JavaScript's Date.toISOString)."""
    utc = time.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def unix_iso(seconds: int) -> str:
    return iso(datetime.fromtimestamp(seconds, tz=UTC))


def usdc(quote_quantums: int) -> str:
    return format_decimal(Decimal(quote_quantums).scaleb(QUOTE_ATOMIC_RESOLUTION))


def dec(value: Decimal) -> str:
    return format_decimal(value)


def side_name(side: Side) -> str:
    return "BUY" if side is Side.BUY else "SELL"


# ---- orders ----------------------------------------------------------------------------

# Post-only is reported as GTT plus `postOnly: true`; FOK is deprecated but still named.
_TIME_IN_FORCE = {
    TimeInForce.UNSPECIFIED: "GTT",
    TimeInForce.POST_ONLY: "GTT",
    TimeInForce.IOC: "IOC",
    TimeInForce.FILL_OR_KILL: "FOK",
}
# Proto ConditionType: 1 STOP_LOSS, 2 TAKE_PROFIT.
_CONDITIONAL_TYPE = {1: "STOP_LIMIT", 2: "TAKE_PROFIT"}


def order_type(order: Order) -> str:
    return _CONDITIONAL_TYPE.get(order.condition_type, "LIMIT")


def order_base(order: Order, market: MarketParams, status: str) -> dict:
    """The fields every full order message carries (the off-chain, best-effort shape)."""
    oid = order.order_id
    body = {
        "id": ids.order_uuid_of(oid),
        "subaccountId": ids.subaccount_uuid_of(oid.subaccount),
        "clientId": str(oid.client_id),
        "clobPairId": str(oid.clob_pair_id),
        "side": side_name(order.side),
        "size": dec(market.quantums_to_size(order.quantums)),
        "price": dec(market.subticks_to_price(order.subticks)),
        "type": order_type(order),
        "status": status,
        "timeInForce": _TIME_IN_FORCE[order.time_in_force],
        "postOnly": order.post_only,
        "reduceOnly": order.reduce_only,
        "orderFlags": str(oid.order_flags),
        "clientMetadata": str(order.client_metadata),
        "ticker": market.ticker,
    }
    # Short-term orders carry goodTilBlock, stateful ones goodTilBlockTime.
    if oid.order_flags == FLAG_SHORT_TERM:
        body["goodTilBlock"] = str(order.good_til_block)
    else:
        body["goodTilBlockTime"] = unix_iso(order.good_til_block_time)
    return body


def good_til_both(order: Order) -> dict:
    """Block-processor messages name both expiry fields, one of them null."""
    short = order.order_id.order_flags == FLAG_SHORT_TERM
    return {
        "goodTilBlock": str(order.good_til_block) if short else None,
        "goodTilBlockTime": None if short else unix_iso(order.good_til_block_time),
    }


def trigger_price(order: Order, market: MarketParams) -> str | None:
    if not order.condition_type:
        return None
    return dec(market.subticks_to_price(order.conditional_order_trigger_subticks))


def total_filled(order: Order, market: MarketParams) -> str:
    return dec(market.quantums_to_size(order.filled_quantums))


# ---- fills -----------------------------------------------------------------------------


def liquidity(fill: Fill) -> str:
    return "TAKER" if fill.is_taker else "MAKER"


def fill_ws(fill: Fill, market: MarketParams) -> dict:
    """A fill as `v4_subaccounts` sends it."""
    event_id = ids.event_id_hex(fill.event_id)
    body = {
        "id": ids.fill_uuid(event_id, liquidity(fill)),
        "subaccountId": ids.subaccount_uuid_of(fill.subaccount),
        "side": side_name(fill.side),
        "liquidity": liquidity(fill),
        "type": "LIMIT",
        "clobPairId": str(fill.clob_pair_id),
        "size": dec(market.quantums_to_size(fill.quantums)),
        "price": dec(market.subticks_to_price(fill.subticks)),
        "quoteAmount": usdc(fill.quote_quantums),
        "eventId": event_id,
        "transactionHash": fill.tx_hash,
        "createdAt": iso(fill.time),
        "createdAtHeight": str(fill.height),
        "clientMetadata": str(fill.client_metadata),
        "fee": usdc(fill.fee_quote_quantums),
        "affiliateRevShare": "0",
        "ticker": market.ticker,
    }
    if fill.order_id is not None:
        body["orderId"] = ids.order_uuid_of(fill.order_id)
    return body


def fill_rest(fill: Fill, market: MarketParams) -> dict:
    """A fill as REST `/v4/fills` returns it: `market`, no quoteAmount/eventId/txHash."""
    event_id = ids.event_id_hex(fill.event_id)
    body = {
        "id": ids.fill_uuid(event_id, liquidity(fill)),
        "side": side_name(fill.side),
        "liquidity": liquidity(fill),
        "type": "LIMIT",
        "market": market.ticker,
        "marketType": "PERPETUAL",
        "price": dec(market.subticks_to_price(fill.subticks)),
        "size": dec(market.quantums_to_size(fill.quantums)),
        "fee": usdc(fill.fee_quote_quantums),
        "affiliateRevShare": "0",
        "createdAt": iso(fill.time),
        "createdAtHeight": str(fill.height),
        "clientMetadata": str(fill.client_metadata),
        "subaccountNumber": fill.subaccount.number,
    }
    if fill.order_id is not None:
        body["orderId"] = ids.order_uuid_of(fill.order_id)
    return body


# ---- asset positions -------------------------------------------------------------------


def asset_position_rest(usdc_quantums: int, subaccount_number: int) -> dict:
    """USDC balance: LONG when positive, SHORT when negative; `size` unsigned."""
    return {
        "symbol": "USDC",
        "side": "LONG" if usdc_quantums >= 0 else "SHORT",
        "size": usdc(abs(usdc_quantums)),
        "assetId": str(USDC_ASSET_ID),
        "subaccountNumber": subaccount_number,
    }


def asset_position_ws(usdc_quantums: int, address: str, subaccount_number: int) -> dict:
    subaccount_id = ids.subaccount_uuid(address, subaccount_number)
    return {
        "address": address,
        "subaccountNumber": subaccount_number,
        "positionId": ids.asset_position_uuid(subaccount_id, USDC_ASSET_ID),
        "assetId": str(USDC_ASSET_ID),
        "symbol": "USDC",
        "side": "LONG" if usdc_quantums >= 0 else "SHORT",
        "size": usdc(abs(usdc_quantums)),
    }


# ---- markets ---------------------------------------------------------------------------


def market_static(market: MarketParams) -> dict:
    """The parameters of a perpetual market (what never changes while the devnet runs)."""
    return {
        "clobPairId": str(market.clob_pair_id),
        "ticker": market.ticker,
        "status": "ACTIVE",
        "initialMarginFraction": dec(market.initial_margin_fraction),
        "maintenanceMarginFraction": dec(market.maintenance_margin_fraction),
        "atomicResolution": market.atomic_resolution,
        "quantumConversionExponent": market.quantum_conversion_exponent,
        "tickSize": dec(market.tick_size),
        "stepSize": dec(market.step_size),
        "stepBaseQuantums": market.step_base_quantums,
        "subticksPerTick": market.subticks_per_tick,
        "marketType": market.market_type,
        "openInterestLowerCap": market.open_interest_lower_cap,
        "openInterestUpperCap": market.open_interest_upper_cap,
        "defaultFundingRate1H": "0",
    }

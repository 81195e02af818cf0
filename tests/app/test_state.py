"""AccountState: snapshots and deltas, the app's order statuses, PnL, resync, changes."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.app.builders import (
    ADDRESS,
    Frames,
    fill,
    order,
    order_id,
    position,
)
from tests.app.conftest import sample_bytes, sample_json
from tui_app.models import IndexerOrder, parse_message
from tui_app.state import (
    AccountState,
    BalanceChanged,
    BlockHeightChanged,
    FillRecorded,
    MarketChanged,
    OrderBookChanged,
    OrderChanged,
    OrderStatus,
    PositionChanged,
    ResyncRequested,
    StateReset,
    pending_order,
)

D = Decimal


@pytest.fixture
def frames() -> Frames:
    return Frames()


@pytest.fixture
def state(frames: Frames) -> AccountState:
    state = AccountState(ADDRESS, 0)
    state.apply(frames.connected())
    state.apply(frames.markets({"ETH-USD": "2500", "BTC-USD": "60000"}))
    state.apply(frames.snapshot(block_height=100))
    return state


def status(state: AccountState, client_id: int, flags: int = 0) -> OrderStatus:
    tracked = state.order(order_id(client_id, flags))
    assert tracked is not None
    return tracked.status


# ------------------------------------------------------------------ real samples


def captured(name: str, message_id: int, connection: str = "c1"):
    """A captured frame renumbered onto one connection (they come from several sessions)."""
    data = sample_json(name)
    data["message_id"] = message_id
    data["connection_id"] = connection
    return parse_message(json.dumps(data))


def test_captured_snapshot_then_updates_give_the_right_statuses():
    state = AccountState(ADDRESS, 0)
    snapshot = sample_json("v4_subaccounts_subscribed.json")
    snapshot["id"] = f"{ADDRESS}/0"  # the capture's id was anonymised (see README)
    snapshot["connection_id"] = "c1"
    state.apply(parse_message(json.dumps(snapshot)))
    assert state.snapshot_received and state.usdc_balance == D("11.623325")
    assert state.equity == D("11.623325") and state.block_height == 22079023
    # An IOC order from 2024-08-01 whose GTB is long past: expired, not open.
    assert state.order("05009670-3fba-5ec7-8447-efb81a03cd9f").status is OrderStatus.EXPIRED

    state = AccountState(ADDRESS, 0)
    state.apply(captured("v4_subaccounts_channel_data_order_open_long_term.json", 1))
    long_term = state.order("e628b62f-2623-5192-a22f-d9ce042bd5be")
    assert long_term.status is OrderStatus.OPEN and not long_term.best_effort
    state.apply(captured("v4_subaccounts_channel_data_order_canceled.json", 2))
    assert long_term.id in state.orders
    assert state.order(long_term.id).status is OrderStatus.CANCELED

    state.apply(captured("v4_subaccounts_channel_data_order_best_effort_opened.json", 3))
    opened = state.order("09a4bd71-66b5-5eb6-886f-8c91b0e6d7bf")
    assert opened.status is OrderStatus.OPEN and opened.best_effort

    state.apply(captured("v4_subaccounts_channel_data_order_best_effort_canceled.json", 4))
    canceled = state.order("1a28b05a-eb97-5945-a786-12ba7320eb30")
    assert canceled.status is OrderStatus.BEST_EFFORT_CANCELED
    assert not canceled.status.is_final and canceled.status.is_live

    changes = state.apply(captured("v4_subaccounts_channel_data_fill.json", 5))
    filled = state.order("70dbcf99-214e-54f5-9ddd-3c5e1a46b95e")
    assert filled.status is OrderStatus.FILLED
    assert {FillRecorded("ETH-USD"), PositionChanged("ETH-USD"), OrderChanged(filled.id)} <= set(
        changes
    )
    assert len(state.fills()) == 2
    assert state.positions["ETH-USD"].signed_size == D("0.005")
    # Two taker buys of 0.001 at 2620.1 and 2624.7: nothing realized, fees paid.
    assert state.realized_pnl("ETH-USD") == -(D("0.001311") + D("0.001313"))
    assert state.needs_resync is False and state.apply_errors == 0


# ------------------------------------------------------------------ lifecycle


def test_partially_filled_then_filled(state, frames):
    state.apply(frames.subaccount(orders=[order(1, size="2", filled="0")]))
    assert status(state, 1) is OrderStatus.OPEN
    state.apply(frames.subaccount(orders=[order(1, size="2", filled="0.5")]))
    assert status(state, 1) is OrderStatus.PARTIALLY_FILLED
    assert state.order(order_id(1)).remaining == D("1.5")
    state.apply(frames.subaccount(orders=[order(1, size="2", filled="2", status="FILLED")]))
    assert status(state, 1) is OrderStatus.FILLED and status(state, 1).is_final


def test_expiry_by_removal_reason_and_by_block_height(state, frames):
    state.apply(
        frames.subaccount(
            orders=[
                order(1, flags=64, status="CANCELED", removalReason="ORDER_REMOVAL_REASON_EXPIRED"),
                order(2, gtb=105),
                order(
                    3,
                    gtb=105,
                    status="BEST_EFFORT_CANCELED",
                    removalReason="ORDER_REMOVAL_REASON_USER_CANCELED",
                ),
                order(4, flags=64),  # long-term: block height does not expire it
            ]
        )
    )
    assert status(state, 1, 64) is OrderStatus.EXPIRED
    assert status(state, 2) is OrderStatus.OPEN
    assert status(state, 3) is OrderStatus.BEST_EFFORT_CANCELED
    assert state.apply(frames.block(105)) == (BlockHeightChanged(),)  # GTB 105 still valid
    changes = state.apply(frames.block(106))
    assert set(changes) == {
        BlockHeightChanged(),
        OrderChanged(order_id(2)),
        OrderChanged(order_id(3)),
    }
    assert status(state, 2) is OrderStatus.EXPIRED
    assert status(state, 3) is OrderStatus.CANCELED  # final once no block can fill it
    assert status(state, 4, 64) is OrderStatus.OPEN


def test_heights_only_move_forward(state, frames):
    state.apply(frames.block(200))
    state.apply(frames.subaccount(blockHeight="150"))
    assert state.block_height == 200


def test_pending_then_seen_then_partial_update(state, frames):
    pending = IndexerOrder.model_validate(order(7, gtb=110))
    state.add_pending(pending)
    assert status(state, 7) is OrderStatus.PENDING and status(state, 7).is_live
    # The indexer's first word may be partial; the order is known, so it merges.
    state.apply(frames.subaccount(orders=[{"id": order_id(7), "status": "BEST_EFFORT_OPENED"}]))
    tracked = state.order(order_id(7))
    assert tracked.status is OrderStatus.OPEN and tracked.seen
    assert tracked.data.size == D("0.003") and tracked.data.side == "BUY"
    assert not state.needs_resync
    # A later removal merges over the full order and keeps its fields.
    state.apply(
        frames.subaccount(
            orders=[
                {
                    "id": order_id(7),
                    "status": "BEST_EFFORT_CANCELED",
                    "totalOptimisticFilled": "0.001",
                    "removalReason": "ORDER_REMOVAL_REASON_USER_CANCELED",
                }
            ]
        )
    )
    tracked = state.order(order_id(7))
    assert tracked.status is OrderStatus.BEST_EFFORT_CANCELED
    assert tracked.data.price == D("2500") and tracked.data.total_optimistic_filled == D("0.001")


def test_rejected_with_reason_and_indexer_wins(state, frames):
    state.add_pending(IndexerOrder.model_validate(order(8)))
    assert state.mark_rejected(order_id(8), "clob 2001: reduce-only would increase position")
    tracked = state.order(order_id(8))
    assert tracked.status is OrderStatus.REJECTED and "2001" in tracked.reject_reason
    assert not state.mark_rejected("no-such-order", "x")
    state.apply(frames.subaccount(orders=[order(9)]))
    assert not state.mark_rejected(order_id(9), "too late: the indexer has it")
    assert status(state, 9) is OrderStatus.OPEN


def test_pending_short_term_order_never_seen_expires(state, frames):
    state.add_pending(IndexerOrder.model_validate(order(10, gtb=101)))
    state.apply(frames.block(102))
    assert status(state, 10) is OrderStatus.EXPIRED


def test_unknown_status_is_kept_and_flagged(state, frames):
    state.apply(frames.subaccount(orders=[order(11, status="PARTIALLY_TELEPORTED")]))
    tracked = state.order(order_id(11))
    assert tracked.status is OrderStatus.UNKNOWN and tracked.status_unknown
    assert tracked.indexer_status == "PARTIALLY_TELEPORTED"
    assert state.unknown_statuses == 1 and not state.needs_resync


# ------------------------------------------------------------------ PnL


def test_pnl_worked_example_with_partial_fills(state, frames):
    """Buy 2 in two partial fills, sell 1.5 in two partial fills, mark at the oracle.

    buys:  0.5 @ 100 (fee 0.05), 1.5 @ 108 (fee 0.10)  -> long 2 @ 106
    sells: 0.5 @ 120 (fee 0.03), 1.0 @ 101 (fee 0.06)  -> realized 0.5x14 - 1.0x5 = 2
    fees 0.24 -> realized net 1.76; left long 0.5 @ 106
    oracle 110 -> unrealized 0.5 x (110 - 106) = 2; oracle 104 -> -1
    """
    state.apply(frames.oracle("ETH-USD", "110"))
    state.apply(
        frames.subaccount(
            orders=[order(1, size="2", filled="0.5", price="110")],
            fills=[fill("BUY", "0.5", "100", fee="0.05", client_id=1)],
            perpetualPositions=[position("0.5", "100")],
        )
    )
    assert status(state, 1) is OrderStatus.PARTIALLY_FILLED
    state.apply(
        frames.subaccount(
            orders=[order(1, size="2", filled="2", price="110", status="FILLED")],
            fills=[fill("BUY", "1.5", "108", fee="0.10", client_id=1)],
            perpetualPositions=[position("2", "106")],
        )
    )
    assert status(state, 1) is OrderStatus.FILLED
    assert state.realized_pnl("ETH-USD") == D("-0.15")
    state.apply(
        frames.subaccount(
            orders=[order(2, side="SELL", size="1.5", filled="0.5", price="100")],
            fills=[fill("SELL", "0.5", "120", fee="0.03", client_id=2)],
        )
    )
    state.apply(
        frames.subaccount(
            orders=[order(2, side="SELL", size="1.5", filled="1.5", price="100", status="FILLED")],
            fills=[fill("SELL", "1.0", "101", fee="0.06", client_id=2)],
            perpetualPositions=[position("0.5", "106", realized="1.76")],
        )
    )
    pnl = state.market_pnl("ETH-USD")
    assert pnl.realized == D("2") and pnl.fees == D("0.24") and pnl.fill_count == 4
    assert pnl.position == D("0.5") and pnl.entry_price == D("106")
    assert state.realized_pnl("ETH-USD") == D("1.76")
    assert state.unrealized_pnl("ETH-USD") == D("2")
    view = state.position_view("ETH-USD")
    assert view.size == D("0.5") and view.indexer_realized_pnl == D("1.76")
    assert view.unrealized_pnl == D("2") and view.oracle_price == D("110")

    changes = state.apply(frames.oracle("ETH-USD", "104"))
    assert set(changes) == {MarketChanged("ETH-USD"), PositionChanged("ETH-USD")}
    assert state.unrealized_pnl("ETH-USD") == D("-1")
    assert state.total_unrealized_pnl() == D("-1")
    assert state.estimated_equity() == D("1000") + D("0.5") * D("104")


def test_short_position_unrealized_pnl_and_close(state, frames):
    state.apply(frames.snapshot(positions={"BTC-USD": position("-0.1", "61000", market="BTC-USD")}))
    assert state.positions["BTC-USD"].signed_size == D("-0.1")
    assert state.unrealized_pnl("BTC-USD") == D("-0.1") * (D("60000") - D("61000"))
    state.apply(
        frames.subaccount(
            fills=[fill("BUY", "0.1", "59000", market="BTC-USD")],
            perpetualPositions=[
                position("0", "61000", market="BTC-USD", side="SHORT", status="CLOSED")
            ],
        )
    )
    assert "BTC-USD" not in state.positions
    assert state.realized_pnl("BTC-USD") == D("200")  # 0.1 x (61000 - 59000), short
    assert state.position_view("BTC-USD") is None


def test_fills_are_deduplicated_and_bounded(frames):
    state = AccountState(ADDRESS, 0, fill_history=3)
    state.apply(frames.snapshot())
    fills = [fill("BUY", "1", "100") for _ in range(5)]
    state.apply(frames.subaccount(fills=fills))
    state.apply(frames.subaccount(fills=fills[-2:]))  # replayed: not counted again
    assert [f.id for f in state.fills()] == [f["id"] for f in fills[-3:]]
    assert state.market_pnl("ETH-USD").fill_count == 5


def test_balance_from_asset_position_updates(state, frames):
    changes = state.apply(
        frames.subaccount(
            assetPositions=[
                {
                    "address": ADDRESS,
                    "subaccountNumber": 0,
                    "positionId": "x",
                    "assetId": "0",
                    "symbol": "USDC",
                    "side": "SHORT",
                    "size": "12.5",
                }
            ]
        )
    )
    assert BalanceChanged() in changes and state.usdc_balance == D("-12.5")


# ------------------------------------------------------------------ resync


def test_snapshot_after_resync_drops_stale_orders_and_positions(state, frames):
    state.apply(
        frames.subaccount(
            orders=[order(1), order(2, flags=64)],
            perpetualPositions=[position("1", "2400")],
        )
    )
    state.add_pending(IndexerOrder.model_validate(order(3, gtb=150)))
    assert len(state.orders) == 3
    # Reconnect: the fresh snapshot knows only order 2; order 1 went away meanwhile.
    state.apply(frames.connected())
    changes = state.apply(
        frames.snapshot(orders=[order(2, flags=64, filled="0.001")], usdc="900", block_height=140)
    )
    assert StateReset() in changes
    assert set(state.orders) == {order_id(2, 64), order_id(3)}
    assert status(state, 2, 64) is OrderStatus.PARTIALLY_FILLED
    assert status(state, 3) is OrderStatus.PENDING  # sent by us, never seen: kept
    assert state.positions == {} and state.usdc_balance == D("900")
    assert state.block_height == 140


def test_gap_in_message_ids_requests_a_resync(state, frames):
    state.apply(frames.subaccount(message_id=10, orders=[order(1)]))  # ids 4..9 missing
    assert state.needs_resync
    assert "missing" in state.resync_reasons[0]
    changes = state.apply(frames.subaccount(message_id=11, orders=[order(2)]))
    assert not any(isinstance(c, ResyncRequested) for c in changes)  # reported once
    state.apply(frames.snapshot())
    assert not state.needs_resync and state.resync_reasons == []


def test_gap_emits_resync_requested_to_listeners(state, frames):
    received = []
    state.subscribe(received.append)
    state.apply(frames.subaccount(message_id=50))
    # The fixture used ids 0-2 (connected, markets, snapshot).
    assert received == [ResyncRequested("47 message id(s) from 3 missing before 50")]


def test_subscribed_after_data_is_not_a_gap():
    frames = Frames()
    state = AccountState(ADDRESS, 0)
    state.apply(frames.connected())
    state.note_request_sent(2)  # subscribe v4_markets (id 1), then v4_subaccounts (id 2)
    state.apply(frames.markets({"ETH-USD": "2500"}))  # id 1
    # The subaccount snapshot is fetched asynchronously: an oracle update (id 3) overtakes it.
    state.apply(
        frames.parse(
            {
                "type": "channel_data",
                "channel": "v4_markets",
                "contents": {"oraclePrices": {"ETH-USD": {"oraclePrice": "2501"}}},
            },
            message_id=3,
        )
    )
    assert not state.needs_resync
    state.apply(
        frames.parse(
            {
                "type": "subscribed",
                "channel": "v4_subaccounts",
                "id": f"{ADDRESS}/0",
                "contents": {},
            },
            message_id=2,
        )
    )
    oracle = {"oraclePrices": {"ETH-USD": {"oraclePrice": "2502"}}}
    state.apply(  # id 4... numbering continues (frames.oracle() would repeat id 2)
        frames.parse({"type": "channel_data", "channel": "v4_markets", "contents": oracle},
                     message_id=4)
    )
    assert not state.needs_resync
    state.apply(frames.subaccount(message_id=9))  # but a real hole is still a gap
    assert state.needs_resync


def test_without_the_hint_a_late_response_is_a_gap():
    frames = Frames()
    state = AccountState(ADDRESS, 0)
    state.apply(frames.connected())
    state.apply(frames.markets({"ETH-USD": "2500"}))  # id 1
    state.apply(frames.oracle("ETH-USD", "2501"))  # id 2, then id 4 with 3 never seen
    state.apply(frames.subaccount(message_id=4))
    assert state.needs_resync


def test_new_connection_restarts_the_count(state):
    other = Frames("another-connection")
    state.apply(other.connected())
    state.apply(other.snapshot())
    state.apply(other.subaccount(orders=[order(1)]))
    assert not state.needs_resync


def test_partial_update_for_unknown_order_requests_a_resync(state, frames):
    state.apply(
        frames.subaccount(
            orders=[
                {
                    "id": order_id(99),
                    "status": "CANCELED",
                    "clientId": "99",
                    "clobPairId": "1",
                    "orderFlags": "0",
                    "ticker": "ETH-USD",
                    "removalReason": "ORDER_REMOVAL_REASON_EXPIRED",
                }
            ]
        )
    )
    assert state.needs_resync and order_id(99) not in state.orders


def test_full_update_for_unknown_order_is_a_new_order(state, frames):
    state.apply(frames.subaccount(orders=[order(42)]))
    assert status(state, 42) is OrderStatus.OPEN and not state.needs_resync


def test_rejected_subaccount_frame_requests_a_resync(state):
    bad = parse_message(
        b'{"type":"channel_data","channel":"v4_subaccounts","message_id":4,'
        b'"connection_id":"c","contents":{"orders":[{"id":"x","size":"NaN"}]}}'
    )
    state.apply(bad)
    assert state.needs_resync and state.rejected_messages == 1


def test_messages_for_another_subaccount_are_ignored(state, frames):
    message = frames.parse(
        {
            "type": "channel_data",
            "channel": "v4_subaccounts",
            "id": f"{ADDRESS}/1",
            "contents": {"orders": [order(5)]},
        }
    )
    state.apply(message)
    assert order_id(5) not in state.orders and state.ignored_messages == 1


# ------------------------------------------------------------------ markets, books, listeners


def test_markets_snapshot_and_trading_update(state, frames):
    assert state.oracle_price("ETH-USD") == D("2500")
    changes = state.apply(
        frames.parse(
            {
                "type": "channel_data",
                "channel": "v4_markets",
                "version": "1.0.0",
                "contents": {
                    "trading": {
                        "ETH-USD": {
                            "id": "1",
                            "status": "CANCEL_ONLY",
                            "nextFundingRate": "0.0001",
                        },
                        "NEW-USD": {"ticker": "NEW-USD", "status": "INITIALIZING"},
                    }
                },
            }
        )
    )
    assert set(changes) == {MarketChanged("ETH-USD"), MarketChanged("NEW-USD")}
    eth = state.markets["ETH-USD"]
    assert eth.status == "CANCEL_ONLY" and eth.oracle_price == D("2500")
    assert state.markets["NEW-USD"].status == "INITIALIZING"


def test_captured_market_samples_apply():
    state = AccountState(ADDRESS, 0)
    state.apply(parse_message(sample_bytes("v4_markets_subscribed.json")))
    assert len(state.markets) > 50 and state.markets["BTC-USD"].ticker == "BTC-USD"
    state.apply(parse_message(sample_bytes("v4_markets_channel_data_oracle_prices.json")))
    assert state.oracle_price("FTM-USD") == D("0.3866273177")
    state.apply(parse_message(sample_bytes("v4_block_height_subscribed.json")))
    state.apply(parse_message(sample_bytes("v4_block_height_channel_data.json")))
    assert state.block_height == 26543049 and state.block_time.tzinfo is not None
    assert state.apply_errors == 0


def test_order_book_from_captured_samples():
    state = AccountState(ADDRESS, 0)
    snapshot = sample_json("v4_orderbook_subscribed.json")
    snapshot["id"] = "ETH-USD"
    assert OrderBookChanged("ETH-USD") in state.apply(parse_message(json.dumps(snapshot)))
    book = state.order_book("ETH-USD")
    best_ask = book.best_ask()
    assert best_ask == D("3393.5") and book.best_bid() < best_ask
    batch = sample_json("v4_orderbook_channel_batch_data.json")
    batch["connection_id"] = snapshot["connection_id"]
    state.apply(parse_message(json.dumps(batch)))
    assert book.bids[D("2396.3")] == D("4.788")  # the last of several updates wins
    assert D("2339.5") in book.bids  # deleted ("0") then re-added
    assert D("2410.4") not in book.asks
    bids, asks = book.top(3)
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)


def test_listeners_get_records_and_a_broken_listener_is_contained(state, frames):
    received = []

    def broken(change):
        raise RuntimeError("UI bug")

    state.subscribe(broken)
    unsubscribe = state.subscribe(received.append)
    state.apply(frames.subaccount(orders=[order(1), order(1, filled="0.001")]))
    assert received == [OrderChanged(order_id(1))]  # two updates, one record
    unsubscribe()
    state.apply(frames.subaccount(orders=[order(2)]))
    assert received == [OrderChanged(order_id(1))]
    assert state.apply_errors == 0


def test_pending_order_helper_has_the_indexers_id(state, frames):
    pending = pending_order(
        ADDRESS,
        0,
        12,
        1,
        0,
        ticker="ETH-USD",
        side="SELL",
        size=D("0.01"),
        price=D("2600"),
        good_til_block=120,
        time_in_force="IOC",
    )
    assert pending.id == order_id(12) and not pending.is_partial
    state.add_pending(pending)
    state.apply(frames.subaccount(orders=[order(12, side="SELL", size="0.01", price="2600")]))
    tracked = state.order(order_id(12))
    assert tracked.seen and tracked.status is OrderStatus.OPEN and len(state.orders) == 1


def test_final_orders_are_bounded(frames):
    state = AccountState(ADDRESS, 0, finished_orders=3)
    state.apply(frames.snapshot())
    state.apply(
        frames.subaccount(
            orders=[order(n, status="FILLED", filled="0.003") for n in range(5)] + [order(9)]
        )
    )
    assert set(state.orders) == {order_id(2), order_id(3), order_id(4), order_id(9)}


def test_rest_polling_shapes_feed_the_state(state):
    from tui_app.models import (
        ORDERS_RESPONSE,
        FillsResponse,
        SubaccountResponse,
        SubaccountSnapshot,
        SubaccountUpdate,
    )

    body = json.dumps(
        {
            "subaccount": {
                "address": ADDRESS,
                "subaccountNumber": 0,
                "equity": "500",
                "freeCollateral": "400",
                "openPerpetualPositions": {"ETH-USD": position("1", "2400")},
                "assetPositions": {
                    "USDC": {"symbol": "USDC", "side": "LONG", "size": "100", "assetId": "0"}
                },
            }
        }
    )
    subaccount = SubaccountResponse.model_validate_json(body).subaccount
    orders = ORDERS_RESPONSE.validate_json(json.dumps([order(1, subaccountNumber=0)]))
    changes = state.apply_snapshot(
        SubaccountSnapshot(subaccount=subaccount, orders=orders, block_height=110)
    )
    assert StateReset() in changes and state.equity == D("500")
    assert status(state, 1) is OrderStatus.OPEN
    rest_fill = fill("SELL", "1", "2500")
    rest_fill["market"] = rest_fill.pop("ticker")  # REST names it `market`
    fills = FillsResponse.model_validate_json(json.dumps({"fills": [rest_fill]})).fills
    assert fills[0].ticker == "ETH-USD"
    state.apply_update(SubaccountUpdate(fills=fills))
    assert state.realized_pnl("ETH-USD") == D("100")


def test_liquidated_closes_and_unknown_position_status_keeps_the_position(state, frames):
    state.apply(frames.subaccount(perpetualPositions=[position("1", "2400", status="NEW")]))
    assert state.positions["ETH-USD"].status == "NEW"
    state.apply(frames.subaccount(perpetualPositions=[position("1", "2400", status="LIQUIDATED")]))
    assert "ETH-USD" not in state.positions

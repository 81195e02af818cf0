"""The matching engine, fills and PnL on worked examples (exact numbers)."""

from __future__ import annotations

from decimal import Decimal

from tui_app.devnet.events import FillCreated, OrderRemoved
from tui_app.devnet.ledger import entry_price, unrealized_pnl
from tui_app.devnet.types import RemovalReason, SubaccountId

from .conftest import ChainHarness

# BTC-USD: 1 BTC = 10^10 quantums, $1 = 10^5 subticks.
BTC = 10_000_000_000
USD = 100_000
BUY, SELL, IOC = 1, 2, 1


def position(h: ChainHarness, signer, perpetual_id: int = 0):
    sub = h.chain.subaccount(SubaccountId(signer.account.address, 0))
    return sub, sub.positions.get(perpetual_id)


def test_taker_walks_the_book_in_price_order_and_pays_taker_fee(h: ChainHarness) -> None:
    gtb = h.next_height + 10
    assert h.send(h.bob.place(1, SELL, BTC // 2, 60_100 * USD, gtb=gtb)).code == 0
    assert h.send(h.bob.place(2, SELL, BTC // 2, 60_000 * USD, gtb=gtb)).code == 0
    result = h.send(h.alice.place(1, BUY, 8 * BTC // 10, 60_100 * USD, gtb=gtb, tif=IOC))
    assert result.code == 0
    h.block()

    fills = [e.fill for e in h.events_of(FillCreated) if e.fill.is_taker]
    assert [(f.quantums, f.subticks) for f in fills] == [
        (BTC // 2, 60_000 * USD),
        (3 * BTC // 10, 60_100 * USD),
    ]
    sub, pos = position(h, h.alice)
    market = h.chain.markets[0]
    assert pos.quantums == 8 * BTC // 10
    # (0.5 x 60000 + 0.3 x 60100) / 0.8 = 60037.5
    assert entry_price(market, pos) == Decimal("60037.5")
    notional = 30_000 + 18_030  # USDC
    taker_fee = Decimal(notional) * Decimal("0.0005")  # 24.015
    assert Decimal(sub.usdc_quantums).scaleb(-6) == 1_000_000 - notional - taker_fee
    # Bob's second order keeps 0.2 BTC on the book.
    bids, asks = h.chain.book_levels(0)
    assert asks == [(60_100 * USD, 2 * BTC // 10)]


def test_maker_fee_and_realized_pnl_on_a_partial_close(h: ChainHarness) -> None:
    gtb = h.next_height + 10
    h.send(h.bob.place(1, SELL, BTC, 60_000 * USD, gtb=gtb))
    h.send(h.alice.place(1, BUY, BTC, 60_000 * USD, gtb=gtb, tif=IOC))
    h.block()
    # Alice sells 0.4 BTC into Carl's bid at 61000: realized 0.4 x 1000 = 400.
    h.send(h.carl.place(1, BUY, BTC, 61_000 * USD, gtb=h.next_height + 10))
    h.send(h.alice.place(2, SELL, 4 * BTC // 10, 61_000 * USD, gtb=h.next_height + 5, tif=IOC))
    h.block()
    sub, pos = position(h, h.alice)
    market = h.chain.markets[0]
    assert pos.quantums == 6 * BTC // 10
    assert Decimal(pos.realized_pnl_quote).scaleb(-6) == Decimal(400)
    assert entry_price(market, pos) == Decimal(60_000)
    assert unrealized_pnl(market, pos, Decimal(62_000)) == Decimal("1200")
    # Bob was the maker of the first trade: 1 bps of 60000 = 6 USDC.
    bob_sub, bob_pos = position(h, h.bob)
    assert bob_pos.quantums == -BTC
    assert Decimal(bob_sub.usdc_quantums).scaleb(-6) == 1_000_000 + 60_000 - 6


def test_same_price_fills_oldest_first(h: ChainHarness) -> None:
    gtb = h.next_height + 10
    h.send(h.bob.place(1, SELL, BTC, 60_000 * USD, gtb=gtb))
    h.send(h.carl.place(1, SELL, BTC, 60_000 * USD, gtb=gtb))
    h.send(h.alice.place(1, BUY, BTC, 60_000 * USD, gtb=gtb, tif=IOC))
    h.block()
    makers = [e.fill.subaccount.owner for e in h.events_of(FillCreated) if not e.fill.is_taker]
    assert makers == [h.bob.account.address]


def test_flip_from_long_to_short_resets_entry(h: ChainHarness) -> None:
    gtb = h.next_height + 10
    h.send(h.bob.place(1, SELL, BTC, 60_000 * USD, gtb=gtb))
    h.send(h.alice.place(1, BUY, BTC, 60_000 * USD, gtb=gtb, tif=IOC))
    h.send(h.carl.place(1, BUY, 3 * BTC, 59_000 * USD, gtb=gtb))
    h.send(h.alice.place(2, SELL, 3 * BTC, 59_000 * USD, gtb=gtb, tif=IOC))
    h.block()
    _, pos = position(h, h.alice)
    assert pos.quantums == -2 * BTC
    assert entry_price(h.chain.markets[0], pos) == Decimal(59_000)


def test_self_trade_removes_the_resting_order(h: ChainHarness) -> None:
    gtb = h.next_height + 10
    h.send(h.alice.place(1, SELL, BTC, 60_000 * USD, gtb=gtb))
    h.send(h.bob.place(1, SELL, BTC, 60_100 * USD, gtb=gtb))
    assert h.send(h.alice.place(2, BUY, BTC, 60_100 * USD, gtb=gtb, tif=IOC)).code == 0
    h.block()
    removed = [e for e in h.events_of(OrderRemoved) if e.order.order_id.client_id == 1]
    assert removed[0].reason is RemovalReason.SELF_TRADE_ERROR
    makers = [e.fill.subaccount.owner for e in h.events_of(FillCreated) if not e.fill.is_taker]
    assert makers == [h.bob.account.address]


def test_partial_fill_of_a_resting_order_keeps_the_rest(h: ChainHarness) -> None:
    gtb = h.next_height + 10
    h.send(h.alice.place(1, BUY, BTC, 60_000 * USD, gtb=gtb))
    h.send(h.bob.place(1, SELL, BTC // 4, 59_000 * USD, gtb=gtb, tif=IOC))
    h.block()
    order = h.chain.order(h.chain.open_orders()[0].order_id)
    assert order.filled_quantums == BTC // 4
    fills = h.events_of(FillCreated)
    # The maker's price: Bob sold at Alice's 60000, not at his 59000 limit.
    assert {f.fill.subticks for f in fills} == {60_000 * USD}

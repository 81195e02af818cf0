"""The chain's order rules, exercised with real signed transactions (dydx-v4-client's Builder)."""

from __future__ import annotations

import asyncio

from dydx_v4_client.node.message import place_order
from v4_proto.dydxprotocol.clob.order_pb2 import Order as OrderProto

from tui_app.devnet.accounts import ALICE
from tui_app.devnet.events import OrderPlaced, OrderRemoved
from tui_app.devnet.types import RemovalReason

from .conftest import ChainHarness
from .txs import Signer

BTC = 10_000_000_000
USD = 100_000
BUY, SELL = 1, 2
IOC, POST_ONLY, FOK = 1, 2, 3
LONG_TERM = 64
DAY = 24 * 3600


def place_st(h: ChainHarness, client_id: int = 1, gtb: int | None = None, **kw):
    gtb = h.next_height + 5 if gtb is None else gtb
    return h.send(h.alice.place(client_id, BUY, BTC // 10, 50_000 * USD, gtb=gtb, **kw))


def place_lt(h: ChainHarness, client_id: int = 1, gtbt: int | None = None, **kw):
    gtbt = h.now + DAY if gtbt is None else gtbt
    return h.send(
        h.alice.place(client_id, BUY, BTC // 10, 50_000 * USD, flags=LONG_TERM, gtbt=gtbt, **kw)
    )


def assert_refused(result, codespace: str, code: int, words: str) -> None:
    assert (result.codespace, result.code) == (codespace, code), result
    assert words in result.raw_log
    assert result.txhash and len(result.txhash) == 64


# --- short-term ---------------------------------------------------------------------


def test_short_term_order_rests_at_once_and_expires_after_its_block(h: ChainHarness) -> None:
    gtb = h.next_height + 1
    assert place_st(h, gtb=gtb).code == 0
    assert len(h.chain.open_orders()) == 1
    placed = h.events_of(OrderPlaced)[0]
    assert placed.on_chain is False
    h.block()
    assert len(h.chain.open_orders()) == 1  # it may still match in block gtb
    h.block()
    assert h.chain.height == gtb
    assert h.chain.open_orders() == []
    removed = h.events_of(OrderRemoved)[0]
    assert (removed.reason, removed.final, removed.height) == (RemovalReason.EXPIRED, True, gtb)


def test_short_term_good_til_block_window(h: ChainHarness) -> None:
    assert_refused(place_st(h, gtb=h.next_height + 21), "clob", 11, "ShortBlockWindow")
    assert_refused(place_st(h, gtb=h.chain.height), "clob", 10, "less than the next block")
    assert_refused(place_st(h, gtb=0), "clob", 5, "goodTilBlock")
    assert place_st(h, gtb=h.next_height + 20).code == 0


def test_short_block_window_is_configurable() -> None:
    h = ChainHarness(short_block_window=40)
    assert place_st(h, gtb=h.next_height + 40).code == 0
    assert_refused(place_st(h, 2, gtb=h.next_height + 41), "clob", 11, "40 blocks")


def test_short_term_txs_skip_the_sequence(h: ChainHarness) -> None:
    h.alice.wallet.sequence = 99
    assert place_st(h).code == 0
    assert h.chain.accounts.get(ALICE.address).sequence == 0


def test_cancel_removes_only_with_a_good_til_block_at_least_the_orders(h: ChainHarness) -> None:
    gtb = h.next_height + 10
    place_st(h, gtb=gtb)
    assert h.send(h.alice.cancel(1, gtb=gtb - 1)).code == 0
    assert len(h.chain.open_orders()) == 1  # cancel GTB < order GTB: the order stays
    assert h.send(h.alice.cancel(1, gtb=gtb)).code == 0
    assert h.chain.open_orders() == []
    removed = h.events_of(OrderRemoved)[-1]
    assert (removed.reason, removed.final) == (RemovalReason.USER_CANCELED, False)
    # Best effort until the order's GTB passes, then final.
    h.block(gtb - h.chain.height)
    assert h.events_of(OrderRemoved)[-1].final is True


def test_cancel_is_remembered_and_blocks_replacing_the_same_order(h: ChainHarness) -> None:
    gtb = h.next_height + 10
    place_st(h, gtb=gtb)
    h.send(h.alice.cancel(1, gtb=gtb))
    replacement = h.alice.place(1, BUY, BTC // 5, 50_000 * USD, gtb=gtb)
    assert_refused(h.send(replacement), "clob", 7, "already canceled")
    assert_refused(h.send(h.alice.cancel(1, gtb=gtb - 1)), "clob", 9, "cancel already exists")


def test_cancel_of_unknown_short_term_order_succeeds(h: ChainHarness) -> None:
    assert h.send(h.alice.cancel(12345, gtb=h.next_height + 3)).code == 0


def test_batch_cancel_several_orders(h: ChainHarness) -> None:
    gtb = h.next_height + 5
    for client_id in range(1, 4):
        place_st(h, client_id, gtb=gtb)
    h.send(h.alice.place(9, BUY, 1_000_000_000, 2_000 * 1_000_000, clob_pair_id=1, gtb=gtb))
    result = h.send(h.alice.batch_cancel({0: [1, 2, 3], 1: [9]}, gtb=gtb))
    assert result.code == 0
    assert h.chain.open_orders() == []


def test_batch_cancel_limits(h: ChainHarness) -> None:
    gtb = h.next_height + 5
    too_many = h.send(h.alice.batch_cancel({0: list(range(1, 102))}, gtb=gtb))
    assert_refused(too_many, "clob", 45, "exceed the maximum of 100")
    assert_refused(h.send(h.alice.batch_cancel({0: [1, 1]}, gtb=gtb)), "clob", 45, "duplicate")
    assert_refused(h.send(h.alice.batch_cancel({77: [1]}, gtb=gtb)), "clob", 27, "77")
    # Every cancel fails (each one repeats a cancel that already exists): the tx fails.
    h.send(h.alice.cancel(5, gtb=gtb))
    assert_refused(h.send(h.alice.batch_cancel({0: [5]}, gtb=gtb)), "clob", 46, "none of 1")


def test_order_field_rules(h: ChainHarness) -> None:
    assert_refused(place_st(h, tif=FOK), "clob", 48, "deprecated")
    assert_refused(place_st(h, reduce_only=True), "clob", 9003, "IOC")
    assert_refused(place_st(h, tif=IOC, reduce_only=True), "clob", 2001, "position")
    bad_step = h.send(h.alice.place(1, BUY, 1_500_000, 50_000 * USD, gtb=h.next_height + 3))
    assert_refused(bad_step, "clob", 12, "StepBaseQuantums 1000000")
    bad_tick = h.send(h.alice.place(1, BUY, BTC, 50_000 * USD + 1, gtb=h.next_height + 3))
    assert_refused(bad_tick, "clob", 12, "SubticksPerTick 100000")
    bad_clob = h.send(h.alice.place(1, BUY, BTC, 50_000 * USD, gtb=h.next_height + 3,
                                    clob_pair_id=99))
    assert_refused(bad_clob, "clob", 8, "99")


def test_post_only_that_would_cross_is_refused(h: ChainHarness) -> None:
    h.send(h.bob.place(1, SELL, BTC, 50_000 * USD, gtb=h.next_height + 5))
    assert_refused(place_st(h, tif=POST_ONLY), "clob", 2003, "cross")


def test_collateral_check_refuses_an_order_too_big_for_the_account(h: ChainHarness) -> None:
    # 1000 BTC at the oracle price needs 3M USDC of initial margin; Alice has 1M.
    huge = h.send(h.alice.place(1, BUY, 1000 * BTC, 60_000 * USD, gtb=h.next_height + 3))
    assert huge.code != 0
    assert "initial margin" in huge.raw_log


def test_duplicate_tx_is_refused_as_in_the_mempool_cache(h: ChainHarness) -> None:
    tx = h.alice.place(1, BUY, BTC, 50_000 * USD, gtb=h.next_height + 3)
    assert h.send(tx).code == 0
    assert_refused(h.send(tx), "sdk", 19, "already")


# --- long-term ----------------------------------------------------------------------


def test_long_term_order_takes_effect_next_block_and_consumes_the_sequence(h: ChainHarness):
    result = place_lt(h)
    assert result.code == 0
    assert h.chain.open_orders() == []
    assert h.chain.accounts.get(ALICE.address).sequence == 1
    h.block()
    assert len(h.chain.open_orders()) == 1
    assert h.events_of(OrderPlaced)[0].on_chain is True
    stored = h.chain.get_tx(result.txhash)
    assert stored is not None and stored.height == h.chain.height and stored.result.code == 0


def test_long_term_cancel_rules(h: ChainHarness) -> None:
    gtbt = h.now + DAY
    place_lt(h, gtbt=gtbt)
    h.block()
    assert_refused(h.send(h.alice.cancel(1, flags=LONG_TERM, gtbt=gtbt - 1)), "clob", 29, "before")
    h.alice.wallet.sequence -= 1  # the refused tx consumed nothing
    assert h.send(h.alice.cancel(1, flags=LONG_TERM, gtbt=gtbt)).code == 0
    assert_refused(h.send(h.alice.cancel(1, flags=LONG_TERM, gtbt=gtbt)), "clob", 32, "")
    h.alice.wallet.sequence -= 1
    h.block()
    assert h.chain.open_orders() == []
    removed = h.events_of(OrderRemoved)[-1]
    assert (removed.reason, removed.final) == (RemovalReason.USER_CANCELED, True)
    again = h.send(h.alice.cancel(1, flags=LONG_TERM, gtbt=gtbt))
    assert_refused(again, "clob", 3006, "already removed")
    h.alice.wallet.sequence -= 1
    assert_refused(place_lt(h, gtbt=gtbt), "clob", 3008, "previously cancelled")


def test_cancel_of_unknown_stateful_order(h: ChainHarness) -> None:
    result = h.send(h.alice.cancel(4242, flags=LONG_TERM, gtbt=h.now + 60))
    assert_refused(result, "clob", 3006, "not found")


def test_long_term_field_rules(h: ChainHarness) -> None:
    assert_refused(place_lt(h, gtbt=h.now + 96 * DAY), "clob", 3004, "95 days")
    h.alice.wallet.sequence = 0
    assert_refused(place_lt(h, gtbt=h.now), "clob", 3003, "not after")
    h.alice.wallet.sequence = 0
    assert_refused(place_lt(h, tif=IOC), "clob", 3002, "")
    h.alice.wallet.sequence = 0
    assert place_lt(h).code == 0
    assert_refused(place_lt(h), "clob", 3005, "")  # the same OrderId again


def test_wrong_sequence_is_refused_with_the_expected_one(h: ChainHarness) -> None:
    h.alice.wallet.sequence = 3
    assert_refused(place_lt(h), "sdk", 32, "account sequence mismatch, expected 0, got 3")


def test_several_stateful_messages_share_one_tx(h: ChainHarness) -> None:
    orders = [
        OrderProto(
            order_id=h.alice.order_id(client_id, LONG_TERM),
            side=BUY,
            quantums=BTC // 10,
            subticks=50_000 * USD,
            good_til_block_time=h.now + DAY,
        )
        for client_id in (1, 2)
    ]
    from dydx_v4_client.node.builder import as_any

    tx = h.alice.builder.build_transaction(
        h.alice.wallet, [as_any(place_order(o)) for o in orders], fee=_default_fee()
    )
    assert h.send(tx.SerializeToString()).code == 0
    h.block()
    assert len(h.chain.open_orders()) == 2


def test_short_term_message_must_be_alone(h: ChainHarness) -> None:
    from dydx_v4_client.node.builder import as_any

    orders = [
        OrderProto(order_id=h.alice.order_id(c), side=BUY, quantums=BTC // 10,
                   subticks=50_000 * USD, good_til_block=h.next_height + 3)
        for c in (1, 2)
    ]
    tx = h.alice.builder.build_transaction(
        h.alice.wallet, [as_any(place_order(o)) for o in orders], fee=_default_fee()
    )
    assert_refused(h.send(tx.SerializeToString()), "sdk", 18, "exactly one message")


# --- authentication -----------------------------------------------------------------


def test_bad_signatures_are_refused(h: ChainHarness) -> None:
    wrong_number = Signer(ALICE, account_number=5)
    result = h.send(wrong_number.place(1, BUY, BTC, 50_000 * USD, gtb=h.next_height + 3))
    assert_refused(result, "sdk", 4, "signature verification failed")
    wrong_chain = Signer(ALICE, 0, chain_id="dydx-mainnet-1")
    result = h.send(wrong_chain.place(1, BUY, BTC, 50_000 * USD, gtb=h.next_height + 3))
    assert_refused(result, "sdk", 4, "chain-id (localdydxprotocol)")
    tampered = bytearray(h.alice.place(1, BUY, BTC, 50_000 * USD, gtb=h.next_height + 3))
    tampered[-1] ^= 0x01  # flip a bit of the signature
    assert h.send(bytes(tampered)).code == 4


def test_garbage_is_a_parse_error(h: ChainHarness) -> None:
    assert_refused(h.send(b"\x01\x02garbage"), "sdk", 2, "")


def _default_fee():
    from dydx_v4_client.node.builder import DEFAULT_FEE

    return DEFAULT_FEE


# --- when listeners hear of a CheckTx's events ------------------------------------------------


async def test_checktx_events_reach_listeners_after_the_answer_and_before_the_block(
    h: ChainHarness,
) -> None:
    """On a running loop (as in the devnet) the indexer hears of a CheckTx's off-chain
    updates right after the answer, as a node's indexer does; never after the next block's
    events, whatever the timing."""
    gtb = h.next_height + 5
    assert place_st(h, 1, gtb=gtb).code == 0
    assert h.events_of(OrderPlaced) == []  # not during CheckTx
    await asyncio.sleep(0)
    assert [e.order.order_id.client_id for e in h.events_of(OrderPlaced)] == [1]

    heard = len(h.events)
    assert place_st(h, 2, gtb=gtb).code == 0
    assert h.send(h.alice.batch_cancel({0: [1, 2]}, gtb=gtb)).code == 0
    h.block()  # before the loop turns: the queued events go first, in order
    kinds = [type(e).__name__ for e in h.events[heard:]]
    orders = [k for k in kinds if k.startswith("Order")]
    assert orders == ["OrderPlaced", "OrderRemoved", "OrderRemoved"]
    assert kinds.index("OrderRemoved") < kinds.index("OraclePriceChanged")  # the block's
    assert kinds[-1] == "BlockCommitted"

"""Deposits, withdrawals, transfers and bank sends on the devnet chain, with real signed txs.

Rules and codes as dYdX v4-chain's x/sending and x/subaccounts and cosmos-sdk's bank and
fee ante (see tui_app/devnet/sending.py and fees.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from dydx_v4_client.node.message import place_order, transfer
from v4_proto.dydxprotocol.clob.order_pb2 import Order as OrderProto

from tui_app.devnet.accounts import ALICE, BOB, CARL, synthetic_address
from tui_app.devnet.bank import FEE_COLLECTOR
from tui_app.devnet.chain import GENESIS_WALLET_USDC
from tui_app.devnet.events import BalanceChanged, TransferCreated
from tui_app.devnet.params import NATIVE_DENOM, USDC_DENOM
from tui_app.devnet.types import Side, SubaccountId

from .conftest import ChainHarness
from .test_chain_rules import assert_refused

USDC = 1_000_000  # quantums per USDC
FEE = 4500  # what NodeClient pays for the devnet's 100,000 gas (180,000 x 0.025)
ALICE0 = SubaccountId(ALICE.address, 0)
BOB0 = SubaccountId(BOB.address, 0)


def usdc_of(h: ChainHarness, sid: SubaccountId) -> int:
    sub = h.chain.subaccount(sid)
    return sub.usdc_quantums if sub else 0


def wallet(h: ChainHarness, address: str, denom: str = USDC_DENOM) -> int:
    return h.chain.bank.balance(address, denom)


def delivered(h: ChainHarness, result):
    """Commit the next block and return the tx's block result."""
    assert result.code == 0, result
    h.block()
    return h.chain.get_tx(result.txhash).result


# --- success ---------------------------------------------------------------------------


def test_deposit_pays_the_fee_at_checktx_and_moves_usdc_in_the_next_block(
    h: ChainHarness,
) -> None:
    before = usdc_of(h, ALICE0)
    result = h.send(h.alice.deposit(25 * USDC))
    assert result.code == 0
    assert wallet(h, ALICE.address) == GENESIS_WALLET_USDC - FEE
    assert wallet(h, FEE_COLLECTOR) == FEE
    assert h.chain.accounts.get(ALICE.address).sequence == 1
    assert usdc_of(h, ALICE0) == before  # not before the block
    block = delivered(h, result)
    assert (block.code, block.height) == (0, h.chain.height)
    assert usdc_of(h, ALICE0) == before + 25 * USDC
    assert wallet(h, ALICE.address) == GENESIS_WALLET_USDC - FEE - 25 * USDC
    (event,) = h.events_of(TransferCreated)
    assert (event.sender_wallet, event.recipient_subaccount) == (ALICE.address, ALICE0)
    assert (event.sender_subaccount, event.recipient_wallet) == (None, None)
    assert (event.quantums, event.tx_hash, event.height) == (25 * USDC, result.txhash, 2)
    assert event.event_id[:4] == (2).to_bytes(4, "big")
    balances = [e for e in h.events_of(BalanceChanged) if e.subaccount == ALICE0]
    assert balances[-1].usdc_quantums == before + 25 * USDC


def test_deposit_creates_a_new_subaccount(h: ChainHarness) -> None:
    delivered(h, h.send(h.alice.deposit(7 * USDC, number=130)))
    assert usdc_of(h, SubaccountId(ALICE.address, 130)) == 7 * USDC


def test_withdraw_pays_into_the_wallet_and_may_empty_a_flat_subaccount(
    h: ChainHarness,
) -> None:
    everything = usdc_of(h, ALICE0)
    assert delivered(h, h.send(h.alice.withdraw(everything))).code == 0
    assert usdc_of(h, ALICE0) == 0
    assert wallet(h, ALICE.address) == GENESIS_WALLET_USDC - FEE + everything
    (event,) = h.events_of(TransferCreated)
    assert (event.sender_subaccount, event.recipient_wallet) == (ALICE0, ALICE.address)


def test_withdraw_to_another_wallet_creates_its_account(h: ChainHarness) -> None:
    stranger = synthetic_address(99, 1)
    assert delivered(h, h.send(h.alice.withdraw(3 * USDC, recipient=stranger))).code == 0
    assert wallet(h, stranger) == 3 * USDC
    assert stranger in h.chain.accounts


def test_transfer_between_subaccounts(h: ChainHarness) -> None:
    alice, bob = usdc_of(h, ALICE0), usdc_of(h, BOB0)
    assert delivered(h, h.send(h.alice.transfer(10 * USDC, h.bob.sub()))).code == 0
    assert (usdc_of(h, ALICE0), usdc_of(h, BOB0)) == (alice - 10 * USDC, bob + 10 * USDC)
    (event,) = h.events_of(TransferCreated)
    assert (event.sender_subaccount, event.recipient_subaccount) == (ALICE0, BOB0)
    changed = {e.subaccount for e in h.events_of(BalanceChanged)}
    assert changed == {ALICE0, BOB0}


def test_send_token_moves_bank_coins_and_creates_the_recipient(h: ChainHarness) -> None:
    stranger = synthetic_address(99, 2)
    assert delivered(h, h.send(h.alice.send_token(stranger, 5 * USDC))).code == 0
    assert wallet(h, stranger) == 5 * USDC
    assert wallet(h, ALICE.address) == GENESIS_WALLET_USDC - FEE - 5 * USDC
    assert h.events_of(TransferCreated) == []  # bank sends are not subaccount transfers
    assert delivered(h, h.send(h.alice.send_token(BOB.address, 10**18, NATIVE_DENOM))).code == 0
    assert wallet(h, BOB.address, NATIVE_DENOM) == 10**24 + 10**18


def test_bad_send_token_amounts_fail_in_the_block(h: ChainHarness) -> None:
    # cosmos-sdk v0.50's bank checks MsgSend in its msg server, not at CheckTx.
    zero = delivered(h, h.send(h.alice.send_token(BOB.address, 0)))
    assert_refused(zero, "sdk", 10, "message index: 0: 0" + USDC_DENOM + ": invalid coins")
    too_much = delivered(h, h.send(h.alice.send_token(BOB.address, GENESIS_WALLET_USDC)))
    assert_refused(too_much, "sdk", 5, "is smaller than")


def test_withdraw_keeps_an_open_position_collateralized(h: ChainHarness) -> None:
    btc = h.chain.markets[0]
    # Alice holds 10 BTC long, bought on credit at the oracle price.
    h.chain.ledger.apply_fill(
        ALICE0,
        btc,
        Side.BUY,
        10 * 10**10,
        _oracle_subticks(h),
        0,
        b"\0" * 12,
        1,
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    free = h.chain.free_collateral_quote(ALICE0)
    assert 0 < free < h.chain.equity_quote(ALICE0)  # margin holds part of the equity
    # The oracle moves a few basis points per block: keep clear of the exact edge.
    too_much = delivered(h, h.send(h.alice.withdraw(free + 2_000 * USDC)))
    assert_refused(too_much, "subaccounts", 102, "NewlyUndercollateralized")
    assert delivered(h, h.send(h.alice.withdraw(free - 2_000 * USDC))).code == 0


def _oracle_subticks(h: ChainHarness) -> int:
    market = h.chain.markets[0]
    price = h.chain.oracle_price(0)
    return int(price / market.subticks_to_price(1))


# --- refused at CheckTx (stateless checks, fee, signer, sequence) -----------------------


def test_stateless_refusals_carry_the_sending_and_subaccounts_codes(h: ChainHarness) -> None:
    a = h.alice
    cases = [
        (a.transfer(0, h.bob.sub()), "sending", 2, "Invalid transfer amount"),
        (a.deposit(0), "sending", 2, "Invalid transfer amount"),
        (a.withdraw(0), "sending", 2, "Invalid transfer amount"),
        (a.transfer(5, h.bob.sub(), asset_id=1), "sending", 1101, "Non-USDC"),
        (a.deposit(5, asset_id=2), "sending", 1101, "Non-USDC"),
        (a.withdraw(5, asset_id=1), "sending", 1101, "Non-USDC"),
        (a.transfer(5, a.sub(0)), "sending", 1, "Sender is the same as recipient"),
        (a.transfer(5, h.bob.sub(128_001)), "subaccounts", 200, "cannot exceed 128000"),
        (a.deposit(5, number=128_001), "subaccounts", 200, "cannot exceed 128000"),
        (a.withdraw(5, number=200_000), "subaccounts", 200, "cannot exceed 128000"),
        (a.transfer(5, a.sub(1, owner="dydx1bad")), "subaccounts", 201, "invalid address"),
        (a.withdraw(5, recipient="cosmos1xyz"), "sending", 6, "Account address is invalid"),
    ]
    for tx, codespace, code, words in cases:
        a.wallet.sequence -= 1  # a refused tx uses no sequence
        assert_refused(h.send(tx), codespace, code, words)
    assert h.chain.accounts.get(ALICE.address).sequence == 0
    assert wallet(h, ALICE.address) == GENESIS_WALLET_USDC  # no fee taken


def test_the_largest_subaccount_number_is_128000(h: ChainHarness) -> None:
    assert delivered(h, h.send(h.alice.transfer(USDC, h.bob.sub(128_000)))).code == 0
    assert usdc_of(h, SubaccountId(BOB.address, 128_000)) == USDC


def test_sender_must_sign(h: ChainHarness) -> None:
    # Alice signs a transfer out of Bob's subaccount: the signer is Bob, the key Alice's.
    tx = h.alice.sign_paying(transfer(h.bob.sub(), h.alice.sub(), 0, USDC))
    assert_refused(h.send(tx), "sdk", 8, "pubKey does not match signer address")


def test_fee_below_the_minimum_gas_price_is_refused(h: ChainHarness) -> None:
    result = h.send(h.alice.deposit(USDC, fee_amount=100))
    assert_refused(result, "sdk", 13, "insufficient fees; got: 100" + USDC_DENOM)
    assert "required: 4500000000000000adv4tnt,4500" + USDC_DENOM in result.raw_log
    h.alice.wallet.sequence = 0
    unpaid = h.send(h.alice.deposit(USDC, fee_amount=0))
    assert_refused(unpaid, "sdk", 13, "insufficient fees; got:  required: ")


def test_fee_must_be_payable_from_the_wallet(h: ChainHarness) -> None:
    carl = h.carl
    delivered(h, h.send(carl.send_token(ALICE.address, GENESIS_WALLET_USDC - FEE)))
    assert wallet(h, CARL.address) == 0
    result = h.send(carl.deposit(USDC))
    assert_refused(result, "sdk", 5, "spendable balance 0" + USDC_DENOM + " is smaller than 4500")


def test_wrong_sequence_is_refused(h: ChainHarness) -> None:
    h.alice.wallet.sequence = 5
    assert_refused(h.send(h.alice.deposit(USDC)), "sdk", 32, "expected 0, got 5")


# --- refused in the block (state checks): fee and sequence spent, nothing moves --------


def test_deposit_beyond_the_wallet_fails_in_the_block(h: ChainHarness) -> None:
    before = usdc_of(h, ALICE0)
    block = delivered(h, h.send(h.alice.deposit(GENESIS_WALLET_USDC)))
    assert_refused(block, "sdk", 5, "failed to execute message; message index: 0: spendable")
    assert usdc_of(h, ALICE0) == before
    assert wallet(h, ALICE.address) == GENESIS_WALLET_USDC - FEE
    assert h.chain.accounts.get(ALICE.address).sequence == 1
    assert h.events_of(TransferCreated) == []


def test_withdraw_beyond_the_subaccount_fails_in_the_block(h: ChainHarness) -> None:
    everything = usdc_of(h, ALICE0)
    block = delivered(h, h.send(h.alice.withdraw(everything + 1)))
    assert_refused(
        block,
        "subaccounts",
        102,
        "failed to execute message; message index: 0: Subaccount with id "
        f"{{{ALICE.address} 0}} failed with UpdateResult: NewlyUndercollateralized: "
        "failed to apply subaccount updates",
    )
    assert usdc_of(h, ALICE0) == everything


def test_transfer_from_an_empty_subaccount_fails_in_the_block(h: ChainHarness) -> None:
    block = delivered(h, h.send(h.alice.transfer(USDC, h.bob.sub(), number=3)))
    assert_refused(block, "subaccounts", 102, "{" + ALICE.address + " 3}")


def test_messages_of_a_tx_apply_all_or_nothing(h: ChainHarness) -> None:
    a = h.alice
    good = transfer(a.sub(), h.bob.sub(), 0, USDC)
    bad = transfer(a.sub(7), h.bob.sub(), 0, USDC)  # subaccount 7 is empty
    from dydx_v4_client.node.builder import as_any

    fee = a.builder.calculate_fee(200_000)
    fee.amount[0].denom = USDC_DENOM
    fee.amount[0].amount = "10000"
    tx = a.builder.build_transaction(a.wallet, [as_any(good), as_any(bad)], fee)
    block = delivered(h, h.send(tx.SerializeToString()))
    assert_refused(block, "subaccounts", 102, "message index: 1")
    assert usdc_of(h, BOB0) == 1_000_000 * USDC


def test_gas_limit_below_the_gas_used_runs_out_of_gas(h: ChainHarness) -> None:
    block = delivered(h, h.send(h.alice.deposit(USDC, gas_limit=1000, fee_amount=25)))
    assert_refused(block, "sdk", 11, "gasWanted: 1000, gasUsed: 100000")


def test_simulate_runs_the_messages_without_changing_anything(h: ChainHarness) -> None:
    everything = usdc_of(h, ALICE0)
    ok = h.chain.simulate_tx(h.alice.withdraw(everything))
    assert (ok.code, ok.gas_used) == (0, 100_000)
    h.alice.wallet.sequence = 0
    refused = h.chain.simulate_tx(h.alice.withdraw(everything + 1))
    assert (refused.codespace, refused.code) == ("subaccounts", 102)
    assert usdc_of(h, ALICE0) == everything
    assert h.chain.accounts.get(ALICE.address).sequence == 0


def test_a_stateful_order_may_carry_one_transfer_for_free(h: ChainHarness) -> None:
    from dydx_v4_client.node.builder import as_any

    a = h.alice
    order = OrderProto(
        order_id=a.order_id(1, 64, 0),
        side=1,
        quantums=10**9,
        subticks=100_000 * 10**5,
        good_til_block_time=h.now + 3600,
    )
    messages = [as_any(place_order(order)), as_any(transfer(a.sub(), h.bob.sub(), 0, USDC))]
    tx = a.builder.build_transaction(a.wallet, messages, a.builder.fee(1_000_000))
    assert delivered(h, h.send(tx.SerializeToString())).code == 0
    assert wallet(h, ALICE.address) == GENESIS_WALLET_USDC  # clob txs pay no fee
    assert usdc_of(h, BOB0) == 1_000_001 * USDC
    a.wallet.sequence = 1
    two = [as_any(place_order(order)), as_any(transfer(a.sub(), h.bob.sub(), 0, 1))] * 2
    tx = a.builder.build_transaction(a.wallet, two[:1] + two[1:2] + two[3:], a.builder.fee(1))
    assert_refused(h.send(tx.SerializeToString()), "sdk", 18, "at most one MsgCreateTransfer")

"""The ante module against transactions built and signed by the real dydx_v4_client Builder."""

from __future__ import annotations

import pytest
from dydx_v4_client.key_pair import KeyPair
from coincurve.utils import GROUP_ORDER_INT
from dydx_v4_client.node.builder import Builder, get_signature
from dydx_v4_client.node.message import (
    batch_cancel,
    cancel_order,
    order,
    order_id,
    place_order,
    subaccount,
    transfer,
)
from dydx_v4_client.wallet import Wallet
from google.protobuf.any_pb2 import Any
from v4_proto.cosmos.tx.v1beta1.tx_pb2 import Tx, TxBody, TxRaw
from v4_proto.dydxprotocol.clob.order_pb2 import Order
from v4_proto.dydxprotocol.clob.tx_pb2 import (
    MsgBatchCancel,
    MsgCancelOrder,
    MsgPlaceOrder,
    OrderBatch,
)

from tui_app.devnet import ante, errors
from tui_app.devnet.accounts import ALICE, BOB, AccountRegistry
from tui_app.devnet.errors import ChainError
from tui_app.devnet.params import CHAIN_ID, FLAG_LONG_TERM, FLAG_SHORT_TERM

ALICE_KEY = KeyPair.from_mnemonic(ALICE.mnemonic)
BOB_KEY = KeyPair.from_mnemonic(BOB.mnemonic)


@pytest.fixture
def accounts() -> AccountRegistry:
    registry = AccountRegistry()
    registry.create(ALICE.address)  # account number 0
    registry.create(BOB.address)  # account number 1
    return registry


def alice_wallet(account_number: int = 0, sequence: int = 0) -> Wallet:
    return Wallet(ALICE_KEY, account_number, sequence)


def short_term_place(owner: str = ALICE.address, client_id: int = 7) -> MsgPlaceOrder:
    oid = order_id(owner, 0, client_id, 1, FLAG_SHORT_TERM)
    return place_order(
        order(
            oid,
            Order.Side.SIDE_BUY,
            quantums=1_000_000,
            subticks=2_600_000_000,
            time_in_force=Order.TimeInForce.TIME_IN_FORCE_UNSPECIFIED,
            reduce_only=False,
            good_til_block=20,
        )
    )


def long_term_cancel(owner: str = ALICE.address) -> MsgCancelOrder:
    return cancel_order(order_id(owner, 0, 9, 1, FLAG_LONG_TERM), good_til_block_time=1_900_000_000)


def sign(message, wallet: Wallet | None = None, chain_id: str = CHAIN_ID) -> bytes:
    tx = Builder(chain_id, "adv4tnt").build(wallet or alice_wallet(), message)
    return tx.SerializeToString()


def assert_chain_error(error: ChainError, expected: errors.ErrorCode, log: str) -> None:
    assert (error.codespace, error.code) == (expected.codespace, expected.code)
    assert error.raw_log == log


# --------------------------------------------------------------------------- decoding


def test_decode_unpacks_clob_messages_and_envelope() -> None:
    tx_bytes = sign(short_term_place())
    decoded = ante.decode_tx(tx_bytes)

    assert decoded.tx_bytes == tx_bytes
    assert decoded.txhash == ante.tx_hash(tx_bytes)
    assert len(decoded.txhash) == 64 and decoded.txhash == decoded.txhash.upper()
    (message,) = decoded.messages
    assert isinstance(message, MsgPlaceOrder)
    assert message.order.order_id.client_id == 7
    assert decoded.signer == ALICE.address
    assert decoded.public_key == ALICE_KEY.public_key_bytes
    assert decoded.memo == "Client Example"
    assert decoded.timeout_height == 0
    assert decoded.sequence == 0
    assert len(decoded.signature) == 64
    assert decoded.type_urls == ("/dydxprotocol.clob.MsgPlaceOrder",)


def test_decode_keeps_signed_bytes_exactly() -> None:
    tx_bytes = sign(long_term_cancel())
    raw = TxRaw.FromString(tx_bytes)
    decoded = ante.decode_tx(tx_bytes)
    assert decoded.body_bytes == raw.body_bytes
    assert decoded.auth_info_bytes == raw.auth_info_bytes


def test_decode_cancel_and_batch_cancel() -> None:
    cancel = ante.decode_tx(sign(long_term_cancel())).messages[0]
    assert isinstance(cancel, MsgCancelOrder)
    assert cancel.good_til_block_time == 1_900_000_000

    batches = [OrderBatch(clob_pair_id=1, client_ids=[1, 2])]
    batch = batch_cancel(subaccount(ALICE.address, 0), batches, 30)
    decoded = ante.decode_tx(sign(batch))
    assert isinstance(decoded.messages[0], MsgBatchCancel)
    assert decoded.signer == ALICE.address


def test_other_messages_stay_any_with_known_signer() -> None:
    msg = transfer(subaccount(ALICE.address, 0), subaccount(BOB.address, 0), 0, 5_000_000)
    decoded = ante.decode_tx(sign(msg))
    (message,) = decoded.messages
    assert isinstance(message, Any)
    assert message.type_url == "/dydxprotocol.sending.MsgCreateTransfer"
    assert decoded.signer == ALICE.address


def test_timeout_height_is_exposed() -> None:
    body = TxBody(messages=[_any(short_term_place())], memo="m", timeout_height=55)
    decoded = ante.decode_tx(_resign_body(body))
    assert decoded.timeout_height == 55
    assert decoded.memo == "m"


@pytest.mark.parametrize("garbage", [b"\xff\xff\xff", b"garbage bytes here", b"\x0a\x05\x01"])
def test_garbage_is_a_decode_error(garbage: bytes) -> None:
    with pytest.raises(ChainError) as info:
        ante.decode_tx(garbage)
    assert info.value.error == errors.TX_DECODE


def test_unknown_field_in_tx_raw_is_a_decode_error() -> None:
    tx_bytes = sign(short_term_place()) + b"\x28\x01"  # field 5, varint 1
    with pytest.raises(ChainError) as info:
        ante.decode_tx(tx_bytes)
    assert info.value.error == errors.TX_DECODE


def test_corrupt_clob_message_is_a_decode_error() -> None:
    bad = Any(type_url="/dydxprotocol.clob.MsgPlaceOrder", value=b"\xff\xff")
    with pytest.raises(ChainError) as info:
        ante.decode_tx(_resign_body(TxBody(messages=[bad])))
    assert info.value.error == errors.TX_DECODE


def test_unknown_message_type_is_refused() -> None:
    odd = Any(type_url="/foo.bar.MsgBaz", value=b"")
    with pytest.raises(ChainError) as info:
        ante.decode_tx(_resign_body(TxBody(messages=[odd])))
    assert_chain_error(
        info.value, errors.TX_DECODE, "unable to resolve type URL /foo.bar.MsgBaz: tx parse error"
    )


def test_no_messages_is_invalid_request() -> None:
    with pytest.raises(ChainError) as info:
        ante.decode_tx(_resign_body(TxBody(memo="empty")))
    assert_chain_error(
        info.value, errors.INVALID_REQUEST, "must contain at least one message: invalid request"
    )


def test_no_signatures() -> None:
    tx = Tx.FromString(sign(short_term_place()))
    del tx.signatures[:]
    with pytest.raises(ChainError) as info:
        ante.decode_tx(tx.SerializeToString())
    assert info.value.error == errors.NO_SIGNATURES


def test_two_signatures_are_too_many() -> None:
    tx = Tx.FromString(sign(short_term_place()))
    tx.signatures.append(tx.signatures[0])
    with pytest.raises(ChainError) as info:
        ante.decode_tx(tx.SerializeToString())
    assert info.value.error == errors.TOO_MANY_SIGNATURES


def test_messages_of_two_owners_are_too_many_signers() -> None:
    body = TxBody(messages=[_any(long_term_cancel()), _any(long_term_cancel(BOB.address))])
    with pytest.raises(ChainError) as info:
        ante.decode_tx(_resign_body(body))
    assert info.value.error == errors.TOO_MANY_SIGNATURES


def test_signer_of_each_clob_message() -> None:
    assert ante.signer_of(short_term_place(BOB.address)) == BOB.address
    assert ante.signer_of(long_term_cancel(BOB.address)) == BOB.address
    batches = [OrderBatch(clob_pair_id=0, client_ids=[1])]
    batch = batch_cancel(subaccount(BOB.address, 3), batches, 5)
    assert ante.signer_of(batch) == BOB.address


# --------------------------------------------------------------------------- authentication


def test_good_signature_passes_and_stores_public_key(accounts: AccountRegistry) -> None:
    decoded = ante.decode_tx(sign(short_term_place()))
    account = ante.authenticate(decoded, accounts, CHAIN_ID, check_sequence=True)
    assert account.address == ALICE.address
    assert account.public_key == ALICE_KEY.public_key_bytes
    assert account.sequence == 0  # never incremented here


def test_bob_with_account_number_one_passes(accounts: AccountRegistry) -> None:
    wallet = Wallet(BOB_KEY, 1, 0)
    decoded = ante.decode_tx(sign(long_term_cancel(BOB.address), wallet))
    account = ante.authenticate(decoded, accounts, CHAIN_ID, check_sequence=True)
    assert account.address == BOB.address


def test_tampered_body_fails(accounts: AccountRegistry) -> None:
    tx = Tx.FromString(sign(short_term_place()))
    tx.body.memo = "tampered"
    decoded = ante.decode_tx(tx.SerializeToString())
    with pytest.raises(ChainError) as info:
        ante.authenticate(decoded, accounts, CHAIN_ID, check_sequence=True)
    assert_chain_error(
        info.value,
        errors.UNAUTHORIZED,
        "signature verification failed; please verify account number (0), sequence (0) "
        "and chain-id (localdydxprotocol): unauthorized",
    )


def test_wrong_chain_id_fails(accounts: AccountRegistry) -> None:
    decoded = ante.decode_tx(sign(short_term_place(), chain_id="dydx-testnet-4"))
    with pytest.raises(ChainError) as info:
        ante.authenticate(decoded, accounts, CHAIN_ID, check_sequence=False)
    assert info.value.error == errors.UNAUTHORIZED
    assert "chain-id (localdydxprotocol)" in info.value.raw_log


def test_wrong_account_number_fails(accounts: AccountRegistry) -> None:
    decoded = ante.decode_tx(sign(short_term_place(), alice_wallet(account_number=5)))
    with pytest.raises(ChainError) as info:
        ante.authenticate(decoded, accounts, CHAIN_ID, check_sequence=False)
    assert info.value.error == errors.UNAUTHORIZED
    assert "account number (0)" in info.value.raw_log


def test_key_of_someone_else_fails(accounts: AccountRegistry) -> None:
    # Bob signs an order owned by alice: his key does not derive to alice's address.
    decoded = ante.decode_tx(sign(short_term_place(), Wallet(BOB_KEY, 0, 0)))
    with pytest.raises(ChainError) as info:
        ante.authenticate(decoded, accounts, CHAIN_ID, check_sequence=False)
    assert_chain_error(
        info.value,
        errors.INVALID_PUBKEY,
        f"pubKey does not match signer address {ALICE.address} with signer index: 0: "
        "invalid pubkey",
    )


def test_alice_key_swapped_signature_fails(accounts: AccountRegistry) -> None:
    # Alice's public key in the SignerInfo, but the signature made with Bob's key.
    good = Tx.FromString(sign(short_term_place()))
    bobs = Tx.FromString(sign(short_term_place(), Wallet(BOB_KEY, 0, 0)))
    good.signatures[0] = bobs.signatures[0]
    decoded = ante.decode_tx(good.SerializeToString())
    with pytest.raises(ChainError) as info:
        ante.authenticate(decoded, accounts, CHAIN_ID, check_sequence=False)
    assert info.value.error == errors.UNAUTHORIZED


def test_unknown_account(accounts: AccountRegistry) -> None:
    stranger = KeyPair.from_hex("11" * 32)
    wallet = Wallet(stranger, 0, 0)
    decoded = ante.decode_tx(sign(short_term_place(wallet.address), wallet))
    with pytest.raises(ChainError) as info:
        ante.authenticate(decoded, accounts, CHAIN_ID, check_sequence=False)
    assert_chain_error(
        info.value,
        errors.UNKNOWN_ADDRESS,
        f"account {wallet.address} does not exist: unknown address",
    )


def test_sequence_mismatch_when_checked(accounts: AccountRegistry) -> None:
    accounts.get(ALICE.address).sequence = 3
    decoded = ante.decode_tx(sign(long_term_cancel(), alice_wallet(sequence=1)))
    with pytest.raises(ChainError) as info:
        ante.authenticate(decoded, accounts, CHAIN_ID, check_sequence=True)
    assert info.value.error == errors.WRONG_SEQUENCE
    assert info.value.detail == "account sequence mismatch, expected 3, got 1"
    assert info.value.raw_log == (
        "account sequence mismatch, expected 3, got 1: incorrect account sequence"
    )


def test_sequence_ignored_when_not_checked(accounts: AccountRegistry) -> None:
    # Short-term clob txs skip the sequence check (GTB is their replay protection).
    accounts.get(ALICE.address).sequence = 3
    decoded = ante.decode_tx(sign(short_term_place(), alice_wallet(sequence=0)))
    account = ante.authenticate(decoded, accounts, CHAIN_ID, check_sequence=False)
    assert account.sequence == 3


def test_high_s_signature_is_refused(accounts: AccountRegistry) -> None:
    tx = Tx.FromString(sign(short_term_place()))
    sig = tx.signatures[0]
    s = int.from_bytes(sig[32:], "big")
    tx.signatures[0] = sig[:32] + (GROUP_ORDER_INT - s).to_bytes(32, "big")
    decoded = ante.decode_tx(tx.SerializeToString())
    with pytest.raises(ChainError) as info:
        ante.authenticate(decoded, accounts, CHAIN_ID, check_sequence=False)
    assert info.value.error == errors.UNAUTHORIZED


def test_missing_public_key_uses_the_account_key(accounts: AccountRegistry) -> None:
    tx = Tx.FromString(sign(short_term_place()))
    tx.auth_info.signer_infos[0].ClearField("public_key")
    tx = _resign(tx)
    decoded = ante.decode_tx(tx.SerializeToString())
    assert decoded.public_key is None
    with pytest.raises(ChainError) as info:
        ante.authenticate(decoded, accounts, CHAIN_ID, check_sequence=False)
    assert_chain_error(
        info.value, errors.INVALID_PUBKEY, "pubkey on account is not set: invalid pubkey"
    )

    accounts.get(ALICE.address).public_key = ALICE_KEY.public_key_bytes
    account = ante.authenticate(decoded, accounts, CHAIN_ID, check_sequence=False)
    assert account.address == ALICE.address


def test_verify_signature_rejects_bad_shapes() -> None:
    message = b"hello"
    good = ALICE_KEY.sign(message)
    key = ALICE_KEY.public_key_bytes
    assert ante.verify_signature(key, message, good)
    assert not ante.verify_signature(key, message, good[:63])
    assert not ante.verify_signature(key, message, b"\x00" * 64)
    assert not ante.verify_signature(b"\x02" + b"\x00" * 32, message, good)


# --------------------------------------------------------------------------- helpers


def _any(message) -> Any:
    packed = Any()
    packed.Pack(message, type_url_prefix="/")
    return packed


def _resign_body(body: TxBody) -> bytes:
    """A properly signed tx (by alice) with an arbitrary body."""
    tx = Tx.FromString(sign(short_term_place()))
    tx.body.CopyFrom(body)
    return _resign(tx).SerializeToString()


def _resign(tx: Tx, wallet: Wallet | None = None) -> Tx:
    wallet = wallet or alice_wallet()
    signature = get_signature(wallet.key, tx.body, tx.auth_info, wallet.account_number, CHAIN_ID)
    tx.signatures[:] = [signature]
    return tx

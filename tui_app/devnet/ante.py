"""The transaction front door of the devnet: decode a signed tx and authenticate its signer.

This is what cosmos-sdk's tx decoder and ante handler do before any message runs, reduced
to what the devnet needs: single-signer, SIGN_MODE_DIRECT, secp256k1 transactions, as
`dydx_v4_client`'s `Builder` makes them. Everything here is pure and synchronous; the chain
decides what to do with sequences (this module never changes one).

Errors are `ChainError`s carrying the code, codespace and raw log a real node would return.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TypeVar

from coincurve import PublicKey
from coincurve.ecdsa import cdata_to_der, deserialize_compact
from coincurve.utils import GROUP_ORDER_INT
from google.protobuf import unknown_fields
from google.protobuf.any_pb2 import Any
from google.protobuf.message import DecodeError, Message
from v4_proto.cosmos.bank.v1beta1.tx_pb2 import MsgSend
from v4_proto.cosmos.crypto.secp256k1.keys_pb2 import PubKey
from v4_proto.cosmos.tx.v1beta1.tx_pb2 import AuthInfo, SignDoc, SignerInfo, TxBody, TxRaw
from v4_proto.dydxprotocol.clob.tx_pb2 import MsgBatchCancel, MsgCancelOrder, MsgPlaceOrder
from v4_proto.dydxprotocol.sending.transfer_pb2 import (
    MsgDepositToSubaccount,
    MsgWithdrawFromSubaccount,
)
from v4_proto.dydxprotocol.sending.tx_pb2 import MsgCreateTransfer

from tui_app.devnet import errors
from tui_app.devnet.accounts import Account, AccountRegistry, address_from_public_key
from tui_app.devnet.errors import ChainError

M = TypeVar("M", bound=Message)

PUBKEY_TYPE_URL = "/cosmos.crypto.secp256k1.PubKey"
COMPRESSED_PUBKEY_LENGTH = 33
SIGNATURE_LENGTH = 64

# Messages unpacked into their proto classes in `DecodedTx.messages`.
CLOB_MESSAGE_TYPES: dict[str, type[Message]] = {
    "/dydxprotocol.clob.MsgPlaceOrder": MsgPlaceOrder,
    "/dydxprotocol.clob.MsgCancelOrder": MsgCancelOrder,
    "/dydxprotocol.clob.MsgBatchCancel": MsgBatchCancel,
}

# Other messages stay `Any` in `DecodedTx.messages`; for these we still know the signer
# (the client's deposit/withdraw/transfer/send_token helpers make them).
_OTHER_SIGNED_TYPES: dict[str, type[Message]] = {
    "/dydxprotocol.sending.MsgCreateTransfer": MsgCreateTransfer,
    "/dydxprotocol.sending.MsgDepositToSubaccount": MsgDepositToSubaccount,
    "/dydxprotocol.sending.MsgWithdrawFromSubaccount": MsgWithdrawFromSubaccount,
    "/cosmos.bank.v1beta1.MsgSend": MsgSend,
}


@dataclass(frozen=True)
class DecodedTx:
    """A transaction as the ante handler sees it.

    `body_bytes` and `auth_info_bytes` are the exact bytes that were signed. `messages`
    holds clob messages as proto objects and anything else as the raw `Any`.
    """

    tx_bytes: bytes
    txhash: str
    body_bytes: bytes
    auth_info_bytes: bytes
    body: TxBody
    auth_info: AuthInfo
    messages: tuple[Message, ...]
    signer: str
    signature: bytes
    public_key: bytes | None  # compressed secp256k1 key from the SignerInfo, if sent
    sequence: int  # the SignerInfo's sequence
    memo: str
    timeout_height: int

    @property
    def type_urls(self) -> tuple[str, ...]:
        return tuple(any_.type_url for any_ in self.body.messages)

    def sign_doc_bytes(self, chain_id: str, account_number: int) -> bytes:
        """The serialized SignDoc (SIGN_MODE_DIRECT) the signature must cover."""
        doc = SignDoc(
            body_bytes=self.body_bytes,
            auth_info_bytes=self.auth_info_bytes,
            chain_id=chain_id,
            account_number=account_number,
        )
        return doc.SerializeToString()


def tx_hash(tx_bytes: bytes) -> str:
    """The tx hash as nodes print it: uppercase hex SHA-256 of the raw tx bytes."""
    return hashlib.sha256(tx_bytes).hexdigest().upper()


# --------------------------------------------------------------------------- decoding


def decode_tx(tx_bytes: bytes) -> DecodedTx:
    """Parse raw tx bytes (a `TxRaw`); raise `ChainError` for anything a node would refuse."""
    raw = _parse(TxRaw, tx_bytes, "TxRaw")
    body = _parse(TxBody, raw.body_bytes, "TxBody")
    auth_info = _parse(AuthInfo, raw.auth_info_bytes, "AuthInfo")
    messages = tuple(_unpack_message(any_) for any_ in body.messages)
    if not messages:
        raise ChainError(errors.INVALID_REQUEST, "must contain at least one message")
    signature = _single_signature(raw, auth_info)
    signer_info = auth_info.signer_infos[0]
    return DecodedTx(
        tx_bytes=bytes(tx_bytes),
        txhash=tx_hash(tx_bytes),
        body_bytes=raw.body_bytes,
        auth_info_bytes=raw.auth_info_bytes,
        body=body,
        auth_info=auth_info,
        messages=messages,
        signer=_common_signer(messages),
        signature=signature,
        public_key=_public_key_of(signer_info),
        sequence=signer_info.sequence,
        memo=body.memo,
        timeout_height=body.timeout_height,
    )


def _parse(cls: type[M], data: bytes, what: str) -> M:
    try:
        message = cls.FromString(data)
    except DecodeError as exc:
        raise ChainError(errors.TX_DECODE, f"failed to decode {what}: {exc}") from exc
    _reject_unknown_fields(message, what)
    return message


def _reject_unknown_fields(message: Message, what: str) -> None:
    # cosmos-sdk refuses unknown fields in a tx, except "non-critical" ones (bit 11 set in
    # the field number, used for extension options).
    for field in unknown_fields.UnknownFieldSet(message):
        if not field.field_number & 0x400:
            raise ChainError(
                errors.TX_DECODE,
                f"errUnknownField: {what} has unknown field number {field.field_number}",
            )


def _unpack_message(any_: Any) -> Message:
    cls = CLOB_MESSAGE_TYPES.get(any_.type_url)
    if cls is None:
        return any_
    return _parse(cls, any_.value, any_.type_url)


def _single_signature(raw: TxRaw, auth_info: AuthInfo) -> bytes:
    if not raw.signatures:
        raise ChainError(errors.NO_SIGNATURES)
    count = max(len(raw.signatures), len(auth_info.signer_infos))
    if count > 1:
        raise ChainError(errors.TOO_MANY_SIGNATURES, f"signatures: {count}, limit: 1")
    if not auth_info.signer_infos:
        raise ChainError(
            errors.UNAUTHORIZED, "invalid number of signer infos; expected: 1, got 0"
        )
    return raw.signatures[0]


def _public_key_of(signer_info: SignerInfo) -> bytes | None:
    if not signer_info.HasField("public_key"):
        return None  # allowed once the account has a key on chain
    any_ = signer_info.public_key
    if any_.type_url != PUBKEY_TYPE_URL:
        raise ChainError(errors.INVALID_PUBKEY, f"unsupported public key type {any_.type_url}")
    return _parse(PubKey, any_.value, PUBKEY_TYPE_URL).key


# --------------------------------------------------------------------------- signers


def signer_of(message: Message) -> str:
    """The address that must sign `message` (an unpacked clob message or a raw `Any`)."""
    if isinstance(message, MsgPlaceOrder):
        return message.order.order_id.subaccount_id.owner
    if isinstance(message, MsgCancelOrder):
        return message.order_id.subaccount_id.owner
    if isinstance(message, MsgBatchCancel):
        return message.subaccount_id.owner
    if isinstance(message, Any):
        return _signer_of_any(message)
    raise ChainError(errors.UNKNOWN_REQUEST, f"unrecognized message type {type(message)}")


def _signer_of_any(any_: Any) -> str:
    cls = _OTHER_SIGNED_TYPES.get(any_.type_url)
    if cls is None:
        # What a node says for a type URL its interface registry does not know.
        raise ChainError(errors.TX_DECODE, f"unable to resolve type URL {any_.type_url}")
    message = _parse(cls, any_.value, any_.type_url)
    if isinstance(message, MsgCreateTransfer):
        return message.transfer.sender.owner
    if isinstance(message, MsgWithdrawFromSubaccount):
        return message.sender.owner
    if isinstance(message, MsgDepositToSubaccount):
        return message.sender
    return message.from_address  # MsgSend


def unpack_other(any_: Any) -> Message | None:
    """A non-clob message the devnet knows (sending, bank send) as its proto object."""
    cls = _OTHER_SIGNED_TYPES.get(any_.type_url)
    return None if cls is None else _parse(cls, any_.value, any_.type_url)


def _common_signer(messages: tuple[Message, ...]) -> str:
    signers = list(dict.fromkeys(signer_of(message) for message in messages))
    if len(signers) > 1:
        raise ChainError(
            errors.TOO_MANY_SIGNATURES,
            f"messages need {len(signers)} signers; only single-signer txs are supported",
        )
    if not signers[0]:
        raise ChainError(errors.INVALID_ADDRESS, "empty address string is not allowed")
    return signers[0]


# --------------------------------------------------------------------------- authentication


def authenticate(
    decoded: DecodedTx, accounts: AccountRegistry, chain_id: str, check_sequence: bool
) -> Account:
    """Check the signer's account, public key, sequence (if asked) and signature.

    Returns the signer's account, with its public key stored. Sequences are not changed:
    short-term clob txs skip the sequence check and never consume one; the chain decides.
    """
    account = accounts.get(decoded.signer)
    if account is None:
        raise ChainError(errors.UNKNOWN_ADDRESS, f"account {decoded.signer} does not exist")
    public_key = _signer_public_key(decoded, account)
    if check_sequence and decoded.sequence != account.sequence:
        raise ChainError(
            errors.WRONG_SEQUENCE,
            f"account sequence mismatch, expected {account.sequence}, got {decoded.sequence}",
        )
    message = decoded.sign_doc_bytes(chain_id, account.account_number)
    if not verify_signature(public_key, message, decoded.signature):
        raise ChainError(
            errors.UNAUTHORIZED,
            "signature verification failed; please verify account number "
            f"({account.account_number}), sequence ({account.sequence}) "
            f"and chain-id ({chain_id})",
        )
    account.public_key = public_key
    return account


def _signer_public_key(decoded: DecodedTx, account: Account) -> bytes:
    """The key to verify with: the tx's own, else the one the account already has."""
    public_key = decoded.public_key
    if public_key is None:
        if account.public_key is None:
            raise ChainError(errors.INVALID_PUBKEY, "pubkey on account is not set")
        return account.public_key
    if len(public_key) != COMPRESSED_PUBKEY_LENGTH:
        raise ChainError(errors.INVALID_PUBKEY, "length of pubkey is incorrect")
    if address_from_public_key(public_key) != decoded.signer:
        raise ChainError(
            errors.INVALID_PUBKEY,
            f"pubKey does not match signer address {decoded.signer} with signer index: 0",
        )
    return public_key


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """secp256k1 ECDSA over SHA-256(message); 64-byte r||s, low-S only (as cosmos-sdk)."""
    if len(signature) != SIGNATURE_LENGTH:
        return False
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    # Reject malleable high-S signatures and out-of-range values.
    if not (0 < r < GROUP_ORDER_INT and 0 < s <= GROUP_ORDER_INT // 2):
        return False
    try:
        der = cdata_to_der(deserialize_compact(signature))
        return PublicKey(public_key).verify(der, message)
    except (ValueError, TypeError):
        return False

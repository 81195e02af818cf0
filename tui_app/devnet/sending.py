"""The devnet's x/sending and bank MsgSend: deposits, withdrawals, transfers and sends.

Rules and error codes follow dYdX v4-chain (protocol/x/sending: the messages'
ValidateBasic, `ProcessTransfer`/`ProcessDepositToSubaccount`/`ProcessWithdrawFromSubaccount`;
protocol/x/subaccounts: `SubaccountId.Validate`, the transfer keeper's collateral check and
`GetErrorFromUpdateResults`) and cosmos-sdk's bank (MsgSend, insufficient funds).

Two stages, as on the chain: `validate_basic` is stateless and runs at CheckTx (a failure
refuses the tx; MsgSend has none since cosmos-sdk v0.50); `Sending.execute` runs when the tx is delivered in a block (a failure is
recorded in the block, the tx's fee and sequence are still spent) and for Simulate. A tx's
messages apply all or nothing. USDC (asset 0) quantums and the USDC bank denom's base units
are the same unit (6 decimals both).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from google.protobuf.message import Message
from v4_proto.cosmos.bank.v1beta1.tx_pb2 import MsgSend
from v4_proto.dydxprotocol.sending.transfer_pb2 import (
    MsgDepositToSubaccount,
    MsgWithdrawFromSubaccount,
)
from v4_proto.dydxprotocol.sending.tx_pb2 import MsgCreateTransfer
from v4_proto.dydxprotocol.subaccounts.subaccount_pb2 import SubaccountId as SubaccountIdProto

from tui_app.devnet import errors
from tui_app.devnet.accounts import AccountRegistry, is_valid_address
from tui_app.devnet.bank import Bank, check_covered
from tui_app.devnet.errors import ChainError
from tui_app.devnet.ledger import Ledger
from tui_app.devnet.params import USDC_ASSET_ID, USDC_DENOM
from tui_app.devnet.types import SubaccountId

MAX_SUBACCOUNT_NUMBER = 128_000  # x/subaccounts MaxSubaccountIdNumber (0..128,000 valid)
SUCCESS = "Success"


@dataclass(frozen=True)
class Movement:
    """USDC that moved between a subaccount and a wallet or another subaccount."""

    sender_subaccount: SubaccountId | None
    sender_wallet: str | None
    recipient_subaccount: SubaccountId | None
    recipient_wallet: str | None
    quantums: int


# --------------------------------------------------------------------------- CheckTx


def validate_basic(msg: Message) -> None:
    """The message's stateless checks (ValidateBasic), in the chain's order."""
    if isinstance(msg, MsgCreateTransfer):
        transfer = msg.transfer
        _validate_subaccount(transfer.sender)
        _validate_subaccount(transfer.recipient)
        if transfer.sender == transfer.recipient:
            raise ChainError(
                errors.SENDER_SAME_AS_RECIPIENT,
                f"Sender is the same as recipient ({_compact(transfer.sender)})",
            )
        _validate_usdc_amount(transfer.asset_id, transfer.amount)
    elif isinstance(msg, MsgDepositToSubaccount):
        if not is_valid_address(msg.sender):
            raise ChainError(errors.INVALID_ACCOUNT_ADDRESS)
        _validate_subaccount(msg.recipient)
        _validate_usdc_amount(msg.asset_id, msg.quantums)
    elif isinstance(msg, MsgWithdrawFromSubaccount):
        _validate_subaccount(msg.sender)
        if not is_valid_address(msg.recipient):
            raise ChainError(errors.INVALID_ACCOUNT_ADDRESS)
        _validate_usdc_amount(msg.asset_id, msg.quantums)
    # MsgSend has no ValidateBasic since cosmos-sdk v0.50: its msg server checks it.


def send_coins(msg: MsgSend) -> list[tuple[str, int]]:
    """A MsgSend's addresses and amount (valid, sorted, positive coins), as the bank's
    msg server checks them."""
    for name, address in (("from", msg.from_address), ("to", msg.to_address)):
        if not is_valid_address(address):
            raise ChainError(
                errors.INVALID_ADDRESS, f"invalid {name} address: {_bech32_error(address)}"
            )
    coins = []
    for coin in msg.amount:
        if not coin.amount.isdigit() or int(coin.amount) == 0:
            coins = None
            break
        coins.append((coin.denom, int(coin.amount)))
    denoms = [d for d, _ in coins or []]
    if not coins or denoms != sorted(set(denoms)) or not all(denoms):
        text = ",".join(f"{c.amount}{c.denom}" for c in msg.amount)
        raise ChainError(errors.INVALID_COINS, text)
    return coins


def _validate_subaccount(sub: SubaccountIdProto) -> None:
    if not is_valid_address(sub.owner):
        raise ChainError(
            errors.INVALID_SUBACCOUNT_OWNER,
            f"invalid SubaccountId Owner address ({sub.owner}). "
            f"Error: ({_bech32_error(sub.owner)})",
        )
    if sub.number > MAX_SUBACCOUNT_NUMBER:
        raise ChainError(errors.INVALID_SUBACCOUNT_NUMBER)


def _validate_usdc_amount(asset_id: int, quantums: int) -> None:
    if asset_id != USDC_ASSET_ID:
        raise ChainError(errors.NON_USDC_TRANSFER)
    if quantums == 0:
        raise ChainError(errors.INVALID_TRANSFER_AMOUNT)


def _bech32_error(address: str) -> str:
    return "empty address string is not allowed" if not address else "decoding bech32 failed"


def _compact(sub: SubaccountIdProto) -> str:
    """A SubaccountId as gogoproto's String() prints it (zero fields left out)."""
    return f'owner:"{sub.owner}"' + (f" number:{sub.number}" if sub.number else "")


# --------------------------------------------------------------------------- DeliverTx


@dataclass
class _Scratch:
    """A tx's changes before they are applied (its messages apply all or nothing)."""

    usdc: dict[SubaccountId, int] = field(default_factory=dict)
    coins: dict[tuple[str, str], int] = field(default_factory=dict)
    movements: list[Movement] = field(default_factory=list)


class Sending:
    """Executes sending and bank messages against the ledger and the bank.

    `usdc_change_result(subaccount, delta)` is the subaccounts module's collateral check
    (`Ledger.usdc_change_result` at the current oracle prices)."""

    def __init__(
        self,
        ledger: Ledger,
        bank: Bank,
        accounts: AccountRegistry,
        usdc_change_result: Callable[[SubaccountId, int], str],
    ) -> None:
        self.ledger = ledger
        self.bank = bank
        self.accounts = accounts
        self.usdc_change_result = usdc_change_result

    def execute(self, messages: list[Message], apply: bool = True) -> list[Movement]:
        """Run the messages in order; raise the first failure (as baseapp wraps it) and
        change nothing, else apply them all (unless `apply` is False: Simulate)."""
        scratch = _Scratch()
        for index, msg in enumerate(messages):
            try:
                self._run(msg, scratch)
            except ChainError as exc:
                raise errors.message_failed(exc, index) from None
        if apply:
            self._apply(scratch)
        return scratch.movements

    def _run(self, msg: Message, scratch: _Scratch) -> None:
        if isinstance(msg, MsgCreateTransfer):
            transfer = msg.transfer
            sender, recipient = _sid(transfer.sender), _sid(transfer.recipient)
            self._move_usdc(scratch, sender, -transfer.amount)
            self._move_usdc(scratch, recipient, transfer.amount)
            scratch.movements.append(Movement(sender, None, recipient, None, transfer.amount))
        elif isinstance(msg, MsgDepositToSubaccount):
            recipient = _sid(msg.recipient)
            self._move_usdc(scratch, recipient, msg.quantums)
            self._move_coin(scratch, msg.sender, USDC_DENOM, -msg.quantums)
            scratch.movements.append(Movement(None, msg.sender, recipient, None, msg.quantums))
        elif isinstance(msg, MsgWithdrawFromSubaccount):
            sender = _sid(msg.sender)
            self._move_usdc(scratch, sender, -msg.quantums)
            self._move_coin(scratch, msg.recipient, USDC_DENOM, msg.quantums)
            scratch.movements.append(Movement(sender, None, None, msg.recipient, msg.quantums))
        else:  # MsgSend
            for denom, amount in send_coins(msg):
                self._move_coin(scratch, msg.from_address, denom, -amount)
                self._move_coin(scratch, msg.to_address, denom, amount)

    def _move_usdc(self, scratch: _Scratch, sid: SubaccountId, delta: int) -> None:
        total = scratch.usdc.get(sid, 0) + delta
        result = self.usdc_change_result(sid, total)
        if result != SUCCESS:
            raise ChainError(
                errors.FAILED_TO_UPDATE_SUBACCOUNTS,
                # Go's %v of the SubaccountId struct value: {owner number}.
                f"Subaccount with id {{{sid.owner} {sid.number}}} failed with "
                f"UpdateResult: {result}",
            )
        scratch.usdc[sid] = total

    def _move_coin(self, scratch: _Scratch, address: str, denom: str, delta: int) -> None:
        key = (address, denom)
        total = scratch.coins.get(key, 0) + delta
        if delta < 0:
            have = self.bank.balance(address, denom) + scratch.coins.get(key, 0)
            check_covered(have, -delta, denom)
        scratch.coins[key] = total

    def _apply(self, scratch: _Scratch) -> None:
        for sid, delta in scratch.usdc.items():
            self.accounts.create(sid.owner)  # a transfer creates the recipient's account
            self.ledger.deposit(sid, delta)
        for (address, denom), delta in scratch.coins.items():
            self.accounts.create(address)  # the bank creates a recipient's account
            self.bank.mint(address, denom, delta)


def _sid(sub: SubaccountIdProto) -> SubaccountId:
    return SubaccountId(sub.owner, sub.number)

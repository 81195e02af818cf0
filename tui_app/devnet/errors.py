"""The chain's own error codes, as a node returns them in `TxResponse` (codespace, code, raw_log).

Codes and descriptions follow cosmos-sdk's `types/errors` (codespace `sdk`) and dYdX's
`x/clob/types/errors.go` (codespace `clob`), `x/sending` and `x/subaccounts` (codespaces
`sending` and `subaccounts`). A raw log reads "<detail>: <description>",
the way cosmos-sdk's `errorsmod.Wrapf` prints a wrapped error.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCode:
    codespace: str
    code: int
    description: str


class ChainError(Exception):
    """A transaction or message refused by the chain, with its code and a reason."""

    def __init__(self, error: ErrorCode, detail: str = "") -> None:
        self.error = error
        self.detail = detail
        super().__init__(self.raw_log)

    @property
    def codespace(self) -> str:
        return self.error.codespace

    @property
    def code(self) -> int:
        return self.error.code

    @property
    def raw_log(self) -> str:
        if self.detail:
            return f"{self.detail}: {self.error.description}"
        return self.error.description


def _sdk(code: int, description: str) -> ErrorCode:
    return ErrorCode("sdk", code, description)


def _clob(code: int, description: str) -> ErrorCode:
    return ErrorCode("clob", code, description)


# cosmos-sdk
TX_DECODE = _sdk(2, "tx parse error")
INVALID_SEQUENCE = _sdk(3, "invalid sequence")
UNAUTHORIZED = _sdk(4, "unauthorized")
INSUFFICIENT_FUNDS = _sdk(5, "insufficient funds")
UNKNOWN_REQUEST = _sdk(6, "unknown request")
INVALID_ADDRESS = _sdk(7, "invalid address")
INVALID_PUBKEY = _sdk(8, "invalid pubkey")
UNKNOWN_ADDRESS = _sdk(9, "unknown address")
INVALID_COINS = _sdk(10, "invalid coins")
OUT_OF_GAS = _sdk(11, "out of gas")
INSUFFICIENT_FEE = _sdk(13, "insufficient fee")
INVALID_REQUEST = _sdk(18, "invalid request")
TX_IN_MEMPOOL_CACHE = _sdk(19, "tx already in mempool")
TX_TOO_LARGE = _sdk(21, "tx too large")
NO_SIGNATURES = _sdk(15, "no signatures supplied")
TOO_MANY_SIGNATURES = _sdk(16, "maximum number of signatures exceeded")
TX_TIMEOUT_HEIGHT = _sdk(30, "tx timeout height")
WRONG_SEQUENCE = _sdk(32, "incorrect account sequence")

# dYdX x/clob
INVALID_ORDER_SIDE = _clob(3, "Invalid order side")
INVALID_ORDER_QUANTUMS = _clob(4, "Invalid order quantums")
INVALID_ORDER_GOOD_TIL_BLOCK = _clob(5, "Invalid order goodTilBlock")
INVALID_ORDER_SUBTICKS = _clob(6, "Invalid order subticks")
ORDER_IS_CANCELED = _clob(7, "Attempt to place an order that is already canceled")
INVALID_CLOB = _clob(8, "ClobPair ID does not reference a valid CLOB")
CANCEL_ALREADY_EXISTS = _clob(
    9,
    "A cancel already exists in the memclob for this order with a greater than or equal "
    "GoodTilBlock",
)
HEIGHT_EXCEEDS_GOOD_TIL_BLOCK = _clob(
    10, "The next block height is greater than the GoodTilBlock of the message"
)
GOOD_TIL_BLOCK_EXCEEDS_SHORT_BLOCK_WINDOW = _clob(
    11, "The GoodTilBlock of the message is further than ShortBlockWindow blocks into the future"
)
INVALID_PLACE_ORDER = _clob(12, "MsgPlaceOrder is invalid")
TOO_MANY_OPEN_ORDERS_PER_CLOB_AND_SIDE = _clob(
    17, "Subaccount cannot open more than 20 orders on a given CLOB and side"
)
INVALID_REPLACEMENT = _clob(
    20,
    "An order with the same `OrderId` already exists for this CLOB with a "
    "greater-than-or-equal `GoodTilBlock` or Order Hash",
)
INVALID_CLOB_PAIR_PARAMETER = _clob(27, "Invalid ClobPair parameter")
INVALID_STATEFUL_ORDER_CANCELLATION = _clob(29, "Invalid stateful order cancellation")
ORDER_REPROCESSED = _clob(
    30, "An order with the same `OrderId` and `OrderHash` has already been processed for this CLOB"
)
STATEFUL_CANCELLATION_ALREADY_EXISTS = _clob(
    32, "Existing stateful order cancellation has higher-or-equal priority than the new one"
)
ORDER_CONFLICTS_WITH_CLOB_PAIR_STATUS = _clob(34, "Order conflicts with ClobPair status")
INVALID_BATCH_CANCEL = _clob(45, "Invalid batch cancel message")
BATCH_CANCEL_FAILED = _clob(46, "Batch cancel has failed")
CLOB_NOT_INITIALIZED = _clob(47, "CLOB has not been initialized")
DEPRECATED_FIELD = _clob(48, "This field has been deprecated")
REDUCE_ONLY_WOULD_INCREASE_POSITION = _clob(
    2001, "Reduce-only orders cannot increase the position size"
)
REDUCE_ONLY_WOULD_CHANGE_SIDE = _clob(2002, "Reduce-only orders cannot change the position side")
POST_ONLY_WOULD_CROSS = _clob(2003, "Post-only order would cross one or more maker orders")
IMMEDIATE_EXECUTION_ALREADY_FILLED = _clob(
    2004, "IOC/FOK order is already filled, remaining size is cancelled."
)
INVALID_ORDER_FLAG = _clob(3000, "Invalid order flags")
INVALID_GOOD_TIL_BLOCK_TIME = _clob(3001, "Invalid order goodTilBlockTime")
STATEFUL_ORDERS_CANNOT_BE_IMMEDIATE = _clob(
    3002, "Stateful orders cannot require immediate execution"
)
TIME_EXCEEDS_GOOD_TIL_BLOCK_TIME = _clob(
    3003, "The block time is greater than the GoodTilBlockTime of the message"
)
GOOD_TIL_BLOCK_TIME_EXCEEDS_WINDOW = _clob(
    3004,
    "The GoodTilBlockTime of the message is further than StatefulOrderTimeWindow into the future",
)
STATEFUL_ORDER_ALREADY_EXISTS = _clob(
    3005, "Existing stateful order has higher-or-equal priority than the new one"
)
STATEFUL_ORDER_DOES_NOT_EXIST = _clob(3006, "Stateful order does not exist")
STATEFUL_ORDER_COLLATERALIZATION_FAILED = _clob(
    3007, "Stateful order collateralization check failed"
)
STATEFUL_ORDER_PREVIOUSLY_CANCELLED = _clob(
    3008, "Stateful order was previously cancelled and therefore cannot be placed"
)
STATEFUL_ORDER_PREVIOUSLY_REMOVED = _clob(
    3009, "Stateful order was previously removed and therefore cannot be placed"
)
STATEFUL_CANCEL_FOR_REMOVED_ORDER = _clob(
    3010, "Stateful order cancellation failed because the order was already removed from state"
)
BLOCK_RATE_LIMIT_EXCEEDED = _clob(5001, "Block rate limit exceeded")
INVALID_CONDITION_TYPE = _clob(6000, "Conditional type is invalid")
INVALID_CONDITIONAL_ORDER_TRIGGER_SUBTICKS = _clob(
    6001, "Conditional order trigger subticks is invalid"
)
REDUCE_ONLY_DISABLED = _clob(9003, "Reduce-only is currently disabled")
# The chain refuses a short-term order that fails the collateral check with this
# (subaccounts module) error; the order never rests.
UNDERCOLLATERALIZED = ErrorCode(
    "subaccounts", 2, "Subaccount is not collateralized after the update"
)


# dYdX x/sending (deposits, withdrawals, transfers between subaccounts)
SENDER_SAME_AS_RECIPIENT = ErrorCode("sending", 1, "Sender is the same as recipient")
INVALID_TRANSFER_AMOUNT = ErrorCode("sending", 2, "Invalid transfer amount")
INVALID_ACCOUNT_ADDRESS = ErrorCode("sending", 6, "Account address is invalid")
NON_USDC_TRANSFER = ErrorCode("sending", 1101, "Non-USDC asset transfer not implemented")

# dYdX x/subaccounts
FAILED_TO_UPDATE_SUBACCOUNTS = ErrorCode(
    "subaccounts", 102, "failed to apply subaccount updates"
)
INVALID_SUBACCOUNT_NUMBER = ErrorCode(
    "subaccounts", 200, "subaccount id number cannot exceed 128000"
)
INVALID_SUBACCOUNT_OWNER = ErrorCode(
    "subaccounts", 201, "subaccount id owner is an invalid address"
)


def message_failed(error: ChainError, index: int) -> ChainError:
    """A message's failure as the tx reports it (baseapp wraps it with the message index)."""
    detail = f"failed to execute message; message index: {index}"
    if error.detail:
        detail = f"{detail}: {error.detail}"
    return ChainError(error.error, detail)

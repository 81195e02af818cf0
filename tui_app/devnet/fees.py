"""Transaction fees of non-clob transactions (cosmos-sdk's DeductFeeDecorator on dYdX).

Clob transactions are free on dYdX (a free, infinite gas meter); every other transaction
pays its `fee` from the signer's bank balance when it is checked. At CheckTx the fee must
also meet the validator's minimum gas prices: dYdX's default `minimum-gas-prices` is
0.025 USDC base units or 25,000,000,000 adv4tnt per unit of gas (`cmd/dydxprotocold/cmd/
config.go`), which is exactly what dydx-v4-client's `calculate_fee` pays.
"""

from __future__ import annotations

import math
from decimal import Decimal

from v4_proto.cosmos.tx.v1beta1.tx_pb2 import Fee

from tui_app.devnet import errors
from tui_app.devnet.bank import FEE_COLLECTOR, Bank, coin_string
from tui_app.devnet.errors import ChainError
from tui_app.devnet.params import NATIVE_DENOM, USDC_DENOM

MIN_GAS_PRICES: dict[str, Decimal] = {
    NATIVE_DENOM: Decimal(25_000_000_000),
    USDC_DENOM: Decimal("0.025"),
}


def fee_coins(fee: Fee) -> list[tuple[str, int]]:
    """The fee as (denom, amount) pairs; a malformed amount is cosmos' invalid coins."""
    coins = []
    for coin in fee.amount:
        if not coin.amount.isdigit():
            raise ChainError(errors.INVALID_COINS, f"{coin.amount}{coin.denom}")
        coins.append((coin.denom, int(coin.amount)))
    return coins


def check_min_gas_prices(fee: Fee) -> None:
    """CheckTx only: the fee must reach the minimum price in at least one denom."""
    required = {
        denom: math.ceil(price * fee.gas_limit) for denom, price in sorted(MIN_GAS_PRICES.items())
    }
    paid = dict(fee_coins(fee))
    if any(paid.get(denom, 0) >= amount for denom, amount in required.items()):
        return
    got = ",".join(coin_string(a, d) for d, a in sorted(paid.items()) if a)
    wanted = ",".join(coin_string(a, d) for d, a in required.items())
    raise ChainError(errors.INSUFFICIENT_FEE, f"insufficient fees; got: {got} required: {wanted}")


def check_payable(bank: Bank, payer: str, fee: Fee) -> None:
    _wrapped(lambda: bank.check_spendable(payer, fee_coins(fee)))


def deduct(bank: Bank, payer: str, fee: Fee) -> None:
    """Move the fee to the fee collector (nothing happens for an empty fee)."""
    coins = [(d, a) for d, a in fee_coins(fee) if a]
    if coins:
        _wrapped(lambda: bank.send(payer, FEE_COLLECTOR, coins))


def _wrapped(action) -> None:
    # DeductFees wraps the bank's error once more with ErrInsufficientFunds.
    try:
        action()
    except ChainError as exc:
        raise ChainError(exc.error, exc.raw_log) from None

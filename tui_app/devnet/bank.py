"""The devnet's x/bank: coin balances of accounts (wallets), by denom, in base units.

Only what deposits, withdrawals, sends and fees need: balances, a send that refuses to
overdraw with cosmos-sdk's own error text, and minting at genesis. Subaccount money is not
here: it lives in the ledger (the subaccounts module), and the collateral pool that backs
it on the real chain is not modelled (it always holds exactly the subaccounts' total).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import bech32

from tui_app.devnet import errors
from tui_app.devnet.accounts import ADDRESS_PREFIX
from tui_app.devnet.errors import ChainError


def module_address(name: str) -> str:
    """A module account's address: the first 20 bytes of SHA-256 of its name."""
    digest = hashlib.sha256(name.encode()).digest()[:20]
    return bech32.bech32_encode(ADDRESS_PREFIX, bech32.convertbits(digest, 8, 5))


# Fees go to cosmos-sdk's fee collector module account.
FEE_COLLECTOR = module_address("fee_collector")


def coin_string(amount: int, denom: str) -> str:
    """A cosmos Coin as it prints: amount then denom, no space."""
    return f"{amount}{denom}"


def check_covered(have: int, amount: int, denom: str) -> None:
    if have < amount:
        raise ChainError(
            errors.INSUFFICIENT_FUNDS,
            f"spendable balance {coin_string(have, denom)} is smaller than "
            f"{coin_string(amount, denom)}",
        )


class Bank:
    def __init__(self) -> None:
        self._balances: dict[str, dict[str, int]] = {}

    def balance(self, address: str, denom: str) -> int:
        return self._balances.get(address, {}).get(denom, 0)

    def balances(self, address: str) -> list[tuple[str, int]]:
        """Non-zero balances sorted by denom (as AllBalances lists them)."""
        held = self._balances.get(address, {})
        return sorted((denom, amount) for denom, amount in held.items() if amount)

    def mint(self, address: str, denom: str, amount: int) -> None:
        """Add `amount` (negative takes away; callers check first)."""
        held = self._balances.setdefault(address, {})
        held[denom] = held.get(denom, 0) + amount

    def check_spendable(self, address: str, coins: Iterable[tuple[str, int]]) -> None:
        """cosmos-sdk's subUnlockedCoins check: every coin must be covered, in order."""
        for denom, amount in coins:
            check_covered(self.balance(address, denom), amount, denom)

    def send(self, sender: str, recipient: str, coins: Iterable[tuple[str, int]]) -> None:
        coins = list(coins)
        self.check_spendable(sender, coins)
        for denom, amount in coins:
            self._balances[sender][denom] -= amount
            self.mint(recipient, denom, amount)

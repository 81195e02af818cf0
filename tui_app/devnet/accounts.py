"""Accounts of the devnet: the real localnet's public test accounts, and the registry.

alice, bob, carl and dave are the well-known accounts dYdX's own localnet funds; their
mnemonics are public (dYdX's `protocol/testing` scripts) and worthless outside a local
network. Using the same ones means the app's `local` network works against either a real
dYdX localnet or this devnet. Synthetic traders use further accounts derived from the seed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import bech32

ADDRESS_PREFIX = "dydx"


@dataclass(frozen=True)
class TestAccount:
    name: str
    address: str
    mnemonic: str


ALICE = TestAccount(
    "alice",
    "dydx199tqg4wdlnu4qjlxchpd7seg454937hjrknju4",
    "merge panther lobster crazy road hollow amused security before critic about cliff "
    "exhibit cause coyote talent happy where lion river tobacco option coconut small",
)
BOB = TestAccount(
    "bob",
    "dydx10fx7sy6ywd5senxae9dwytf8jxek3t2gcen2vs",
    "color habit donor nurse dinosaur stable wonder process post perfect raven gold census "
    "inside worth inquiry mammal panic olive toss shadow strong name drum",
)
CARL = TestAccount(
    "carl",
    "dydx1fjg6zp6vv8t9wvy4lps03r5l4g7tkjw9wvmh70",
    "school artefact ghost shop exchange slender letter debris dose window alarm hurt whale "
    "tiger find found island what engine ketchup globe obtain glory manage",
)
DAVE = TestAccount(
    "dave",
    "dydx1wau5mja7j7zdavtfq9lu7ejef05hm6ffenlcsn",
    "switch boring kiss cash lizard coconut romance hurry sniff bus accident zone chest "
    "height merit elevator furnace eagle fetch quit toward steak mystery nest",
)
TEST_ACCOUNTS: tuple[TestAccount, ...] = (ALICE, BOB, CARL, DAVE)
DEMO_ACCOUNT = ALICE


def address_from_public_key(compressed_public_key: bytes) -> str:
    """Cosmos address: bech32("dydx", RIPEMD160(SHA256(compressed secp256k1 key)))."""
    # Imported here: pycryptodome loads cffi and pycparser (30-100 ms), which the TUI's
    # start (the demo account's known address) does not need.
    from Crypto.Hash import RIPEMD160

    sha = hashlib.sha256(compressed_public_key).digest()
    digest = RIPEMD160.new(sha).digest()
    return bech32.bech32_encode(ADDRESS_PREFIX, bech32.convertbits(digest, 8, 5))


def is_valid_address(address: str) -> bool:
    hrp, data = bech32.bech32_decode(address)
    if hrp != ADDRESS_PREFIX or data is None:
        return False
    decoded = bech32.convertbits(data, 5, 8, False)
    return decoded is not None and len(decoded) == 20


def synthetic_address(seed: int, index: int) -> str:
    """A deterministic, valid address for a synthetic trader (no key: it never signs)."""
    digest = hashlib.sha256(f"dydx-tui-devnet/{seed}/{index}".encode()).digest()[:20]
    return bech32.bech32_encode(ADDRESS_PREFIX, bech32.convertbits(digest, 8, 5))


@dataclass
class Account:
    """An auth-module account: number, sequence and (once it has signed) public key."""

    address: str
    account_number: int
    sequence: int = 0
    public_key: bytes | None = None


class AccountRegistry:
    """All accounts by address, numbered in creation order from 0 (alice is 0, as on localnet)."""

    def __init__(self) -> None:
        self._by_address: dict[str, Account] = {}

    def create(self, address: str) -> Account:
        if address in self._by_address:
            return self._by_address[address]
        account = Account(address=address, account_number=len(self._by_address))
        self._by_address[address] = account
        return account

    def get(self, address: str) -> Account | None:
        return self._by_address.get(address)

    def __contains__(self, address: object) -> bool:
        return address in self._by_address

    def __iter__(self):
        return iter(self._by_address.values())

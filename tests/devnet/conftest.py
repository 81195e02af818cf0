from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tui_app.devnet.accounts import ALICE, BOB, CARL
from tui_app.devnet.chain import Chain
from tui_app.devnet.params import ChainParams

from .txs import Signer

START = datetime(2026, 1, 1, tzinfo=UTC)


class ChainHarness:
    """A quiet chain (no synthetic traders) with a fixed clock and a record of events."""

    def __init__(self, **params) -> None:
        self.chain = Chain(ChainParams(synthetic_traders=False, **params), seed=7, start_time=START)
        self.events: list = []
        self.chain.subscribe(self.events.append)
        self.alice = Signer(ALICE, self.chain.accounts.get(ALICE.address).account_number)
        self.bob = Signer(BOB, self.chain.accounts.get(BOB.address).account_number)
        self.carl = Signer(CARL, self.chain.accounts.get(CARL.address).account_number)

    @property
    def next_height(self) -> int:
        return self.chain.height + 1

    @property
    def now(self) -> int:
        return int(self.chain.block_time.timestamp())

    def block(self, count: int = 1) -> None:
        for _ in range(count):
            self.chain.produce_block(self.chain.block_time + timedelta(seconds=1))

    def send(self, tx: bytes):
        return self.chain.check_tx(tx)

    def events_of(self, kind) -> list:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def h() -> ChainHarness:
    return ChainHarness()

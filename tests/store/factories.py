"""Order records for store tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from tui_app.store import OrderRecord

ALICE = "dydx199tqg4wdlnu4qjlxchpd7seg454937hjrknju4"
T0 = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)


def make_order(client_id: int = 7, **overrides) -> OrderRecord:
    fields = dict(
        order_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"test-{client_id}-{overrides}")),
        owner=ALICE,
        subaccount_number=0,
        client_id=client_id,
        order_flags=0,
        clob_pair_id=1,
        order_id_proto=b"\x0a\x2e" + client_id.to_bytes(4, "little"),
        good_til_block=1234,
        good_til_block_time=None,
        symbol="ETH-USD",
        side="BUY",
        quantity=Decimal("1.001"),
        quantums=1_001_000_000,
        price=Decimal("2048.2"),
        subticks=2_048_200_000,
        order_type="LIMIT",
        time_in_force="GTT",
        reduce_only=False,
        post_only=False,
        placed_at=T0,
    )
    fields.update(overrides)
    return OrderRecord(**fields)

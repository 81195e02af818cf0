"""The indexer's deterministic ids.

dYdX's indexer derives every row id with UUIDv5 under one fixed namespace, so anyone can
compute the id of an order, fill or position from its fields (checked against real
captures in tests/devnet/indexer/test_ids.py).
"""

from __future__ import annotations

import functools
import uuid

from tui_app.devnet.types import OrderId, SubaccountId

NAMESPACE = uuid.UUID("0f9da948-a6fb-4c45-9edc-4685c3f3317d")


# The same ids are derived again and again (every update of an order, every message of a
# subaccount): SHA-1 each time was a fifth of the devnet's CPU during a cancel-all of 500.
@functools.lru_cache(maxsize=65_536)
def _uuid5(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


def uuid5_of(name: str) -> str:
    """The indexer's UUIDv5 of any name (for ids built elsewhere, e.g. transfers)."""
    return _uuid5(name)


def subaccount_uuid(address: str, number: int) -> str:
    return _uuid5(f"{address}-{number}")


def subaccount_uuid_of(subaccount: SubaccountId) -> str:
    return subaccount_uuid(subaccount.owner, subaccount.number)


def order_uuid(subaccount_id: str, client_id: int, clob_pair_id: int, order_flags: int) -> str:
    return _uuid5(f"{subaccount_id}-{client_id}-{clob_pair_id}-{order_flags}")


def order_uuid_of(order_id: OrderId) -> str:
    return order_uuid(
        subaccount_uuid_of(order_id.subaccount),
        order_id.client_id,
        order_id.clob_pair_id,
        order_id.order_flags,
    )


def fill_uuid(event_id_hex: str, liquidity: str) -> str:
    """`liquidity` is "TAKER" or "MAKER": both sides of one match share the event id."""
    return _uuid5(f"{event_id_hex}-{liquidity}")


def perpetual_position_uuid(subaccount_id: str, open_event_id_hex: str) -> str:
    return _uuid5(f"{subaccount_id}-{open_event_id_hex}")


def asset_position_uuid(subaccount_id: str, asset_id: int) -> str:
    return _uuid5(f"{subaccount_id}-{asset_id}")


def pnl_tick_uuid(subaccount_id: str, created_at_iso: str) -> str:
    return _uuid5(f"{subaccount_id}-{created_at_iso}")


def event_id_hex(event_id: bytes) -> str:
    """24 hex chars: block height u32 BE, tx index + 2 u32, event index u32."""
    return event_id.hex()

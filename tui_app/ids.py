"""The indexer's deterministic ids, computed exactly as the dYdX v4 indexer does.

Every indexer row id is a UUIDv5 of a few fields under one fixed namespace, so the app can
know the id of an order it placed before any message about it arrives (protocol notes 1.7;
checked against real captures in tests/app/test_ids.py). The devnet keeps its own copy in
tui_app/devnet/indexer/ids.py; this module is the app's.
"""

from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("0f9da948-a6fb-4c45-9edc-4685c3f3317d")


def _uuid5(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


def subaccount_uuid(address: str, number: int) -> str:
    """Id of subaccount `number` of `address` (e.g. "dydx1...", 0)."""
    return _uuid5(f"{address}-{int(number)}")


def order_uuid(
    address: str, number: int, client_id: int, clob_pair_id: int, order_flags: int
) -> str:
    """Id of the order with this OrderId (the four fields the chain identifies it by)."""
    subaccount_id = subaccount_uuid(address, number)
    return _uuid5(f"{subaccount_id}-{int(client_id)}-{int(clob_pair_id)}-{int(order_flags)}")


def fill_uuid(event_id_hex: str, liquidity: str) -> str:
    """Id of one side of a match; `liquidity` is "TAKER" or "MAKER".

    Both sides of a match share the 24-hex-char event id, hence the liquidity in the name.
    """
    return _uuid5(f"{event_id_hex}-{liquidity}")


def position_uuid(subaccount_uuid: str, open_event_id_hex: str) -> str:
    """Id of a perpetual position: its subaccount and the event that opened it."""
    return _uuid5(f"{subaccount_uuid}-{open_event_id_hex}")


def asset_position_uuid(subaccount_uuid: str, asset_id: int | str) -> str:
    """Id of an asset position (asset id 0 is USDC)."""
    return _uuid5(f"{subaccount_uuid}-{int(asset_id)}")

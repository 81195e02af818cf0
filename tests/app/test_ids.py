"""The indexer ids in real captured messages re-derive from their own fields."""

from __future__ import annotations

import pytest

from tests.app.conftest import sample_json
from tui_app import ids

# The real account behind the NautilusTrader captures (see the samples' README).
ADDRESS = "dydx1kzsvkf2ghjqlysuffdkhcdctknl4rsvcx5hkm5"
SUBACCOUNT_ID = "4484a830-fa43-5b04-ba00-3621a33ef89d"

ORDER_SAMPLES = [
    "v4_subaccounts_subscribed.json",
    "v4_subaccounts_channel_data_fill.json",
    "v4_subaccounts_channel_data_order_best_effort_canceled.json",
    "v4_subaccounts_channel_data_order_best_effort_opened.json",
    "v4_subaccounts_channel_data_order_canceled.json",
    "v4_subaccounts_channel_data_order_open_long_term.json",
]


def test_subaccount_id():
    assert ids.subaccount_uuid(ADDRESS, 0) == SUBACCOUNT_ID
    # The dYdX documentation example: its fill names subaccount db535c19-...
    docs = sample_json("docs_v4_subaccounts_channel_data.json")
    address, number = docs["id"].split("/")
    fill = docs["contents"]["fills"][0]
    assert ids.subaccount_uuid(address, int(number)) == fill["subaccountId"]


@pytest.mark.parametrize("name", ORDER_SAMPLES)
def test_order_ids_rederive(name):
    orders = sample_json(name)["contents"]["orders"]
    assert orders
    for order in orders:
        assert order["subaccountId"] == SUBACCOUNT_ID
        derived = ids.order_uuid(
            ADDRESS, 0, int(order["clientId"]), int(order["clobPairId"]), int(order["orderFlags"])
        )
        assert derived == order["id"]


def test_fill_ids_rederive_from_hex_event_id():
    fills = sample_json("v4_subaccounts_channel_data_fill.json")["contents"]["fills"]
    for fill in fills:
        assert ids.fill_uuid(fill["eventId"], fill["liquidity"]) == fill["id"]
        assert fill["subaccountId"] == SUBACCOUNT_ID


def test_fill_id_rederives_from_old_buffer_event_id():
    fill = sample_json("docs_v4_subaccounts_channel_data.json")["contents"]["fills"][0]
    event_id_hex = bytes(fill["eventId"]["data"]).hex()
    assert ids.fill_uuid(event_id_hex, fill["liquidity"]) == fill["id"]


def test_position_and_asset_position_ids_follow_the_scheme():
    # No capture carries the opening event of a position, so check the formula's shape
    # against the namespace directly.
    import uuid

    expected = str(uuid.uuid5(ids.NAMESPACE, f"{SUBACCOUNT_ID}-011ec83d000000020000000b"))
    assert ids.position_uuid(SUBACCOUNT_ID, "011ec83d000000020000000b") == expected
    assert ids.asset_position_uuid(SUBACCOUNT_ID, 0) == str(
        uuid.uuid5(ids.NAMESPACE, f"{SUBACCOUNT_ID}-0")
    )
    assert ids.asset_position_uuid(SUBACCOUNT_ID, "0") == ids.asset_position_uuid(SUBACCOUNT_ID, 0)

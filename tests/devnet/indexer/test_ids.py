"""The indexer's UUIDv5 ids, re-derived from the captures' own fields."""

from __future__ import annotations

from tui_app.devnet.indexer import ids

from .conftest import sample


def _address(message: dict) -> str:
    return message["id"].split("/")[0]


def test_subaccount_id_from_address_and_number() -> None:
    message = sample("v4_subaccounts_channel_data_order_open_long_term")
    order = message["contents"]["orders"][0]
    assert ids.subaccount_uuid(_address(message), 0) == order["subaccountId"]


def test_order_ids_from_their_fields() -> None:
    names = (
        "v4_subaccounts_channel_data_order_open_long_term",
        "v4_subaccounts_channel_data_order_canceled",
        "v4_subaccounts_channel_data_order_best_effort_opened",
        "v4_subaccounts_channel_data_order_best_effort_canceled",
        "v4_subaccounts_channel_data_fill",
        "v4_subaccounts_subscribed",
    )
    checked = 0
    for name in names:
        for order in sample(name)["contents"]["orders"]:
            derived = ids.order_uuid(
                order["subaccountId"],
                int(order["clientId"]),
                int(order["clobPairId"]),
                int(order["orderFlags"]),
            )
            assert derived == order["id"], name
            checked += 1
    assert checked == len(names)


def test_fill_ids_from_event_id_and_liquidity() -> None:
    fills = sample("v4_subaccounts_channel_data_fill")["contents"]["fills"]
    for fill in fills:
        assert ids.fill_uuid(fill["eventId"], fill["liquidity"]) == fill["id"]


def test_event_id_hex_is_height_tx_event() -> None:
    event_id = (18794557).to_bytes(4, "big") + (2).to_bytes(4, "big") + (11).to_bytes(4, "big")
    assert ids.event_id_hex(event_id) == "011ec83d000000020000000b"


def test_asset_and_position_ids_are_uuid5_of_the_documented_names() -> None:
    sub = ids.subaccount_uuid("dydx199tqg4wdlnu4qjlxchpd7seg454937hjrknju4", 0)
    assert ids.asset_position_uuid(sub, 0) == ids._uuid5(f"{sub}-0")
    assert ids.perpetual_position_uuid(sub, "00" * 12) == ids._uuid5(f"{sub}-{'00' * 12}")

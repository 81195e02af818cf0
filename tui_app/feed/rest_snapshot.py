"""A REST poll turned into the WebSocket snapshots it stands for.

While the WebSocket is down the feed polls REST; applying the result as ordinary
`subscribed` messages keeps one code path in the account state (a snapshot replaces what
it covers, exactly as after a reconnect). The frames go through `parse_message`, so REST
data meets the same validation as WebSocket data and bad data is counted, never raised.
"""

from __future__ import annotations

import json
from itertools import count

from tui_app.feed.rest_poller import RestSnapshot
from tui_app.feed.subscriptions import BLOCK_HEIGHT, MARKETS, SUBACCOUNTS
from tui_app.models import MessageRejected, ParsedMessage, RejectCounter, parse_message

_polls = count(1)


def snapshot_frames(snapshot: RestSnapshot, channel_id: str) -> list[str]:
    """Three `subscribed` frames (markets, subaccount, block height) on a pseudo connection.

    Each poll gets its own connection id: the state's message-id tracker then starts a
    fresh count, as for a new WebSocket connection.
    """
    connection_id = f"rest-poll-{next(_polls)}"
    height = snapshot.height
    subaccount_contents: dict = {}
    if snapshot.subaccount is not None:  # 404: the indexer has no such subaccount yet
        subaccount_contents = {
            "subaccount": snapshot.subaccount,
            "orders": snapshot.orders,
            "blockHeight": height.get("height"),
        }
    bodies = [
        {"channel": MARKETS, "contents": snapshot.markets},
        {"channel": SUBACCOUNTS, "id": channel_id, "contents": subaccount_contents},
        {"channel": BLOCK_HEIGHT, "id": BLOCK_HEIGHT, "contents": height},
    ]
    return [
        json.dumps({"type": "subscribed", "connection_id": connection_id, "message_id": n, **body})
        for n, body in enumerate(bodies, start=1)
    ]


def parse_snapshot(
    snapshot: RestSnapshot, channel_id: str, counter: RejectCounter
) -> list[ParsedMessage | MessageRejected]:
    return [parse_message(frame, counter) for frame in snapshot_frames(snapshot, channel_id)]

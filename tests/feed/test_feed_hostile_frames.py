"""The feed's message path against hostile and oversized frames from a local server:
10,000 fuzzed frames cause no crash and every rejected one is counted; a subaccount
snapshot with 1,000 open orders (over websockets' 1 MiB default) is accepted."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.server import serve

from tui_app import ids
from tui_app.devnet.accounts import ALICE
from tui_app.feed.feed import IndexerFeed, wire_log
from tui_app.feed.log_limit import BurstLimit
from tui_app.feed.status import WsState
from tui_app.models import MessageRejected, parse_message
from tui_app.state import AccountState

from .devnet_harness import fast_settings, wait_until
from .fuzz_frames import FrameFuzzer

pytestmark = pytest.mark.timeout(120)
FUZZED = 10_000


class FrameServer:
    """A WebSocket server on 127.0.0.1:0 that sends `frames` to each client, then idles."""

    def __init__(self, frames: list[str | bytes]) -> None:
        self.frames = frames
        self.requests: list[dict] = []

    async def handler(self, ws) -> None:
        reader = asyncio.create_task(self._read(ws))
        try:
            await ws.send(json.dumps({"type": "connected", "connection_id": "c", "message_id": 0}))
            for frame in self.frames:
                await ws.send(frame)
            await ws.wait_closed()
        finally:
            reader.cancel()

    async def _read(self, ws) -> None:
        async for text in ws:
            self.requests.append(json.loads(text))


def wire_log_limit() -> BurstLimit:
    return next(f for f in wire_log.filters if isinstance(f, BurstLimit))


def as_received(frame: str | bytes) -> str:
    """Bytes go out as binary frames, which the session decodes with replacement
    characters (a flipped byte inside a string can so become a valid frame)."""
    return frame.decode("utf-8", errors="replace") if isinstance(frame, bytes) else frame


def feed_for(port: int, state: AccountState) -> IndexerFeed:
    return IndexerFeed(
        state,
        ws_url=f"ws://127.0.0.1:{port}",
        rest_url="http://127.0.0.1:1",  # unused: the WebSocket stays up
        settings=fast_settings(silence_timeout_seconds=60, rest_timeout_seconds=10),
        probe_interval=3600,
    )


async def test_10000_fuzzed_frames_cause_no_crash_and_are_counted():
    frames = FrameFuzzer(seed=4).frames(FUZZED)
    expected_rejects = sum(
        isinstance(parse_message(as_received(f)), MessageRejected) for f in frames
    )
    assert expected_rejects > FUZZED // 2  # the generator really is hostile

    server = FrameServer(frames)
    state = AccountState(ALICE.address, 0)
    async with serve(server.handler, "127.0.0.1", 0, max_size=None) as listening:
        port = listening.sockets[0].getsockname()[1]
        feed = feed_for(port, state)
        async with feed:
            await wait_until(lambda: feed.messages >= FUZZED + 1, "every frame")
            status = feed.status
        assert feed.session.failures == 0  # never dropped the connection
    assert feed.messages == FUZZED + 1
    assert feed.internal_errors == 0 and state.apply_errors == 0
    assert feed.rejects.total == expected_rejects == status.rejected_messages
    assert state.rejected_messages == expected_rejects
    assert wire_log_limit().suppressed > 0  # thousands of rejections, a few log lines
    assert status.ws_state is WsState.LIVE
    print(
        f"fuzz: {FUZZED} frames, {expected_rejects} rejected, by reason "
        f"{dict(feed.rejects.by_reason)}"
    )


def _order(client_id: int) -> dict:
    return {
        "id": ids.order_uuid(ALICE.address, 0, client_id, 1, 64),
        "subaccountId": ids.subaccount_uuid(ALICE.address, 0),
        "clientId": str(client_id),
        "clobPairId": "1",
        "side": "BUY",
        "size": "0.005",
        "totalFilled": "0",
        "price": "2666.4",
        "type": "LIMIT",
        "status": "OPEN",
        "timeInForce": "GTT",
        "postOnly": False,
        "reduceOnly": False,
        "orderFlags": "64",
        "goodTilBlockTime": "2030-09-09T11:19:22.000Z",
        "createdAtHeight": "18786007",
        "clientMetadata": "0",
        "updatedAt": "2024-08-12T11:19:22.082Z",
        "updatedAtHeight": "18786007",
        "ticker": "ETH-USD",
        "subaccountNumber": 0,
        # Real orders carry a few more fields; pad to a realistic ~1 KB per order.
        "builderAddress": None,
        "orderRouterAddress": "x" * 600,
    }


async def test_a_snapshot_with_1000_open_orders_fits_the_frame_limit():
    snapshot = json.dumps({
        "type": "subscribed", "connection_id": "c", "message_id": 1,
        "channel": "v4_subaccounts", "id": f"{ALICE.address}/0",
        "contents": {
            "subaccount": {
                "address": ALICE.address, "subaccountNumber": 0, "equity": "1000",
                "freeCollateral": "1000", "openPerpetualPositions": {}, "assetPositions": {},
                "marginEnabled": True,
            },
            "orders": [_order(n) for n in range(1, 1001)],
            "blockHeight": "18786010",
        },
    })  # fmt: skip
    assert len(snapshot) > 2**20  # more than websockets' default max_size
    state = AccountState(ALICE.address, 0)
    async with serve(FrameServer([snapshot]).handler, "127.0.0.1", 0, max_size=None) as server:
        feed = feed_for(server.sockets[0].getsockname()[1], state)
        async with feed:
            await wait_until(lambda: state.snapshot_received, "the snapshot")
    assert len(state.open_orders()) == 1000
    assert feed.rejects.total == 0 and feed.session.failures == 0

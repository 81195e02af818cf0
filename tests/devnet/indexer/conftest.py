"""An indexer on a quiet devnet chain, with every server on 127.0.0.1 port 0."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tui_app.devnet.faults import Faults
from tui_app.devnet.indexer import Indexer, RateLimit, WsConfig

from ..conftest import ChainHarness

SAMPLES = Path(__file__).parents[2] / "fixtures" / "indexer_samples"
BTC = 10_000_000_000  # quantums per BTC
USD = 100_000  # subticks per USD on BTC-USD
BUY, SELL = 1, 2
LONG_TERM = 64
DAY = 24 * 3600


def sample(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text())


class Devnet:
    """A chain harness plus a running indexer and helpers to talk to it."""

    def __init__(self, h: ChainHarness, indexer: Indexer, ports: dict[str, int]) -> None:
        self.h = h
        self.chain = h.chain
        self.indexer = indexer
        self.faults = indexer.faults
        self.ports = ports
        self.rest_url = f"http://127.0.0.1:{ports['rest']}"
        self.ws_url = f"ws://127.0.0.1:{ports['ws']}/v4/ws"
        self.admin_url = f"http://127.0.0.1:{ports['admin']}"

    @property
    def alice_id(self) -> str:
        return f"{self.h.alice.account.address}/0"

    def connect(self, **kwargs):
        return connect(self.ws_url, **kwargs)


async def recv_json(ws: ClientConnection) -> dict:
    return json.loads(await ws.recv())


async def recv_until(ws: ClientConnection, predicate) -> dict:
    """The next message matching `predicate` (others are skipped)."""
    while True:
        message = await recv_json(ws)
        if predicate(message):
            return message


async def subscribe(ws: ClientConnection, channel: str, sub_id: str | None = None, **extra) -> dict:
    """Subscribe and return the `subscribed` message (skipping `connected`)."""
    request = {"type": "subscribe", "channel": channel, **extra}
    if sub_id is not None:
        request["id"] = sub_id
    await ws.send(json.dumps(request))
    return await recv_until(
        ws, lambda m: m["type"] in ("subscribed", "error") and m.get("channel", channel) == channel
    )


def is_data(channel: str):
    return lambda m: m["type"] in ("channel_data", "channel_batch_data") and m["channel"] == channel


@pytest.fixture
async def devnet() -> AsyncIterator[Devnet]:
    async with running_devnet(ChainHarness()) as running:
        yield running


@contextlib.asynccontextmanager
async def running_devnet(h: ChainHarness) -> AsyncIterator[Devnet]:
    """An indexer on `h`'s chain (fund extra subaccounts on the chain before this)."""
    indexer = Indexer(
        h.chain,
        Faults(),
        rest_port=0,
        ws_port=0,
        admin_port=0,
        rate_limit=RateLimit(points=1000, window_seconds=10),
        ws_config=WsConfig(batch_interval=0.05, subscribe_rate=(50, 1.0), invalid_rate=(50, 1.0)),
    )
    ports = await indexer.start()
    try:
        yield Devnet(h, indexer, ports)
    finally:
        await indexer.stop()

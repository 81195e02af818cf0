"""The WebSocket session's reconnect policy against a local websockets server."""

from __future__ import annotations

import asyncio
import random

from websockets.asyncio.server import serve

from tui_app.feed.backoff import Backoff
from tui_app.feed.status import WsState
from tui_app.feed.ws_session import SessionSettings, WebSocketSession


class Recorder:
    def __init__(self) -> None:
        self.opened = 0
        self.messages: list[str] = []
        self.states: list[tuple[WsState, int]] = []
        self.event = asyncio.Event()

    async def on_open(self, send) -> None:
        self.opened += 1
        await send({"type": "subscribe", "channel": "v4_block_height"})

    def on_message(self, raw: str) -> None:
        self.messages.append(raw)
        self.event.set()

    def on_state(self, state: WsState, attempt: int, error: str) -> None:
        self.states.append((state, attempt))


def fast_settings(**overrides) -> SessionSettings:
    values = dict(ping_interval=1, ping_timeout=1, silence_timeout=0.3, open_timeout=1,
                  stable_after=10)
    values.update(overrides)
    return SessionSettings(**values)


def test_backoff_grows_with_jitter_and_never_reaches_zero() -> None:
    backoff = Backoff(initial=0.5, maximum=4, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(6)]
    assert all(d >= 0.25 for d in delays)
    assert max(delays) <= 4
    assert delays[3] > delays[0]
    backoff.reset()
    assert backoff.next_delay() <= 0.5


async def test_reconnects_after_the_server_drops_and_resubscribes() -> None:
    connections = 0

    async def handler(ws):
        nonlocal connections
        connections += 1
        await ws.recv()  # the subscribe
        await ws.send('{"type":"connected"}')
        if connections == 1:
            await ws.close(code=1012, reason="restart")
            return
        await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        recorder = Recorder()
        session = WebSocketSession(
            f"ws://127.0.0.1:{port}", fast_settings(silence_timeout=5),
            Backoff(initial=0.05, maximum=0.1),
        )
        task = asyncio.create_task(session.run(recorder))
        try:
            for _ in range(200):
                if recorder.opened >= 2:
                    break
                await asyncio.sleep(0.02)
        finally:
            task.cancel()
    assert recorder.opened == 2
    states = [s for s, _ in recorder.states]
    assert WsState.RECONNECTING in states
    assert states.count(WsState.LIVE) == 2


async def test_a_silent_connection_is_dropped() -> None:
    async def handler(ws):
        await ws.wait_closed()  # accept, then say nothing

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        recorder = Recorder()
        session = WebSocketSession(
            f"ws://127.0.0.1:{port}", fast_settings(), Backoff(initial=0.05, maximum=0.1)
        )
        task = asyncio.create_task(session.run(recorder))
        try:
            for _ in range(200):
                if recorder.opened >= 2:
                    break
                await asyncio.sleep(0.02)
        finally:
            task.cancel()
    assert recorder.opened >= 2
    assert session.failures >= 1


async def test_refused_connections_count_failures() -> None:
    recorder = Recorder()
    # Port 1 on loopback: nothing listens there.
    session = WebSocketSession("ws://127.0.0.1:1", fast_settings(), Backoff(0.01, 0.02))
    task = asyncio.create_task(session.run(recorder))
    for _ in range(200):
        if session.failures >= 3:
            break
        await asyncio.sleep(0.02)
    task.cancel()
    assert session.failures >= 3
    assert recorder.opened == 0

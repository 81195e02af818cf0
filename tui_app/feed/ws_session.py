"""One long-lived WebSocket to the indexer: connect, resubscribe, read, reconnect.

The session owns the socket and the reconnect policy; what to subscribe to and what a
message means belong to the handler. Reconnects wait with backoff and jitter, also after
an established connection drops (unlike `websockets`' own loop). A connection that is
silent for `silence_timeout` (no message at all: the block height channel alone speaks
every block) is treated as dead, and so is one whose pings go unanswered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from tui_app.feed.backoff import Backoff
from tui_app.feed.status import WsState

log = logging.getLogger(__name__)

# Longest run of message handling before the session lets the UI (same loop) draw a frame.
YIELD_AFTER_SECONDS = 0.005

Send = Callable[[dict], Awaitable[None]]


class SessionHandler(Protocol):
    async def on_open(self, send: Send) -> None:
        """Connected: (re)subscribe."""

    def on_message(self, raw: str) -> None:
        """One text frame, as received (parsing and validation are the handler's)."""

    def on_state(self, state: WsState, attempt: int, error: str) -> None:
        """The connection changed state; `attempt` counts failures since the last success."""


@dataclass(frozen=True)
class SessionSettings:
    # A subaccount snapshot with 1,000 open orders is ~1 MB of JSON: leave room.
    max_message_bytes: int = 16 * 1024 * 1024
    ping_interval: float = 10.0
    ping_timeout: float = 10.0
    silence_timeout: float = 15.0
    open_timeout: float = 10.0
    # A connection that lived this long counts as a success (resets the backoff).
    stable_after: float = 5.0


class WebSocketSession:
    def __init__(self, url: str, settings: SessionSettings, backoff: Backoff | None = None):
        self.url = url
        self.settings = settings
        self.backoff = backoff or Backoff()
        self.failures = 0
        self._ws: ClientConnection | None = None

    async def run(self, handler: SessionHandler) -> None:
        """Keep a connection up until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            handler.on_state(
                WsState.CONNECTING if self.failures == 0 else WsState.RECONNECTING,
                self.failures,
                "",
            )
            opened_at = None
            error = ""
            try:
                async with connect(
                    self.url,
                    max_size=self.settings.max_message_bytes,
                    ping_interval=self.settings.ping_interval,
                    ping_timeout=self.settings.ping_timeout,
                    open_timeout=self.settings.open_timeout,
                    close_timeout=2,
                ) as ws:
                    self._ws = ws
                    opened_at = loop.time()
                    handler.on_state(WsState.LIVE, 0, "")
                    await handler.on_open(lambda msg: ws.send(json.dumps(msg)))
                    await self._read(ws, handler)
            except asyncio.CancelledError:
                raise
            except ConnectionClosed as exc:
                error = f"connection closed ({exc.rcvd.code if exc.rcvd else 'no close frame'})"
            except TimeoutError:
                if opened_at is None:
                    error = f"handshake timed out after {self.settings.open_timeout:.0f} s"
                else:
                    error = f"no message for {self.settings.silence_timeout:.0f} s"
            except (OSError, InvalidHandshake, InvalidURI) as exc:
                error = f"cannot connect: {exc}"
            finally:
                self._ws = None
            if opened_at is not None and loop.time() - opened_at >= self.settings.stable_after:
                self.backoff.reset()
                self.failures = 0
            self.failures += 1
            log.warning("indexer WebSocket %s: %s (failure %d)", self.url, error, self.failures)
            handler.on_state(WsState.RECONNECTING, self.failures, error)
            await asyncio.sleep(self.backoff.next_delay())

    async def _read(self, ws: ClientConnection, handler: SessionHandler) -> None:
        silence = self.settings.silence_timeout
        busy = 0.0  # seconds spent handling messages since this task last let others run
        while True:
            # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancellation that
            # lands as a message arrives, and the session then never stops.
            async with asyncio.timeout(silence):
                raw = await ws.recv()
            if isinstance(raw, bytes):
                raw = raw.decode("utf-8", errors="replace")
            started = time.perf_counter()
            handler.on_message(raw)
            busy += time.perf_counter() - started
            # recv() returns buffered frames without suspending, so a burst would be
            # handled back to back and hold the UI's loop for its whole length.
            if busy >= YIELD_AFTER_SECONDS:
                busy = 0.0
                await asyncio.sleep(0)

    @property
    def latency(self) -> float | None:
        """Round trip of the last WebSocket ping, in seconds (None: not connected or not
        measured yet)."""
        ws = self._ws
        return ws.latency if ws is not None and ws.latency > 0 else None

    async def reconnect_now(self) -> None:
        """Drop the current connection (for a resync); the loop reconnects."""
        ws = self._ws
        if ws is not None:
            await ws.close(code=1000, reason="resync")

"""The indexer's WebSocket server (dYdX's `socks`), on the devnet's event loop.

Any path is accepted (`/v4/ws` is the public one). Per connection: `connected`, then
subscribe/unsubscribe requests answered with `subscribed` (a snapshot), `channel_data`
(or `channel_batch_data` every `batch_interval` for `batched: true`), `unsubscribed` and
`error`. Pings every `ping_interval` seconds; no pong within `ping_timeout` closes with
1011. Shutdown closes everyone with 1012. Faults (`Faults.indexer`) are read per message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from . import protocol as p
from .outbox import Outbox
from .store import Change, IndexerStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WsConfig:
    ping_interval: float = 30.0
    ping_timeout: float = 10.0
    # How long a closing handshake may take before the TCP connection is cut.
    close_timeout: float = 10.0
    batch_interval: float = 0.25
    # socks closes with 1008 after more than `count` subscribes to one channel+id, or more
    # than `count` invalid messages, within `seconds`.
    subscribe_rate: tuple[int, float] = (2, 1.0)
    invalid_rate: tuple[int, float] = (2, 1.0)
    max_message_size: int = 2**20


class _RateWindow:
    def __init__(self, count: int, seconds: float) -> None:
        self.count = count
        self.seconds = seconds
        self._times: deque[float] = deque()

    def exceeded(self) -> bool:
        """Record one event; True when it is one too many for the window."""
        now = time.monotonic()
        self._times.append(now)
        while self._times and now - self._times[0] > self.seconds:
            self._times.popleft()
        return len(self._times) > self.count


class Connection:
    def __init__(self, server: WsServer, ws: ServerConnection) -> None:
        self.server = server
        self.ws = ws
        self.id = str(uuid.uuid4())
        self.message_id = 0
        # (channel, id) -> batched?
        self.subscriptions: dict[tuple[str, str | None], bool] = {}
        # (channel, id) -> buffered (contents, child subaccount number) until the next flush
        self.batches: dict[tuple[str, str | None], list[tuple[dict, int | None]]] = {}
        self.outbox = Outbox(ws.send)
        self._subscribe_windows: dict[tuple[str, Any], _RateWindow] = {}
        self._invalid_window = _RateWindow(*server.config.invalid_rate)

    # ---- sending -----------------------------------------------------------------------

    def _delay(self, channel: str | None) -> float:
        faults = self.server.faults
        ms = faults.latency_ms
        if channel is not None:
            ms += faults.indexer.ws_channel_delay_ms.get(channel, 0)
        return ms / 1000

    def send(self, body: dict, channel: str | None = None) -> None:
        self.outbox.put(json.dumps(body), self._delay(channel))

    def next_message_id(self) -> int:
        self.message_id += 1
        return self.message_id

    def send_data(
        self,
        channel: str,
        sub_id: str | None,
        contents: dict | list,
        subaccount_number: int | None = None,
    ) -> None:
        faults = self.server.faults.indexer
        message_id = self.next_message_id()
        if faults.ws_skip_message_ids > 0:
            faults.ws_skip_message_ids -= 1
            message_id = self.next_message_id()  # the one before is never sent: a gap
        body = p.channel_data(self.id, message_id, channel, sub_id, contents, subaccount_number)
        if faults.ws_unknown_field_messages > 0:
            faults.ws_unknown_field_messages -= 1
            body["devnetUnknownField"] = {"note": "a field this client does not know"}
        text = json.dumps(body)
        if faults.ws_malformed_messages > 0:
            faults.ws_malformed_messages -= 1
            text = text[: len(text) // 2]  # cut mid-object: not JSON
        self.outbox.put(text, self._delay(channel))

    def send_error(self, message: str) -> None:
        # Errors reuse the current message id.
        self.send(p.error(self.id, self.message_id, message))

    def deliver(self, change: Change) -> None:
        key = (change.channel, change.id)
        batched = self.subscriptions.get(key)
        if batched is None:
            return
        if batched:
            self.batches.setdefault(key, []).append((change.contents, change.subaccount_number))
        else:
            self.send_data(change.channel, change.id, change.contents, change.subaccount_number)

    def flush_batches(self) -> None:
        """One `channel_batch_data` per subscription and, on v4_parent_subaccounts, per
        child: socks groups a batch by child number, children in ascending order (the
        order of a JavaScript object's integer keys)."""
        batches, self.batches = self.batches, {}
        for (channel, sub_id), items in batches.items():
            if (channel, sub_id) not in self.subscriptions:
                continue
            groups: dict[int | None, list[dict]] = {}
            for contents, number in items:
                groups.setdefault(number, []).append(contents)
            for number in sorted(groups, key=lambda n: -1 if n is None else n):
                self.send_data(channel, sub_id, groups[number], number)

    # ---- receiving ---------------------------------------------------------------------

    async def on_text(self, text: str | bytes) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            return await self._invalid(p.COULD_NOT_PARSE)
        if not isinstance(message, dict) or "type" not in message:
            return await self._invalid(p.TYPE_REQUIRED)
        kind = message["type"]
        if kind == "ping":
            return None  # accepted and ignored, as socks does
        if kind not in ("subscribe", "unsubscribe"):
            return await self._invalid(p.invalid_type(kind))
        channel = message.get("channel")
        if channel is None:
            return await self._invalid(p.channel_required(kind))
        if channel not in p.VERSIONS:
            return await self._invalid(p.invalid_channel(channel))
        raw_id = message.get("id")
        if channel not in p.ID_LESS and not isinstance(raw_id, str):
            return await self._invalid(p.invalid_id(raw_id))
        sub_id = p.subscription_id(channel, raw_id)
        if kind == "subscribe":
            # socks numbers the request before handling it: its answer, `subscribed` or
            # an error, carries this id.
            message_id = self.next_message_id()
            batched = bool(message.get("batched", False))
            await self._subscribe(channel, sub_id, batched, message_id)
        else:
            self._unsubscribe(channel, sub_id)
        return None

    async def _invalid(self, message: str) -> None:
        self.send_error(message)
        if self._invalid_window.exceeded():
            self.send_error(p.TOO_MANY_INVALID)
            await self._close_rate_limited()

    async def _subscribe(
        self, channel: str, sub_id: str | None, batched: bool, message_id: int
    ) -> None:
        """socks' order: the id, the per-connection cap (counting this request), the
        subscribe rate, the snapshot, and only then whether it is a duplicate."""
        key = (channel, sub_id)
        store = self.server.store

        def fail(text: str) -> None:
            self.send(p.error(self.id, message_id, text))

        if not p.valid_id(channel, sub_id, store):
            return fail(p.invalid_subscription_id(channel, sub_id))
        count = sum(1 for c, _ in self.subscriptions if c == channel) + 1
        if count > p.SUBSCRIPTION_LIMITS[channel]:
            return fail(p.limit_reached(channel))
        window = self._subscribe_windows.setdefault(
            key, _RateWindow(*self.server.config.subscribe_rate)
        )
        if window.exceeded():
            fail(p.too_many_subscribes(channel, sub_id))
            await self._close_rate_limited()
            return None
        try:
            contents = p.snapshot(channel, sub_id, store)
        except p.CouldNotFetch:
            return fail(p.could_not_fetch(channel))
        if key in self.subscriptions:
            return fail(p.already_subscribed(channel, sub_id))
        self.subscriptions[key] = batched
        self.server.index(self, key)
        self.send(p.subscribed(self.id, message_id, channel, sub_id, contents), channel)
        return None

    def _unsubscribe(self, channel: str, sub_id: str | None) -> None:
        key = (channel, sub_id)
        if self.subscriptions.pop(key, None) is not None:
            self.server.unindex(self, key)
            self.batches.pop(key, None)
        # Answered even when there was no such subscription.
        message_id = self.next_message_id()
        self.send(p.unsubscribed(self.id, message_id, channel, sub_id), channel)

    async def _close_rate_limited(self) -> None:
        # Let the error go out first (it may be delayed by injected latency).
        await asyncio.sleep(self._delay(None))
        await self.ws.close(1008, p.RATE_LIMITED_REASON)


class WsServer:
    def __init__(
        self, store: IndexerStore, faults: Any, config: WsConfig | None = None
    ) -> None:
        self.store = store
        self.faults = faults
        self.config = config or WsConfig()
        self.connections: set[Connection] = set()
        self._subscribers: dict[tuple[str, str | None], set[Connection]] = {}
        self._server: Server | None = None
        self._flusher: asyncio.Task | None = None
        self._unlisten = None
        # Changes (with their subscribers at the time) waiting to be sent, see _on_change.
        self._pending: list[tuple[Change, list[Connection]]] = []

    async def start(self, host: str, port: int) -> int:
        self._unlisten = self.store.listen(self._on_change)
        self._server = await serve(
            self._handle,
            host,
            port,
            process_request=self._process_request,
            ping_interval=self.config.ping_interval,
            ping_timeout=self.config.ping_timeout,
            close_timeout=self.config.close_timeout,
            max_size=self.config.max_message_size,
        )
        self._flusher = asyncio.create_task(self._flush_loop())
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        if self._flusher is not None:
            self._flusher.cancel()
            self._flusher = None
        # Like socks on restart: every client gets 1012 and may reconnect.
        closing = [c.ws.close(1012, p.RESTARTING_REASON) for c in list(self.connections)]
        await asyncio.gather(*closing, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    # ---- faults ------------------------------------------------------------------------

    def drop_all(self) -> int:
        """Cut every connection at the TCP level (clients see 1006, no close frame)."""
        dropped = 0
        for connection in list(self.connections):
            if connection.ws.transport is not None:
                connection.ws.transport.abort()
                dropped += 1
        return dropped

    # ---- plumbing ----------------------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request):
        if self.faults.indexer.ws_refusing():
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "Service Unavailable\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        connection = Connection(self, ws)
        self.connections.add(connection)
        writer = asyncio.create_task(_write(connection))
        connection.send(p.connected(connection.id))
        try:
            async for text in ws:
                await connection.on_text(text)
        except ConnectionClosed:
            pass
        finally:
            self.connections.discard(connection)
            for key in list(connection.subscriptions):
                self.unindex(connection, key)
            writer.cancel()

    def index(self, connection: Connection, key: tuple[str, str | None]) -> None:
        self._subscribers.setdefault(key, set()).add(connection)

    def unindex(self, connection: Connection, key: tuple[str, str | None]) -> None:
        subscribers = self._subscribers.get(key)
        if subscribers is not None:
            subscribers.discard(connection)
            if not subscribers:
                del self._subscribers[key]

    def _on_change(self, change: Change) -> None:
        if change.channel in self.faults.indexer.ws_silenced_channels:
            return
        connections = list(self._subscribers.get((change.channel, change.id), ()))
        if not connections:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # changed outside the devnet's loop (a unit test): at once
            self._deliver([(change, connections)])
            return
        # Messages are built and encoded once the code that made the change is done: a
        # validator answers CheckTx without indexer work, so a MsgBatchCancel of 100
        # orders is answered before its 100 order updates are encoded. Order is kept.
        if not self._pending:
            loop.call_soon(self._deliver_pending)
        self._pending.append((change, connections))

    def _deliver_pending(self) -> None:
        pending, self._pending = self._pending, []
        self._deliver(pending)

    @staticmethod
    def _deliver(pending: list[tuple[Change, list[Connection]]]) -> None:
        for change, connections in pending:
            for connection in connections:
                connection.deliver(change)

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.batch_interval)
            for connection in list(self.connections):
                connection.flush_batches()


async def _write(connection: Connection) -> None:
    try:
        await connection.outbox.run()
    except ConnectionClosed:
        pass  # the reader side notices and cleans up

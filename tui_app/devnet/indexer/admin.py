"""A small admin HTTP API on loopback that flips the devnet's faults.

Every route is a POST and answers the resulting fault state as JSON (GET /faults reads it).

    POST /faults/ws/drop                       cut every WebSocket connection now
    POST /faults/ws/refuse?seconds=N           refuse WebSocket handshakes (503) for N s
    POST /faults/ws/delay?channel=C&ms=N       delay channel C by N ms (ms=0 removes it)
    POST /faults/ws/silence?channel=C[&on=0]   stop (or resume) channel C's updates
    POST /faults/ws/gap[?count=N]              the next N data messages skip a message_id
    POST /faults/ws/malformed[?count=N]        the next N data messages are broken JSON
    POST /faults/ws/unknown-field[?count=N]    the next N data messages carry an unknown field
    POST /faults/rest?mode=429|500|hang|off    REST answers 429 / 500 / never / normally
    POST /faults/latency?ms=N                  N ms on every gRPC call, REST request, WS message
    POST /faults/grpc?mode=unavailable|hang|off
    POST /faults/blocks?freeze=1|0             stop or resume block production
    POST /faults/clear                         everything back to normal
    GET  /faults                               the current state

Example: `curl -X POST 'http://127.0.0.1:PORT/faults/ws/refuse?seconds=5'`.
Bad parameters get 400 `{"error": "..."}`.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from aiohttp import web

from tui_app.devnet.faults import GrpcFaults, IndexerFaults

if TYPE_CHECKING:
    from . import Indexer


class AdminServer:
    def __init__(self, indexer: Indexer) -> None:
        self.indexer = indexer
        self.faults = indexer.faults
        self.app = web.Application(middlewares=[_bad_request])
        post = self.app.router.add_post
        post("/faults/ws/drop", self.ws_drop)
        post("/faults/ws/refuse", self.ws_refuse)
        post("/faults/ws/delay", self.ws_delay)
        post("/faults/ws/silence", self.ws_silence)
        post("/faults/ws/gap", self._counter("ws_skip_message_ids"))
        post("/faults/ws/malformed", self._counter("ws_malformed_messages"))
        post("/faults/ws/unknown-field", self._counter("ws_unknown_field_messages"))
        post("/faults/rest", self.rest)
        post("/faults/latency", self.latency)
        post("/faults/grpc", self.grpc)
        post("/faults/blocks", self.blocks)
        post("/faults/clear", self.clear)
        self.app.router.add_get("/faults", self.state)
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> int:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        return self._runner.addresses[0][1]  # the bound port (port 0 picks one)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _state(self) -> web.Response:
        state = dataclasses.asdict(self.faults)
        state["indexer"]["ws_silenced_channels"] = sorted(
            state["indexer"]["ws_silenced_channels"]
        )
        state["indexer"]["ws_refusing"] = self.faults.indexer.ws_refusing()
        return web.json_response(state)

    async def state(self, request: web.Request) -> web.Response:
        return self._state()

    async def ws_drop(self, request: web.Request) -> web.Response:
        dropped = self.indexer.drop_ws_connections()
        return web.json_response({"dropped": dropped})

    async def ws_refuse(self, request: web.Request) -> web.Response:
        self.faults.indexer.refuse_ws_for(_number(request, "seconds", float))
        return self._state()

    async def ws_delay(self, request: web.Request) -> web.Response:
        channel = _required(request, "channel")
        ms = _number(request, "ms", int)
        delays = self.faults.indexer.ws_channel_delay_ms
        if ms:
            delays[channel] = ms
        else:
            delays.pop(channel, None)
        return self._state()

    async def ws_silence(self, request: web.Request) -> web.Response:
        channel = _required(request, "channel")
        silenced = self.faults.indexer.ws_silenced_channels
        if request.query.get("on", "1") == "0":
            silenced.discard(channel)
        else:
            silenced.add(channel)
        return self._state()

    def _counter(self, field: str):
        async def handler(request: web.Request) -> web.Response:
            count = _number(request, "count", int, default=1)
            setattr(self.faults.indexer, field, getattr(self.faults.indexer, field) + count)
            return self._state()

        return handler

    async def rest(self, request: web.Request) -> web.Response:
        mode = _required(request, "mode")
        indexer = self.faults.indexer
        if mode not in ("429", "500", "hang", "off"):
            raise ValueError("mode must be 429, 500, hang or off")
        indexer.rest_hang = mode == "hang"
        indexer.rest_status = int(mode) if mode.isdigit() else None
        return self._state()

    async def latency(self, request: web.Request) -> web.Response:
        self.faults.latency_ms = _number(request, "ms", int)
        return self._state()

    async def grpc(self, request: web.Request) -> web.Response:
        mode = _required(request, "mode")
        if mode not in ("unavailable", "hang", "off"):
            raise ValueError("mode must be unavailable, hang or off")
        self.faults.grpc.unavailable = mode == "unavailable"
        self.faults.grpc.hang = mode == "hang"
        return self._state()

    async def blocks(self, request: web.Request) -> web.Response:
        self.faults.freeze_blocks = request.query.get("freeze", "1") != "0"
        return self._state()

    async def clear(self, request: web.Request) -> web.Response:
        self.faults.latency_ms = 0
        self.faults.freeze_blocks = False
        # Reset in place: the validator and the servers keep references to these objects.
        _reset(self.faults.grpc, GrpcFaults())
        _reset(self.faults.indexer, IndexerFaults())
        return self._state()


@web.middleware
async def _bad_request(request: web.Request, handler):
    try:
        return await handler(request)
    except ValueError as exc:
        return web.json_response({"error": str(exc)}, status=400)


def _required(request: web.Request, name: str) -> str:
    value = request.query.get(name)
    if not value:
        raise ValueError(f"{name} is required")
    return value


def _number(request: web.Request, name: str, kind: type, default=None):
    raw = request.query.get(name)
    if raw is None:
        if default is None:
            raise ValueError(f"{name} is required")
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value


def _reset(target: object, fresh: object) -> None:
    for f in dataclasses.fields(fresh):
        setattr(target, f.name, getattr(fresh, f.name))

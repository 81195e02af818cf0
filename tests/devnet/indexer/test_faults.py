"""Each indexer fault, seen from a client."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from dydx_v4_client.indexer.rest.indexer_client import IndexerClient
from websockets.exceptions import ConnectionClosed, InvalidStatus

from .conftest import Devnet, is_data, recv_json, recv_until, subscribe


async def test_drop_cuts_every_connection(devnet: Devnet) -> None:
    async with devnet.connect() as first, devnet.connect() as second:
        await subscribe(first, "v4_block_height")
        await recv_json(second)
        assert devnet.indexer.drop_ws_connections() == 2
        for ws in (first, second):
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is None  # no close frame: an abnormal closure (1006)
    # Reconnecting works at once.
    async with devnet.connect() as ws:
        assert (await recv_json(ws))["type"] == "connected"


async def test_refuse_connections_for_a_while(devnet: Devnet) -> None:
    devnet.faults.indexer.refuse_ws_for(60)
    with pytest.raises(InvalidStatus) as refused:
        async with devnet.connect():
            pass
    assert refused.value.response.status_code == 503
    devnet.faults.indexer.ws_refuse_until = 0  # the time is up
    async with devnet.connect() as ws:
        assert (await recv_json(ws))["type"] == "connected"


async def test_delayed_channel_is_overtaken(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_markets")
        await subscribe(ws, "v4_block_height")
        devnet.faults.indexer.ws_channel_delay_ms["v4_markets"] = 200
        devnet.h.block()  # the store publishes markets first, then the block height
        first = await recv_until(ws, lambda m: m["type"] == "channel_data")
        second = await recv_until(ws, lambda m: m["type"] == "channel_data")
    assert (first["channel"], second["channel"]) == ("v4_block_height", "v4_markets")
    # Numbered when produced: the delayed message carries the smaller id.
    assert second["message_id"] < first["message_id"]


async def test_silenced_channel_sends_nothing(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_markets")
        await subscribe(ws, "v4_block_height")
        devnet.faults.indexer.ws_silenced_channels.add("v4_block_height")
        devnet.h.block()
        await recv_until(ws, is_data("v4_markets"))
        devnet.faults.indexer.ws_silenced_channels.clear()
        devnet.h.block()
        message = await recv_until(ws, is_data("v4_block_height"))
    assert message["contents"]["blockHeight"] == "3"  # block 2 never came


async def test_message_id_gap(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        subscribed = await subscribe(ws, "v4_block_height")
        devnet.faults.indexer.ws_skip_message_ids = 1
        devnet.h.block(2)
        first = await recv_until(ws, is_data("v4_block_height"))
        second = await recv_until(ws, is_data("v4_block_height"))
    assert first["message_id"] == subscribed["message_id"] + 2  # one id skipped
    assert second["message_id"] == first["message_id"] + 1
    assert devnet.faults.indexer.ws_skip_message_ids == 0


async def test_malformed_message_then_normal_service(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_block_height")
        devnet.faults.indexer.ws_malformed_messages = 1
        devnet.h.block(2)
        broken = await ws.recv()
        with pytest.raises(json.JSONDecodeError):
            json.loads(broken)
        fine = await recv_json(ws)
    assert fine["contents"]["blockHeight"] == "3"


async def test_unknown_field_message(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_block_height")
        devnet.faults.indexer.ws_unknown_field_messages = 1
        devnet.h.block(2)
        odd = await recv_json(ws)
        normal = await recv_json(ws)
    assert "devnetUnknownField" in odd and odd["contents"]["blockHeight"] == "2"
    assert "devnetUnknownField" not in normal


async def test_ws_latency_holds_messages_back(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        await recv_json(ws)
        devnet.faults.latency_ms = 60_000
        await ws.send(json.dumps({"type": "subscribe", "channel": "v4_block_height"}))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.2)


@pytest.mark.parametrize("status", [429, 500])
async def test_rest_answers_an_error_status(devnet: Devnet, status: int) -> None:
    devnet.faults.indexer.rest_status = status
    client = IndexerClient(devnet.rest_url)
    with pytest.raises(httpx.HTTPStatusError) as error:
        await client.utility.get_height()
    response = error.value.response
    assert response.status_code == status
    if status == 429:
        assert response.json() == {"errors": [{"msg": "Too many requests"}]}
        assert int(response.headers["Retry-After"]) > 0  # milliseconds
    else:
        assert response.json() == {"errors": [{"msg": "Internal Server Error"}]}
    devnet.faults.indexer.rest_status = None
    assert "height" in await client.utility.get_height()


async def test_rest_hangs(devnet: Devnet) -> None:
    devnet.faults.indexer.rest_hang = True
    with pytest.raises(httpx.ReadTimeout):
        await IndexerClient(devnet.rest_url, api_timeout=0.2).utility.get_height()
    devnet.faults.indexer.rest_hang = False
    assert "height" in await IndexerClient(devnet.rest_url).utility.get_height()


async def test_rest_latency(devnet: Devnet) -> None:
    devnet.faults.latency_ms = 60_000
    with pytest.raises(httpx.ReadTimeout):
        await IndexerClient(devnet.rest_url, api_timeout=0.2).utility.get_height()


async def test_admin_endpoint(devnet: Devnet) -> None:
    async with httpx.AsyncClient(base_url=devnet.admin_url) as admin, devnet.connect() as ws:
        await recv_json(ws)
        dropped = await admin.post("/faults/ws/drop")
        assert dropped.json() == {"dropped": 1}
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        state = (await admin.post("/faults/ws/refuse", params={"seconds": 30})).json()
        assert state["indexer"]["ws_refusing"] is True
        await admin.post("/faults/ws/delay", params={"channel": "v4_trades", "ms": 500})
        await admin.post("/faults/ws/silence", params={"channel": "v4_orderbook"})
        await admin.post("/faults/ws/gap", params={"count": 2})
        await admin.post("/faults/ws/malformed")
        await admin.post("/faults/ws/unknown-field")
        await admin.post("/faults/latency", params={"ms": 25})
        await admin.post("/faults/grpc", params={"mode": "unavailable"})
        await admin.post("/faults/blocks", params={"freeze": 1})
        state = (await admin.post("/faults/rest", params={"mode": "500"})).json()
        indexer = state["indexer"]
        assert indexer["ws_channel_delay_ms"] == {"v4_trades": 500}
        assert indexer["ws_silenced_channels"] == ["v4_orderbook"]
        assert (indexer["ws_skip_message_ids"], indexer["ws_malformed_messages"]) == (2, 1)
        assert (indexer["ws_unknown_field_messages"], indexer["rest_status"]) == (1, 500)
        assert (state["latency_ms"], state["grpc"]["unavailable"], state["freeze_blocks"]) == (
            25, True, True,
        )  # fmt: skip
        devnet.faults.latency_ms = 0
        async with httpx.AsyncClient(base_url=devnet.rest_url) as rest:
            assert (await rest.get("/v4/height")).status_code == 500
        bad = await admin.post("/faults/rest", params={"mode": "teapot"})
        assert bad.status_code == 400 and "mode" in bad.json()["error"]
        grpc = devnet.faults.grpc
        cleared = (await admin.post("/faults/clear")).json()
        assert devnet.faults.grpc is grpc  # reset in place
        assert cleared["indexer"]["ws_refusing"] is False and cleared["latency_ms"] == 0
        assert (await admin.get("/faults")).json() == cleared

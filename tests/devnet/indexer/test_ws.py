"""WebSocket protocol: ids, errors, batching, heartbeat, shutdown, the real IndexerSocket."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from dydx_v4_client.indexer.socket.websocket import IndexerSocket
from websockets.exceptions import ConnectionClosed

from tui_app.devnet.faults import Faults
from tui_app.devnet.indexer import Indexer, WsConfig

from ..conftest import ChainHarness
from .conftest import BTC, BUY, USD, Devnet, is_data, recv_json, recv_until, subscribe


async def send(ws, body) -> dict:
    await ws.send(body if isinstance(body, str) else json.dumps(body))
    return await recv_json(ws)


async def test_message_ids_count_requests_and_data_but_not_errors(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        assert (await recv_json(ws))["message_id"] == 0
        assert (await subscribe(ws, "v4_block_height"))["message_id"] == 1
        # socks numbers a subscribe request before handling it, so its error takes the
        # request's id; v4_block_height's cap of 1 counts this request, so the answer is
        # the cap's error, not "already subscribed".
        error = await send(ws, {"type": "subscribe", "channel": "v4_block_height"})
        assert error["message"] == (
            "Per-connection subscription limit reached for v4_block_height (limit=1)."
        )
        assert error["message_id"] == 2
        devnet.h.block()
        assert (await recv_json(ws))["message_id"] == 3
        unsubscribed = await send(ws, {"type": "unsubscribe", "channel": "v4_block_height"})
        assert (unsubscribed["type"], unsubscribed["message_id"]) == ("unsubscribed", 4)
        assert unsubscribed["id"] == "v4_block_height"
        # Not subscribed any more: the next block sends nothing; a request still answers.
        devnet.h.block()
        again = await send(ws, {"type": "unsubscribe", "channel": "v4_markets"})
        assert (again["type"], again["message_id"], "id" in again) == ("unsubscribed", 5, False)
        # A protocol-level error (before any subscription handling) reuses the current id.
        invalid = await send(ws, {"type": "subscribe", "channel": "v4_nope"})
        assert (invalid["message"], invalid["message_id"]) == ("Invalid channel: v4_nope", 5)


async def test_duplicate_subscribe_is_answered_after_the_snapshot(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_trades", "BTC-USD")
        error = await send(ws, {"type": "subscribe", "channel": "v4_trades", "id": "BTC-USD"})
    assert error["message"] == "Invalid subscribe message: already subscribed (v4_trades-BTC-USD)"
    assert error["message_id"] == 2


@pytest.mark.parametrize(
    ("request_text", "message"),  # ids checked by the subscription (socks' subscribe())
    [
        ("{not json", "Invalid message: could not parse"),
        ('{"channel": "v4_markets"}', "Invalid message: type is required"),
        ('{"type": "hello"}', "Invalid message type: hello"),
        ('{"type": "subscribe"}', "Invalid subscribe message: channel is required"),
        ('{"type": "subscribe", "channel": "v4_nope"}', "Invalid channel: v4_nope"),
        ('{"type": "subscribe", "channel": "v4_orderbook"}', "Invalid id: None"),
        ('{"type": "subscribe", "channel": "v4_orderbook", "id": 5}', "Invalid id: 5"),
        (
            '{"type": "subscribe", "channel": "v4_subaccounts", "id": "dydx1bad/128000"}',
            "Invalid subscription id for channel: (v4_subaccounts-dydx1bad/128000)",
        ),
        (
            '{"type": "subscribe", "channel": "v4_subaccounts", "id": "dydx1bad"}',
            "Invalid subscription id for channel: (v4_subaccounts-dydx1bad)",
        ),
        # socks leaves the address to comlink, whose 400 it reports as a failed fetch.
        (
            '{"type": "subscribe", "channel": "v4_subaccounts", "id": "dydx1bad/0"}',
            "Internal error, could not fetch data for subscription: v4_subaccounts.",
        ),
    ],
)
async def test_bad_requests_get_errors_and_the_connection_stays(
    devnet: Devnet, request_text: str, message: str
) -> None:
    async with devnet.connect() as ws:
        await recv_json(ws)
        error = await send(ws, request_text)
        # Protocol-level errors reuse the current id (0); a subscribe that passed them was
        # numbered first (1), as the real `could not fetch` capture (error.json) shows.
        numbered = request_text.count('"id": "') == 1
        assert error == {
            "type": "error",
            "message": message,
            "connection_id": error["connection_id"],
            "message_id": 1 if numbered else 0,
        }
        assert (await subscribe(ws, "v4_block_height"))["type"] == "subscribed"


async def test_ping_message_is_ignored(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        await recv_json(ws)
        await ws.send(json.dumps({"type": "ping", "id": "x"}))
        assert (await subscribe(ws, "v4_block_height"))["message_id"] == 1


async def test_batched_subscription_flushes_lists(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_block_height", batched=True)
        devnet.h.block(3)  # three updates within one flush interval
        batch = await recv_until(ws, is_data("v4_block_height"))
    assert batch["type"] == "channel_batch_data"
    assert [c["blockHeight"] for c in batch["contents"]] == ["2", "3", "4"]
    assert batch["version"] == "1.0.0"


async def test_subaccount_updates_only_reach_their_subscribers(devnet: Devnet) -> None:
    h = devnet.h
    async with devnet.connect() as alice_ws, devnet.connect() as bob_ws:
        await subscribe(alice_ws, "v4_subaccounts", devnet.alice_id)
        await subscribe(bob_ws, "v4_subaccounts", f"{h.bob.account.address}/0")
        await subscribe(bob_ws, "v4_block_height")
        tx = h.alice.place(1, BUY, BTC // 10, 50_000 * USD, gtb=h.next_height + 3)
        assert h.send(tx).code == 0
        h.block()
        update = await recv_until(alice_ws, is_data("v4_subaccounts"))
        assert update["id"] == devnet.alice_id
        # bob's connection sees the block but nothing of alice's.
        message = await recv_json(bob_ws)
        assert message["channel"] == "v4_block_height"


async def test_subscription_limit_per_connection(devnet: Devnet) -> None:
    address = devnet.h.alice.account.address
    async with devnet.connect() as ws:
        for number in range(256):
            reply = await subscribe(ws, "v4_subaccounts", f"{address}/{number}")
            assert reply["type"] == "subscribed"
        error = await subscribe(ws, "v4_subaccounts", f"{address}/256")
    assert error["message"] == (
        "Per-connection subscription limit reached for v4_subaccounts (limit=256)."
    )


async def test_resubscribe_after_unsubscribe(devnet: Devnet) -> None:
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_block_height")
        await ws.send(json.dumps({"type": "unsubscribe", "channel": "v4_block_height"}))
        await recv_json(ws)
        assert (await subscribe(ws, "v4_block_height"))["type"] == "subscribed"


async def test_subscribe_rate_limit_closes_with_1008(devnet: Devnet) -> None:
    devnet.indexer.ws.config = WsConfig(subscribe_rate=(2, 60.0))
    async with devnet.connect() as ws:
        await subscribe(ws, "v4_orderbook", "BTC-USD")
        await send(ws, {"type": "unsubscribe", "channel": "v4_orderbook", "id": "BTC-USD"})
        await subscribe(ws, "v4_orderbook", "BTC-USD")
        error = await send(ws, {"type": "subscribe", "channel": "v4_orderbook", "id": "BTC-USD"})
        expected = "Too many subscribe attempts for channel v4_orderbook-BTC-USD"
        assert error["message"].startswith(expected)
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 1008
    assert closed.value.rcvd.reason == '{"message":"Rate limited"}'


async def test_real_indexer_socket_in_a_thread(devnet: Devnet) -> None:
    """dydx-v4-client's IndexerSocket (websocket-client, blocking) subscribes and reads."""
    received: list[dict] = []
    done = threading.Event()

    def on_open(ws) -> None:
        ws.markets.subscribe()  # batched=True by default
        ws.order_book.subscribe("BTC-USD")
        ws.subaccounts.subscribe(devnet.h.alice.account.address, 0)

    def on_message(ws, message: dict) -> None:
        received.append(message)
        if sum(m["type"] == "subscribed" for m in received) == 3:
            ws.send(json.dumps({"type": "subscribe", "channel": "v4_block_height"}))
        if any(m["type"] == "channel_batch_data" for m in received):
            done.set()
            ws.close()

    socket = IndexerSocket(devnet.ws_url, on_open=on_open, on_message=on_message)
    thread = threading.Thread(target=lambda: asyncio.run(socket.connect()), daemon=True)
    thread.start()
    while not any(m.get("channel") == "v4_block_height" for m in received):
        await asyncio.sleep(0.02)
    devnet.h.block()  # oracle prices move: a batched v4_markets update
    await asyncio.to_thread(done.wait)
    await asyncio.to_thread(thread.join)
    kinds = [(m["type"], m.get("channel")) for m in received]
    assert kinds[0] == ("connected", None)
    assert ("subscribed", "v4_markets") in kinds
    assert ("subscribed", "v4_orderbook") in kinds
    assert ("subscribed", "v4_subaccounts") in kinds
    assert ("channel_batch_data", "v4_markets") in kinds


async def test_heartbeat_drops_a_client_that_does_not_pong() -> None:
    h = ChainHarness()
    config = WsConfig(ping_interval=0.05, ping_timeout=0.05, close_timeout=0.05)
    indexer = Indexer(h.chain, Faults(), rest_port=0, ws_port=0, ws_config=config)
    ports = await indexer.start()
    try:
        # A raw client: handshake, then read frames and never answer a ping.
        reader, writer = await asyncio.open_connection("127.0.0.1", ports["ws"])
        writer.write(
            b"GET /v4/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        await reader.readuntil(b"\r\n\r\n")
        opcodes = []
        while True:
            opcode, payload = await read_frame(reader)
            opcodes.append(opcode)
            if opcode == 0x8:
                break
        writer.close()
        assert opcodes[0] == 0x1  # connected
        assert 0x9 in opcodes  # pinged
        assert int.from_bytes(payload[:2], "big") == 1011
    finally:
        await indexer.stop()


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One unmasked server frame: (opcode, payload)."""
    head = await reader.readexactly(2)
    length = head[1] & 0x7F
    if length == 126:
        length = int.from_bytes(await reader.readexactly(2), "big")
    elif length == 127:
        length = int.from_bytes(await reader.readexactly(8), "big")
    return head[0] & 0x0F, await reader.readexactly(length)


async def test_shutdown_closes_clients_with_1012() -> None:
    h = ChainHarness()
    indexer = Indexer(h.chain, Faults(), rest_port=0, ws_port=0)
    ports = await indexer.start()
    from websockets.asyncio.client import connect

    async with connect(f"ws://127.0.0.1:{ports['ws']}") as ws:
        await recv_json(ws)
        await indexer.stop()
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 1012
    assert json.loads(closed.value.rcvd.reason) == {"message": "Service restarting"}

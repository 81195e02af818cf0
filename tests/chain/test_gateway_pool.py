"""Short-term broadcasts run on the gateway's pool of threads: several at once."""

from __future__ import annotations

import asyncio
import threading
import time
from decimal import Decimal

import pytest
from pydantic import SecretStr

from tui_app.chain.gateway import GatewayConfig, NodeGateway
from tui_app.devnet.accounts import ALICE
from tui_app.devnet.node import Devnet, DevnetConfig


@pytest.fixture(scope="module")
def devnet():
    config = DevnetConfig(
        grpc_port=0, rest_port=0, ws_port=0, block_time=Decimal("0.2"), synthetic_traders=False
    )
    with Devnet(config) as devnet:
        yield devnet


async def test_batch_cancels_are_broadcast_in_parallel_threads(devnet):
    config = GatewayConfig(devnet.endpoints.grpc, devnet.endpoints.chain_id,
                           address=ALICE.address, short_term_workers=4)  # fmt: skip
    gateway = await NodeGateway.connect(config, SecretStr(ALICE.mnemonic), prefetch_account=True)
    spans: list[tuple[str, float, float]] = []
    real = gateway._broadcast

    async def recording(tx):
        start = time.monotonic()
        try:
            return await real(tx)
        finally:
            spans.append((threading.current_thread().name, start, time.monotonic()))

    gateway._broadcast = recording
    try:
        height = await gateway.latest_block_height()
        devnet.faults.latency_ms = 100  # each broadcast waits at the node
        results = await asyncio.gather(
            *(gateway.batch_cancel(0, {0: [10_000 + i]}, height + 10) for i in range(4))
        )
    finally:
        devnet.faults.latency_ms = 0
        await gateway.close()
    assert all(r.ok for r in results), results
    threads = {name for name, _, _ in spans}
    assert len(threads) == 4 and all("-st" in name for name in threads)
    # Every broadcast started before any of them finished: they were in flight together.
    assert max(start for _, start, _ in spans) < min(end for _, _, end in spans)


async def test_stateful_txs_stay_on_the_one_sequenced_thread(devnet):
    config = GatewayConfig(devnet.endpoints.grpc, devnet.endpoints.chain_id, address=ALICE.address)
    gateway = await NodeGateway.connect(config, SecretStr(ALICE.mnemonic))
    names = []
    real = gateway._send_stateful

    async def recording(msgs, permit):
        names.append(threading.current_thread().name)
        return await real(msgs, permit)

    gateway._send_stateful = recording
    try:
        from tui_app.chain.orders import OrderKey, build_cancel_order

        block = await gateway.latest_block()
        key = OrderKey(ALICE.address, 0, 555, 0, 64)
        msg = build_cancel_order(key, good_til_block_time=int(block.time.timestamp()) + 60)
        await asyncio.gather(*(gateway.broadcast_stateful([msg]) for _ in range(3)))
    finally:
        await gateway.close()
    assert len(set(names)) == 1 and "-st" not in names[0]

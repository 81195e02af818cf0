"""The devnet runner: its own thread and loop, the block clock, start errors, clean stop."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import threading
import time
from decimal import Decimal

import pytest

from tui_app.devnet import node
from tui_app.devnet.accounts import DEMO_ACCOUNT
from tui_app.devnet.node import Devnet, DevnetConfig, DevnetStartError
from tui_app.devnet.params import CHAIN_ID

FAST = DevnetConfig(grpc_port=0, rest_port=0, ws_port=0, block_time=Decimal("0.05"))

needs_chain = pytest.mark.skipif(
    importlib.util.find_spec("tui_app.devnet.chain") is None, reason="chain.py not built yet"
)
needs_validator = pytest.mark.skipif(
    importlib.util.find_spec("tui_app.devnet.validator") is None,
    reason="validator.py not built yet",
)


class StubChain:
    """Just enough of Chain for the block clock."""

    chain_id = CHAIN_ID

    def __init__(self) -> None:
        self.height = 1
        self.thread_names: set[str] = set()

    def produce_block(self, time=None) -> int:
        self.thread_names.add(threading.current_thread().name)
        self.height += 1
        return self.height


def devnet_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "dydx-devnet"]


def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@pytest.fixture
def no_servers(monkeypatch):
    """Run only the chain and its clock: no validator or indexer, whatever exists."""
    real = node._optional_class

    def chain_only(module: str, name: str):
        return real(module, name) if module.endswith(".chain") else None

    monkeypatch.setattr(node, "_optional_class", chain_only)


async def test_blocks_are_produced_on_the_devnet_thread(no_servers):
    chain = StubChain()
    async with Devnet(FAST, chain_factory=lambda config: chain) as devnet:
        start = devnet.call(lambda: chain.height)
        wait_for(lambda: devnet.call(lambda: chain.height) >= start + 3)
        assert await devnet.acall(lambda: chain.height) >= start + 3
        assert chain.thread_names == {"dydx-devnet"}
        assert devnet.endpoints.missing == ("validator", "indexer")
    assert devnet_threads() == []
    with pytest.raises(RuntimeError):
        devnet.call(lambda: chain.height)


def test_freeze_blocks_holds_the_height(no_servers):
    chain = StubChain()
    with Devnet(FAST, chain_factory=lambda config: chain) as devnet:
        wait_for(lambda: devnet.call(lambda: chain.height) > 2)
        devnet.faults.freeze_blocks = True
        time.sleep(0.1)  # let a block already in progress land
        frozen = devnet.call(lambda: chain.height)
        time.sleep(0.3)
        assert devnet.call(lambda: chain.height) == frozen
        devnet.faults.freeze_blocks = False
        wait_for(lambda: devnet.call(lambda: chain.height) > frozen)


def test_call_awaits_a_coroutine_function(no_servers):
    async def answer() -> int:
        return 42

    with Devnet(FAST, chain_factory=lambda config: StubChain()) as devnet:
        assert devnet.call(answer) == 42


def test_a_failing_start_raises_and_leaves_no_thread(no_servers):
    def broken(config):
        raise ValueError("no chain today")

    devnet = Devnet(FAST, chain_factory=broken)
    with pytest.raises(ValueError, match="no chain today"):
        devnet.start_sync()
    assert not devnet.running
    assert devnet_threads() == []
    devnet.stop_sync()  # harmless after a failed start


def test_stop_twice_and_restart(no_servers):
    devnet = Devnet(FAST, chain_factory=lambda config: StubChain())
    devnet.start_sync()
    with pytest.raises(RuntimeError, match="already running"):
        devnet.start_sync()
    devnet.stop_sync()
    devnet.stop_sync()
    devnet.start_sync()
    devnet.stop_sync()
    assert devnet_threads() == []


def test_config_refuses_nonsense():
    with pytest.raises(ValueError):
        DevnetConfig(block_time=Decimal(0))
    with pytest.raises(ValueError):
        DevnetConfig(grpc_port=70000)


@needs_chain
async def test_real_chain_height_advances():
    async with Devnet(FAST) as devnet:
        endpoints = devnet.endpoints
        assert endpoints.chain_id == CHAIN_ID
        assert endpoints.demo_address == DEMO_ACCOUNT.address
        for url in (endpoints.grpc, endpoints.rest_url, endpoints.ws_url):
            if url is not None:
                assert "127.0.0.1:" in url and not url.endswith(":0")
        start = await devnet.acall(lambda: devnet.chain.height)
        deadline = time.monotonic() + 5
        while await devnet.acall(lambda: devnet.chain.height) < start + 3:
            assert time.monotonic() < deadline, "no blocks"
            await devnet.acall(lambda: None)
    assert devnet_threads() == []


@needs_chain
@needs_validator
def test_grpc_port_in_use_is_named():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        devnet = Devnet(DevnetConfig(grpc_port=port, rest_port=0, ws_port=0))
        with pytest.raises(DevnetStartError, match=str(port)):
            devnet.start_sync()
    assert devnet_threads() == []


@needs_chain
@needs_validator
async def test_real_node_client_awaited_on_the_callers_loop():
    """The reason for the devnet's own thread: NodeClient blocks the loop that awaits it,
    yet the devnet still answers (on a shared loop this would deadlock)."""
    import grpc
    from dydx_v4_client.network import NodeConfig
    from dydx_v4_client.node.client import NodeClient

    from tui_app.devnet.params import USDC_DENOM

    async with Devnet(FAST) as devnet:
        channel = grpc.insecure_channel(devnet.endpoints.grpc)
        try:
            client = await NodeClient.connect(NodeConfig(CHAIN_ID, "adv4tnt", USDC_DENOM, channel))
            first = await client.latest_block_height()
            deadline = time.monotonic() + 5
            while await client.latest_block_height() <= first:
                assert time.monotonic() < deadline, "the height did not advance"
                await asyncio.sleep(0.02)
        finally:
            channel.close()

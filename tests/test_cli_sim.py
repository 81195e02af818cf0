"""`dydx-tui sim` as a user runs it: a subprocess that prints its endpoints and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tui_app.devnet.params import CHAIN_ID, USDC_DENOM

READY_TIMEOUT = 30.0


class Sim:
    """A running `python -m tui_app sim`; stdout is read line by line on a thread."""

    def __init__(self, tmp_path: Path, *extra: str) -> None:
        self.stderr_path = tmp_path / "stderr.txt"
        env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
        args = [sys.executable, "-m", "tui_app", "sim", "--grpc-port", "0", "--rest-port", "0",
                "--ws-port", "0", "--block-time", "0.2", "--log-file", str(tmp_path / "sim.log"),
                *extra]  # fmt: skip
        with open(self.stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.decode())

    def ready(self) -> dict:
        try:
            line = self.lines.get(timeout=READY_TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"no ready line; stderr: {self.stderr()}") from None
        return json.loads(line)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def sim(tmp_path):
    started: list[Sim] = []

    def start(*extra: str) -> Sim:
        started.append(Sim(tmp_path, *extra))
        return started[-1]

    yield start
    for process in started:
        process.kill()


def port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1].split("/")[0])


def latest_block_height(grpc_address: str) -> int:
    """What the real client reads; the devnet runs in another process, so no loop is shared."""
    import grpc
    from dydx_v4_client.network import NodeConfig
    from dydx_v4_client.node.client import NodeClient

    channel = grpc.insecure_channel(grpc_address)
    try:

        async def read() -> int:
            node = await NodeClient.connect(NodeConfig(CHAIN_ID, "adv4tnt", USDC_DENOM, channel))
            return await node.latest_block_height()

        return asyncio.run(read())
    finally:
        channel.close()


def test_sim_prints_ready_line_and_stops_on_sigterm(sim):
    process = sim()
    ready = process.ready()
    assert ready["event"] == "ready"
    assert ready["chain_id"] == CHAIN_ID
    assert ready["demo_address"] == "dydx199tqg4wdlnu4qjlxchpd7seg454937hjrknju4"
    for key in ("grpc", "rest", "ws"):
        if key in ready.get("missing", []) or ready[key] is None:
            continue  # that part of the devnet is not built yet
        assert "127.0.0.1:" in ready[key] and port_of(ready[key]) > 0
    if ready["ws"] is not None:
        assert ready["ws"].startswith("ws://127.0.0.1:") and ready["ws"].endswith("/v4/ws")

    process.proc.send_signal(signal.SIGTERM)
    assert process.proc.wait(15) == 0
    assert "Traceback" not in process.stderr()


def test_sim_stops_on_ctrl_c(sim):
    process = sim()
    process.ready()
    process.proc.send_signal(signal.SIGINT)
    assert process.proc.wait(15) == 0
    assert "Traceback" not in process.stderr()


@pytest.mark.skipif(
    importlib.util.find_spec("tui_app.devnet.validator") is None
    or importlib.util.find_spec("tui_app.devnet.chain") is None,
    reason="the validator is not built yet",
)
def test_sim_serves_grpc_with_advancing_blocks_and_rest(sim):
    process = sim()
    ready = process.ready()
    first = latest_block_height(ready["grpc"])
    deadline = time.monotonic() + 10
    while latest_block_height(ready["grpc"]) <= first:
        assert time.monotonic() < deadline, "the height did not advance"
        time.sleep(0.1)
    if ready["rest"] is not None:
        # The indexer shows the same chain: its height is a block or so behind at most.
        with urllib.request.urlopen(ready["rest"] + "/v4/height", timeout=10) as response:
            assert int(json.load(response)["height"]) >= first
    process.proc.send_signal(signal.SIGTERM)
    assert process.proc.wait(15) == 0
    assert "Traceback" not in process.stderr()


def test_bad_flag_is_refused():
    result = subprocess.run(
        [sys.executable, "-m", "tui_app", "sim", "--grpc-port", "99999"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "65535" in result.stderr


def test_no_terminal_explains_and_version_prints():
    # With no terminal the TUI refuses at once, naming what scripts can use instead.
    bare = subprocess.run(
        [sys.executable, "-m", "tui_app"], capture_output=True, text=True, timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert bare.returncode == 2 and "needs a terminal" in bare.stderr
    assert "dydx-tui sim" in bare.stderr
    version = subprocess.run(
        [sys.executable, "-m", "tui_app", "--version"], capture_output=True, text=True, timeout=30
    )
    assert version.returncode == 0 and version.stdout.startswith("dydx-tui ")

"""Pieces of the gateway that need no node: results, channel options, the deadline."""

from __future__ import annotations

import asyncio
import time

import pytest

from tui_app.chain.errors import GatewayClosed, OutcomeUnknown
from tui_app.chain.gateway import BroadcastResult
from tui_app.chain.grpc_channel import CHANNEL_OPTIONS, make_channel
from tui_app.chain.worker import LoopThread, remaining_time


def test_sequence_mismatch_is_sdk_32_only_and_parses_expected():
    r = BroadcastResult("AB", 32, "sdk", "account sequence mismatch, expected 17, got 15: incorrect account sequence")
    assert r.is_sequence_mismatch and r.expected_sequence() == 17 and not r.ok
    # clob 32 is "stateful cancellation already exists", not a sequence problem.
    assert not BroadcastResult("AB", 32, "clob", "already exists").is_sequence_mismatch
    assert BroadcastResult("AB", 32, "sdk", "incorrect account sequence").expected_sequence() is None
    assert BroadcastResult("AB", 0, "", "").ok


def test_channel_has_keepalive_and_refuses_urls():
    options = dict(CHANNEL_OPTIONS)
    assert options["grpc.keepalive_time_ms"] > 0 and options["grpc.keepalive_timeout_ms"] > 0
    with pytest.raises(ValueError, match="without a scheme"):
        make_channel("http://127.0.0.1:9090", secure=False)
    raw, _ = make_channel("127.0.0.1:9", secure=False)
    raw.close()


async def test_worker_runs_jobs_off_the_callers_thread_with_a_deadline():
    import threading

    worker = LoopThread("test-worker")
    worker.start()
    try:
        async def where():
            return threading.current_thread().name, remaining_time()

        name, left = await worker.run(where, 1.0, "where")
        assert name == "test-worker" and 0 < left <= 1.0

        async def blocks():
            time.sleep(0.5)  # a blocking call, like NodeClient's

        started = time.monotonic()
        with pytest.raises(OutcomeUnknown, match="may still take effect"):
            await worker.run(blocks, 0.1, "blocking call")
        assert time.monotonic() - started < 0.3
        # Queued behind the blocking call past its own deadline: never started.
        ran = []

        async def late():
            ran.append(True)

        with pytest.raises(OutcomeUnknown):
            await worker.run(late, 0.05, "late")
        await asyncio.sleep(0.6)
        assert ran == []
    finally:
        await worker.stop()
    with pytest.raises(GatewayClosed):
        await worker.run(where, 1.0, "after stop")

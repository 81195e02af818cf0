"""Keeps the benchmark harness from rotting: one cheap benchmark with a handful of
messages, and the table it would print. No timing is asserted (measurements live in
benchmarks/, never in tests)."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

from benchmarks.__main__ import GROUPS, Context, _row_from_json, _row_to_json, write_results
from benchmarks.feed import json_loads_rate, make_frames, parse_and_apply_rate
from benchmarks.harness import LoopLagProbe, Row, markdown_table, percentile, text_table


def test_feed_benchmark_runs_and_reports(tmp_path: Path) -> None:
    frames = make_frames(50)
    ours, base = parse_and_apply_rate(frames), json_loads_rate(frames)
    assert ours > 0 and base > 0
    row = Row("feed", "feed", "—", "msgs/s", [ours], [base], "json.loads", "≥ 1/s",
              lambda r: r.stats.median > 0)  # fmt: skip
    assert row.verdict() == "yes" and row.ratio is not None
    assert "feed" in text_table([row]) and markdown_table([row]).count("\n") == 2
    out = tmp_path / "RESULTS.md"
    write_results([row], quick=True, seconds=1.0, path=out)
    assert "| feed |" in out.read_text()


def test_a_row_crosses_from_a_child_process_with_its_verdict() -> None:
    rows = [Row("store", "lookup", "—", "ms", [0.5, 3.0], None, "", "p99 < 2 ms",
                lambda r: r.stats.p99 < 2, note="n"),
            Row("feed", "feed", "—", "msgs/s", [1.0], [2.0], "json.loads")]  # fmt: skip
    back = [_row_from_json(json.loads(json.dumps(_row_to_json(r)))) for r in rows]
    assert [r.verdict() for r in back] == ["NO", ""]
    assert back[0].samples == [0.5, 3.0] and back[0].note == "n" and back[1].ratio == 0.5


def test_groups_and_percentiles() -> None:
    assert {"cancel-all", "place", "feed", "latency", "stall", "scale", "store", "start",
            "memory"} <= set(GROUPS)  # fmt: skip
    assert percentile([3.0, 1.0, 2.0], 99) == 3.0 and percentile([1.0, 2.0], 50) == 1.0
    assert Context(Path("."), quick=True).iterations(5) == 1


async def test_loop_lag_probe_records() -> None:
    probe = LoopLagProbe()
    probe.start()
    probe.recording = True
    await asyncio.sleep(0.03)
    await probe.stop()
    assert probe.lags and probe.worst_ms >= 0


def test_devnet_process_answers_and_stops() -> None:
    """The benchmarks' devnet in its own process: it answers named operations, takes a
    signed tx from this process, reports a failed operation, and is gone after stop."""
    import pytest

    from benchmarks.devnet_process import DevnetProcess
    from benchmarks.devnet_tools import FLAG_SHORT_TERM, Signer, alice_open_on_chain, check_all

    devnet = DevnetProcess(0)
    try:
        assert devnet.endpoints.grpc.startswith("127.0.0.1:")
        devnet.faults.freeze_blocks = True
        assert devnet.faults.freeze_blocks is True
        height = devnet.request("height")
        tx = Signer(devnet).place_buy(7, 20_000, Decimal("0.001"), flags=FLAG_SHORT_TERM,
                                      gtb=height + 5)  # fmt: skip
        check_all(devnet, [tx])
        assert [o.client_id for o in alice_open_on_chain(devnet)] == [7]
        with pytest.raises(RuntimeError, match="no_such_operation"):
            devnet.request("no_such_operation")
    finally:
        devnet.stop_sync()
    assert devnet._process.returncode is not None

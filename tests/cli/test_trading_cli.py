"""The trading commands end to end: `dydx-tui sim` in one process, each command in another."""

from __future__ import annotations

import json
import socket
import sqlite3
import time
import urllib.request

import pytest

from tui_app.devnet.accounts import ALICE
from tui_app.store import AuditAction, AuditOutcome

from .conftest import Cli


def place(cli: Cli, market="BTC-USD", price="30000", *extra: str, inline=True) -> dict:
    size = "0.001" if market == "BTC-USD" else "0.01"
    run = cli.inline if inline else cli
    result = run("place", "--market", market, "--side", "buy", "--size", size, "--price", price,
                 "--json", *extra)  # fmt: skip
    assert result.code == 0, result.err
    return result.json


def indexer_open(sim) -> list[dict]:
    url = (f"{sim.ready['rest']}/v4/orders?address={ALICE.address}&subaccountNumber=0"
           "&status=OPEN,BEST_EFFORT_OPENED")  # fmt: skip
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def wait_until(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.2)


def audit_rows(db, order_id):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT id, action, outcome, tx_hash FROM order_audit WHERE order_id = ? ORDER BY id",
            (order_id,),
        ).fetchall()
    finally:
        conn.close()


def test_place_and_cancel_all_in_real_processes(cli, sim):
    """The whole path as a script runs it: each command a fresh `python -m tui_app`."""
    short = place(cli, "BTC-USD", "30100", inline=False)
    long = place(cli, "ETH-USD", "1100", "--long-term")
    for placed in (short, long):
        rows = audit_rows(cli.db, placed["order_id"])
        assert [r[2] for r in rows] == ["attempt", "accepted"]
        assert rows[0][3] is None and rows[1][3] == placed["tx_hash"]
    done = cli("cancel-all", "--yes")
    assert done.code == 0, done.err
    assert "1 best_effort, 1 sent" in done.out
    wait_until(lambda: indexer_open(sim) == [])
    again = cli.inline("cancel", short["order_id"])
    assert again.code == 1 and again.err.startswith("dydx-tui cancel: error: order ")
    assert "already cancelled" in again.err and again.err.count("\n") == 1


def test_place_list_cancel_cancel_all(cli, sim):
    short = [place(cli, "BTC-USD", p) for p in ("30000", "30001")]
    long = [place(cli, "ETH-USD", p, "--long-term") for p in ("1000", "1001")]
    for placed in short + long:
        assert placed["status"] == "active" and placed["tx_hash"]
        # The metadata row (attempt) was committed before the tx hash (accepted) existed.
        rows = audit_rows(cli.db, placed["order_id"])
        assert [(r[1], r[2]) for r in rows] == [
            (AuditAction.PLACE.value, AuditOutcome.ATTEMPT.value),
            (AuditAction.PLACE.value, AuditOutcome.ACCEPTED.value),
        ]
        assert rows[0][3] is None and rows[1][3] == placed["tx_hash"]

    listed = cli.inline("orders", "--json")
    assert listed.code == 0, listed.err
    assert {o["order_id"] for o in listed.json["orders"]} >= {p["order_id"] for p in short + long}
    text = cli.inline("orders", "--market", "ETH-USD")
    assert text.code == 0 and text.out.count("ETH-USD") == 2 and "BTC-USD" not in text.out

    # Cancel one of each kind.
    one_short = cli.inline("cancel", short[0]["order_id"], "--json")
    assert one_short.code == 0 and one_short.json["outcomes"][0]["result"] == "best_effort"
    one_long = cli.inline("cancel", long[0]["order_id"])
    assert one_long.code == 0 and "next block" in one_long.out
    # Cancelling again says already cancelled.
    again = cli.inline("cancel", short[0]["order_id"])
    assert again.code == 1 and "already cancelled" in again.err
    assert again.err.count("\n") == 1  # one line
    wait_until(lambda: long[0]["order_id"] not in {o["id"] for o in indexer_open(sim)})
    again_long = cli.inline("cancel", long[0]["order_id"])
    assert "already" in again_long.out + again_long.err, again_long
    # An unknown id: not found.
    unknown = cli.inline("cancel", "00000000-0000-5000-8000-000000000000")
    assert unknown.code == 1 and "not known" in unknown.err

    refused = cli.inline("cancel-all")
    assert refused.code == 2 and "--yes" in refused.err
    done = cli.inline("cancel-all", "--yes", "--json")
    assert done.code == 0, done.err
    results = {o["order_id"]: o["result"] for o in done.json["outcomes"]}
    assert results[short[1]["order_id"]] == "best_effort"
    assert results[long[1]["order_id"]] == "sent"
    wait_until(lambda: indexer_open(sim) == [])


def test_expired_short_term_order_is_reported_expired_not_sent(cli, tmp_path):
    config = tmp_path / "short.yaml"
    config.write_text("network: local\ntrading:\n  short_term_blocks: 1\n")
    placed = place(cli, "BTC-USD", "30002", "--config", str(config))
    time.sleep(2.5)  # 2.5 blocks of 1 s: its good-til-block (height + 1) has passed
    result = cli.inline("cancel", placed["order_id"])
    assert result.code == 1 and "has already expired" in result.err
    kinds = [(r[1], r[2]) for r in audit_rows(cli.db, placed["order_id"])]
    assert (AuditAction.CANCEL.value, AuditOutcome.ATTEMPT.value) not in kinds
    assert kinds[-1][0] == AuditAction.EXPIRE.value


def test_refusals_and_read_commands(cli):
    close = cli.inline("close", "BTC-USD")
    assert close.code == 2 and "--yes" in close.err
    no_position = cli.inline("close", "BTC-USD", "--yes")
    assert no_position.code == 1 and "no open position" in no_position.err
    fok = cli.inline("place", "--market", "BTC-USD", "--side", "buy", "--size", "0.001",
                     "--price", "30000", "--tif", "fok")  # fmt: skip
    assert fok.code == 1 and "deprecated" in fok.err
    off_step = cli.inline("place", "--market", "BTC-USD", "--side", "buy",
                          "--size", "0.0001234", "--price", "30000")  # fmt: skip
    assert off_step.code == 1 and off_step.err.startswith("dydx-tui place: error: size:")
    bad_number = cli.inline("place", "--market", "BTC-USD", "--side", "buy", "--size", "1e3")
    assert bad_number.code == 2
    positions = cli.inline("positions", "--json")
    assert positions.code == 0 and positions.json["positions"] == []
    assert cli.inline("positions").out.startswith("equity")


def test_local_without_a_devnet_says_to_run_sim(cli):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]  # closed again: nothing listens there
    cli.env["DYDX_GRPC_ADDR"] = f"127.0.0.1:{free}"
    result = cli.inline("orders")
    assert result.code == 1
    assert "dydx-tui sim" in result.err and f"127.0.0.1:{free}" in result.err


def test_wrong_chain_is_refused_before_signing(cli, tmp_path):
    # The devnet serves chain `localdydxprotocol`: a testnet config pointed at it (plain
    # gRPC, alice's key) must fail the chain id check, and nothing may be recorded.
    config = tmp_path / "testnet.yaml"
    config.write_text("network: testnet\nendpoints:\n  grpc_tls: false\n")
    cli.env["DYDX_MNEMONIC"] = ALICE.mnemonic
    result = cli.inline("place", "--market", "BTC-USD", "--side", "buy", "--size", "0.001",
                        "--price", "30000", "--config", str(config))  # fmt: skip
    assert result.code == 1
    assert "localdydxprotocol" in result.err and "dydx-testnet-4" in result.err
    assert ALICE.mnemonic not in result.err + result.out
    conn = sqlite3.connect(cli.db)
    try:
        assert conn.execute("SELECT count(*) FROM dydx_order_metadata").fetchone() == (0,)
    finally:
        conn.close()


@pytest.mark.slow
def test_twenty_short_and_twenty_long_term_through_the_cli(cli, sim):
    """The issue's check, command by command (in-process: 40 fresh interpreters would
    outlast the short-term orders' 20 blocks)."""
    placed = [place(cli, "ETH-USD", str(1100 + i), "--long-term") for i in range(20)]
    placed += [place(cli, "BTC-USD", str(31000 + i)) for i in range(20)]
    for p in placed:
        rows = audit_rows(cli.db, p["order_id"])
        assert rows[0][2] == "attempt" and rows[0][3] is None and rows[1][3] == p["tx_hash"]
    short, long = placed[20], placed[0]
    assert cli.inline("cancel", short["order_id"]).code == 0
    assert cli.inline("cancel", long["order_id"]).code == 0
    done = cli.inline("cancel-all", "--yes", "--json")
    assert done.code == 0, done.err
    assert len(done.json["outcomes"]) >= 38
    wait_until(lambda: indexer_open(sim) == [])
    assert "already cancelled" in cli.inline("cancel", short["order_id"]).err
    wait_until(lambda: "already" in _cancel_text(cli, long["order_id"]))
    unknown = cli.inline("cancel", "00000000-0000-5000-8000-000000000000")
    assert unknown.code == 1 and "not known" in unknown.err


def _cancel_text(cli, order_id) -> str:
    result = cli.inline("cancel", order_id)
    return result.out + result.err


def test_read_only_account_cannot_trade_but_can_look(cli, tmp_path, sim):
    config = tmp_path / "watch.yaml"
    config.write_text(f"network: testnet\naccount:\n  address: {ALICE.address}\n")
    result = cli.inline("place", "--market", "BTC-USD", "--side", "buy", "--size", "0.001",
                        "--price", "30000", "--config", str(config))  # fmt: skip
    assert result.code == 1 and "trading is disabled" in result.err
    looked = cli.inline("positions", "--config", str(config), "--json")
    assert looked.code == 0 and looked.json["ok"]
    orders = cli.inline("orders", "--status", "all", "--config", str(config), "--json")
    assert orders.code == 0 and orders.json["read_only"], orders.err
    assert all(o["id"] for o in orders.json["orders"])
    assert cli.inline("orders", "--config", str(config)).out.startswith("read-only")

"""At the entry points (the `dydx-tui` command, the TUI's start-up, `dydx-tui status`):
a corrupted or foreign order store is refused with a clear message and left untouched
(issue 8, item 3), and the network guards hold (item 6): mainnet without the flag and
the typed confirmation, a node on another chain, non-loopback endpoints for `local`.
tests/store and tests/config test the functions; here the commands and the app do.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from tests.config.helpers import MARKER_MNEMONIC
from tui_app.devnet.accounts import ALICE

pytestmark = pytest.mark.timeout(120)
PLACE = ("place", "--market", "BTC-USD", "--side", "buy", "--size", "0.001", "--price", "30000")


@pytest.fixture
def cli(devnet, tmp_path) -> Cli:
    e = devnet.endpoints
    return Cli({"grpc": e.grpc, "rest": e.rest_url, "ws": e.ws_url}, tmp_path,
               tmp_path / "orders.sqlite3")  # fmt: skip


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def corrupt(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))


def foreign(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("make, said", [(corrupt, "orders.sqlite3"), (foreign, "another program")])
def test_the_cli_refuses_a_bad_store_and_leaves_it_untouched(cli, make, said):
    make(cli.db)
    before, files = digest(cli.db), sorted(p.name for p in cli.db.parent.iterdir())
    for args in (PLACE, ("cancel-all", "--yes"), ("orders",)):
        result = cli.inline(*args)
        assert result.code == 1, result
        assert result.err.startswith(f"dydx-tui {args[0]}: error: ") and said in result.err
        assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1
    assert digest(cli.db) == before
    assert sorted(p.name for p in cli.db.parent.iterdir() if "sqlite3" in p.name) == [
        n for n in files if "sqlite3" in n
    ]  # no -wal, -shm or -journal appeared beside it


@pytest.mark.parametrize("make, said", [(corrupt, "orders.sqlite3"), (foreign, "another program")])
async def test_the_tui_starts_with_trading_off_and_says_why(devnet, tmp_path, make, said):
    from tui_app.config import load_config
    from tui_app.launch import open_parts

    db = tmp_path / "orders.sqlite3"
    make(db)
    before = digest(db)
    config = load_config(_config_file(tmp_path), None, _environ(devnet))
    async with open_parts(config, db) as parts:
        assert parts.controller is None
        assert parts.trading_off_reason.startswith("trading is off: ")
        assert said in parts.trading_off_reason
    assert digest(db) == before


def _config_file(tmp_path: Path, text: str = "network: local\n") -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def _environ(devnet, **extra) -> dict[str, str]:
    e = devnet.endpoints
    return {"DYDX_REST_URL": e.rest_url, "DYDX_WS_URL": e.ws_url, "DYDX_GRPC_ADDR": e.grpc,
            **extra}  # fmt: skip


# ----- network safety -------------------------------------------------------------------------


def run_main(monkeypatch, capsys, tmp_path, argv, **env) -> tuple[int, str, str]:
    from tui_app.cli import main

    for name in ("DYDX_MNEMONIC", "DYDX_MNEMONIC_FILE", "DYDX_TUI_CONFIG", "DYDX_REST_URL",
                 "DYDX_WS_URL", "DYDX_GRPC_ADDR"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if not argv or argv[0].startswith("-"):  # the TUI: it wants a terminal first
        import io
        import sys

        class Tty(io.StringIO):
            def isatty(self) -> bool:
                return True

        monkeypatch.setattr(sys, "stdin", Tty())
        monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# The TUI takes --network mainnet without the flag: it asks for the typed confirmation
# instead (test_the_tui_on_mainnet_waits_for_the_typed_confirmation).
@pytest.mark.parametrize("argv", [
    ["status", "--network", "mainnet"],
    [*PLACE, "--network", "mainnet"],
    ["cancel-all", "--yes", "--network", "mainnet"],
])  # fmt: skip
def test_mainnet_without_the_flag_is_refused_before_anything(monkeypatch, capsys, tmp_path, argv):
    code, out, err = run_main(monkeypatch, capsys, tmp_path, argv, DYDX_MNEMONIC=MARKER_MNEMONIC)
    assert code == 2, (out, err)
    assert "mainnet" in err and MARKER_MNEMONIC.split()[0] + " " not in out + err
    assert not any((tmp_path / "xdg_data_home").rglob("*.sqlite3"))  # no store was opened


def test_a_config_file_cannot_choose_mainnet(monkeypatch, capsys, tmp_path):
    config = _config_file(tmp_path, "network: mainnet\n")
    code, _, err = run_main(monkeypatch, capsys, tmp_path, [*PLACE, "--config", str(config),
                                                            "--i-understand-mainnet"])  # fmt: skip
    assert code == 2 and "mainnet" in err


async def test_the_tui_on_mainnet_waits_for_the_typed_confirmation(tmp_path):
    from tui_app.app import AppParts, build_app
    from tui_app.config import load_config
    from tui_app.screens.mainnet import MainnetConfirmScreen
    from tui_app.state import AccountState

    config = load_config(_config_file(tmp_path, "network: testnet\n"), "mainnet",
                         {"DYDX_MNEMONIC": MARKER_MNEMONIC})  # fmt: skip
    assert config.is_mainnet

    class Feed:
        started = False

        async def run(self):
            Feed.started = True

        def on_status(self, callback):
            return lambda: None

    class Controller:
        calls: list[str] = []

        def __getattr__(self, name):
            Controller.calls.append(name)
            raise AssertionError(f"controller.{name} called before the confirmation")

    app = build_app(AppParts(config=config, state=AccountState(config.address, 0), feed=Feed(),
                             controller=Controller(), deterministic=True))  # fmt: skip
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, MainnetConfirmScreen)
        await pilot.press(*"mainne")  # not the whole word: nothing starts
        await pilot.press("enter")
        await pilot.pause()
        assert not Feed.started and Controller.calls == []
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_code == 1 and not Feed.started and Controller.calls == []


async def test_a_node_on_another_chain_is_refused_at_every_entry(devnet, tmp_path, capsys):
    from tui_app.commands.status import EXIT_REFUSED, collect_status
    from tui_app.config import load_config
    from tui_app.launch import open_parts

    config = load_config(
        _config_file(tmp_path, "network: testnet\nendpoints:\n  grpc_tls: false\n"), None,
        _environ(devnet, DYDX_MNEMONIC=ALICE.mnemonic),
    )  # fmt: skip
    report = await collect_status(config, seconds=1)
    assert report.exit_code == EXIT_REFUSED
    assert "localdydxprotocol" in report.problems[0] and "dydx-testnet-4" in report.problems[0]
    db = tmp_path / "orders.sqlite3"
    async with open_parts(config, db) as parts:
        assert parts.controller is None  # nothing can be signed for the wrong chain
        assert "localdydxprotocol" in parts.trading_off_reason


@pytest.mark.parametrize("variable, value", [
    ("DYDX_REST_URL", "http://192.0.2.10:3002"),
    ("DYDX_WS_URL", "ws://example.com:3003/v4/ws"),
    ("DYDX_GRPC_ADDR", "10.1.2.3:9090"),
])  # fmt: skip
@pytest.mark.parametrize("argv", [[], ["status"], list(PLACE), ["orders"]],
                         ids=["tui", "status", "place", "orders"])  # fmt: skip
def test_local_refuses_non_loopback_endpoints_at_the_entry(
    monkeypatch, capsys, tmp_path, argv, variable, value
):
    code, out, err = run_main(monkeypatch, capsys, tmp_path, argv, **{variable: value})
    assert code == 2, (out, err)
    assert "loopback" in err and value.split("//")[-1].split(":")[0] in err

"""A fresh marker mnemonic, funded on the devnet, through place / cancel / cancel-all,
errors, a SIGKILL and a forced crash on each screen of the TUI; then every file written
(logs, the order store with its -wal/-shm, screenshots), every captured stdout/stderr and
every traceback (with local variables) is searched for any three consecutive words of it:
zero hits (issue 8, item 5).

The other two promises of item 5 are tested in tests/config: a mnemonic file with any
group/other permission bits is refused (test_credentials.py::
test_wider_permissions_are_refused_naming_the_mode), and a config file holding a phrase or
a secret-like key is rejected with the reason (test_credentials.py::
test_secret_like_keys_are_refused_with_the_reason, test_a_phrase_anywhere_in_the_file_is_refused).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal
import traceback
from decimal import Decimal

import pytest
from bip_utils import Bip39MnemonicGenerator, Bip39WordsNum

from tests.cli.conftest import Cli
from tests.cli.test_crash_safety import start_and_wait_for_work
from tests.controller.conftest import start_devnet, wait_for

pytestmark = pytest.mark.timeout(600)
SIZE = (120, 40)


@pytest.fixture(scope="module")
def devnet():
    devnet = start_devnet(block_time=Decimal("1.0"))  # short-term orders live 20 s
    try:
        yield devnet
    finally:
        devnet.stop_sync()


class Marker:
    """A BIP39 phrase made now, and a search for any three consecutive words of it."""

    def __init__(self) -> None:
        self.phrase = str(Bip39MnemonicGenerator().FromWordsNumber(Bip39WordsNum.WORDS_NUM_24))
        words = self.phrase.split()
        self.triples = [" ".join(words[i : i + 3]) for i in range(len(words) - 2)]
        self.searched: dict[str, int] = {}

    def hits(self, where: str, data: bytes | str) -> list[str]:
        text = data.decode("utf-8", "ignore") if isinstance(data, bytes) else data
        squashed = " ".join(text.replace("\\n", " ").replace('"', " ").split())
        self.searched[where] = len(text)
        return [f"{where}: {t!r}" for t in self.triples if t in squashed]


def app_frame_locals(error: BaseException) -> str:
    """What a crash report with local variables would print of every frame that is not
    this test's own (the test holds the phrase on purpose)."""
    lines = []
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        if "/tests/" in frame.f_code.co_filename:
            continue
        lines.append(f"{frame.f_code.co_filename}:{lineno} in {frame.f_code.co_name}")
        for key, value in frame.f_locals.items():
            try:
                lines.append(f"    {key} = {value!r}"[:20_000])
            except Exception as exc:  # a repr that fails is no leak
                lines.append(f"    {key} = <repr failed: {exc!r}>")
    return "\n".join(lines)


def address_of(phrase: str) -> str:
    from dydx_v4_client.key_pair import KeyPair
    from dydx_v4_client.wallet import Wallet

    return Wallet(KeyPair.from_mnemonic(phrase), 0, 0).address


async def test_the_marker_mnemonic_appears_nowhere(devnet, tmp_path, capfd, figures):
    marker = Marker()
    address = address_of(marker.phrase)
    devnet.call(lambda: devnet.chain.fund(address, Decimal("100000")))
    texts: dict[str, str] = {}  # captured outputs and tracebacks, searched at the end

    # ----- the command line, as real processes: env var, then a 0600 file -------------------
    e = devnet.endpoints
    (tmp_path / "cli").mkdir()
    cli = Cli({"grpc": e.grpc, "rest": e.rest_url, "ws": e.ws_url}, tmp_path / "cli",
              tmp_path / "cli" / "orders.sqlite3")  # fmt: skip
    cli.env["DYDX_MNEMONIC"] = marker.phrase
    cli.env["DYDX_TUI_LOG_LEVEL"] = "DEBUG"
    place = ("place", "--market", "BTC-USD", "--side", "buy", "--size", "0.001", "--json")
    runs = [
        (*place, "--price", "30000"),
        ("place", "--market", "ETH-USD", "--side", "buy", "--size", "0.01", "--price", "1000",
         "--long-term", "--json"),
        (*place, "--price", "30001.5"),  # off the tick: refused locally
        ("place", "--market", "BTC-USD", "--side", "buy", "--size", "1000", "--price", "59000"),
        ("cancel", "00000000-0000-5000-8000-000000000000"),  # unknown id
        ("place", "--market", "BTC-USD", "--side", "buy", "--size", "0.001"),  # no price
    ]  # fmt: skip
    results = [cli(*args, "--log-level", "DEBUG") for args in runs]
    assert results[0].code == 0 and results[1].code == 0, results[:2]
    assert [r.code for r in results[2:]] == [1, 1, 1, 1], results[2:]
    assert "the chain refused it" in results[3].err
    cancel = cli("cancel", results[1].json["order_id"], "--log-level", "DEBUG")
    assert cancel.code == 0, cancel
    mnemonic_file = tmp_path / "cli" / "mnemonic.txt"
    mnemonic_file.write_text(marker.phrase + "\n")
    mnemonic_file.chmod(0o600)
    del cli.env["DYDX_MNEMONIC"]
    cli.env["DYDX_MNEMONIC_FILE"] = str(mnemonic_file)
    results.append(cli(*place, "--price", "30002"))
    results.append(cli("cancel-all", "--yes", "--log-level", "DEBUG"))
    assert results[-2].code == 0 and results[-1].code == 0, results[-2:]
    # A crash: SIGKILL in the middle of a place.
    proc = start_and_wait_for_work(cli, [*place, "--price", "30003"])
    await asyncio.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    for i, r in enumerate([*results, cancel]):
        texts[f"cli run {i} stdout"] = r.out
        texts[f"cli run {i} stderr"] = r.err
    mnemonic_file.unlink()  # the phrase's own file is the one place it may be

    # ----- the TUI: real feed, store, node and controller; a crash on every screen ----------
    from tui_app.app import AppParts, build_app
    from tui_app.config import load_config
    from tui_app.controller.requests import CancelScope, PlaceRequest
    from tui_app.launch import open_parts
    from tui_app.logging_setup import configure_logging
    from tui_app.screens.confirm import ConfirmScreen
    from tui_app.screens.mainnet import MainnetConfirmScreen
    from tui_app.screens.quit import QuitScreen

    tui = tmp_path / "tui"
    shots = tui / "screenshots"
    shots.mkdir(parents=True)
    config_file = tui / "config.yaml"
    config_file.write_text("network: local\ntrading:\n  short_term_blocks: 20\n")
    environ = {"DYDX_MNEMONIC": marker.phrase, "DYDX_REST_URL": e.rest_url,
               "DYDX_WS_URL": e.ws_url, "DYDX_GRPC_ADDR": e.grpc}  # fmt: skip
    config = load_config(config_file, None, environ)
    assert config.address == address and not config.read_only
    db = tui / "orders.sqlite3"
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    configure_logging("DEBUG", tui / "tui.log")

    def bad_request() -> PlaceRequest:
        return PlaceRequest("BTC-USD", "BUY", Decimal("1000"), Decimal("59000"))

    screens = {
        "main": None,
        "order form": lambda app: app.open_new_order("BTC-USD"),
        "cancel all": lambda app: app.open_cancel_all(None),
        "order detail": lambda app: app.open_order_details(app.state.open_orders()[0].id),
        "help": lambda app: app.open_help(),
        "confirm": lambda app: app.push_screen(ConfirmScreen("Close?", "body", "Close")),
        "quit": lambda app: app.push_screen(QuitScreen(["cancel all"])),
        "mainnet": lambda app: app.push_screen(MainnetConfirmScreen("mainnet", address=address,
                                                                    read_only=False)),
    }  # fmt: skip
    try:
        for name, open_screen in screens.items():
            async with open_parts(config, db) as parts:
                assert parts.controller is not None, parts.trading_off_reason
                app = build_app(AppParts(config=config, state=parts.state, feed=parts.feed,
                                         controller=parts.controller, store_path=db,
                                         deterministic=True))  # fmt: skip
                with pytest.raises(RuntimeError, match="forced crash") as crash:
                    async with app.run_test(size=SIZE) as pilot:
                        await wait_for(lambda: parts.state.snapshot_received, timeout=30)
                        if name == "main":  # trading through the app, errors included
                            app.run_place(PlaceRequest("BTC-USD", "BUY", Decimal("0.001"),
                                                       Decimal("30010")))  # fmt: skip
                            app.run_place(bad_request())
                            await wait_for(lambda: not app.in_flight, timeout=30)  # noqa: B023
                            await wait_for(lambda: parts.state.open_orders(), timeout=30)
                            app.run_cancel(parts.state.open_orders()[0].id)
                            await wait_for(lambda: not app.in_flight, timeout=30)  # noqa: B023
                            app.run_place(
                                PlaceRequest(
                                    "ETH-USD",
                                    "BUY",
                                    Decimal("0.01"),
                                    Decimal("1001"),
                                    long_term=True,
                                )
                            )
                            await wait_for(lambda: not app.in_flight, timeout=30)  # noqa: B023
                            app.run_cancel_all(CancelScope())
                            await wait_for(lambda: not app.in_flight, timeout=30)  # noqa: B023
                            app.run_place(
                                PlaceRequest("BTC-USD", "BUY", Decimal("0.001"), Decimal("30011"))
                            )  # for the detail
                            await wait_for(lambda: not app.in_flight, timeout=30)  # noqa: B023
                            await wait_for(lambda: parts.state.open_orders(), timeout=30)
                        else:
                            if name == "order detail":  # an order (with fills: none) to show
                                await parts.controller.place(PlaceRequest(
                                    "ETH-USD", "BUY", Decimal("0.01"), Decimal("1002"),
                                    long_term=True))  # fmt: skip
                                await wait_for(lambda: parts.state.open_orders(), timeout=30)
                            open_screen(app)
                        await pilot.pause()
                        await asyncio.sleep(0.3)
                        await pilot.pause()
                        app.save_screenshot(f"{name.replace(' ', '-')}.svg", str(shots))
                        for path in db.parent.glob("orders.sqlite3*"):  # -wal/-shm while open
                            shutil.copy(path, shots / f"{name}-{path.name}.copy")

                        def crash_now(screen=name) -> None:
                            raise RuntimeError(f"forced crash on the {screen} screen")

                        app.call_later(crash_now)
                        await pilot.pause()
                assert app.return_code == 1
                texts[f"traceback, {name}"] = "".join(traceback.format_exception(crash.value))
                texts[f"locals of the app's frames, {name}"] = app_frame_locals(crash.value)
            figures("tui_screens_crashed", 1)
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    captured = capfd.readouterr()
    texts["this process stdout"], texts["this process stderr"] = captured.out, captured.err
    assert "forced crash on the" in captured.out + captured.err  # the crash reports are here

    # ----- the search ------------------------------------------------------------------------
    assert marker.hits("self-check", "x " + marker.phrase.replace(" ", "\n  ") + " y")
    hits: list[str] = []
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    for path in files:
        hits += marker.hits(str(path.relative_to(tmp_path)), path.read_bytes())
    for where, text in texts.items():
        hits += marker.hits(where, text)
    names = {p.name for p in files}
    assert {"cli.log", "tui.log", "orders.sqlite3"} <= names
    assert any(n.endswith(".svg") for n in names) and any("-wal" in n for n in names)
    assert hits == [], sorted({h.split(":")[0] for h in hits})
    figures("secret_places_searched", len(marker.searched))
    figures("secret_hits", len(hits))
    print(
        f"searched {len(marker.searched)} files and outputs "
        f"({sum(marker.searched.values())} characters): {len(hits)} hits"
    )

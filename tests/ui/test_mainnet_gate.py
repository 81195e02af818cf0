"""On mainnet the typed confirmation comes before anything connects."""

from __future__ import annotations

from types import SimpleNamespace

from tui_app import launch
from tui_app.screens.mainnet import MainnetConfirmScreen, MainnetGateApp


async def test_the_gate_opens_only_for_the_exact_word():
    app = MainnetGateApp(address="dydx1example", read_only=False)
    async with app.run_test(size=(90, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, MainnetConfirmScreen)
        await pilot.press(*"Mainnet", "enter")
        await pilot.pause()
        assert app.is_running  # wrong case: still locked
        await pilot.press(*["backspace"] * 7, *"mainnet", "enter")
        await pilot.pause()
    assert app.return_value is True


async def test_escape_at_the_gate_refuses():
    app = MainnetGateApp(address=None, read_only=True)
    async with app.run_test(size=(90, 24)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_value is False


def test_run_tui_on_mainnet_connects_nothing_until_confirmed(monkeypatch):
    touched: list[str] = []
    monkeypatch.setattr(launch, "confirm_mainnet", lambda config: touched.append("gate") or False)

    async def run_app(config, db):
        touched.append("connected")
        return 0

    monkeypatch.setattr(launch, "_run_app", run_app)
    config = SimpleNamespace(is_mainnet=True, network="mainnet")
    assert launch.run_tui(config) == 1
    assert touched == ["gate"]

"""XDG paths and the process-wide log setup."""

from __future__ import annotations

import logging

import pytest

from tui_app import locations
from tui_app.logging_setup import configure_logging


def test_xdg_variables_are_honoured(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/is/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert locations.default_log_file() == tmp_path / "state" / "dydx-tui" / "dydx-tui.log"
    assert locations.config_dir() == tmp_path / "home" / ".config" / "dydx-tui"
    assert not (tmp_path / "state").exists()  # nothing is created by asking


@pytest.fixture
def restore_root_logger():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if handler not in handlers:
            handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_logs_go_to_the_default_file(monkeypatch, tmp_path, restore_root_logger):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    target = configure_logging("warning")
    logging.getLogger("tui_app.test").info("not shown")
    logging.getLogger("tui_app.test").warning("shown")
    logging.getLogger().handlers[0].flush()
    text = (tmp_path / "dydx-tui" / "dydx-tui.log").read_text()
    assert target.endswith("dydx-tui.log")
    assert "shown" in text and "not shown" not in text


def test_dash_means_stderr(restore_root_logger, capsys):
    assert configure_logging("INFO", "-") == "<stderr>"

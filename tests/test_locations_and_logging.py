"""XDG paths and the process-wide log setup."""

from __future__ import annotations

import logging

import pytest

from tui_app import locations
from tui_app.logging_setup import CHATTY_LOGGERS, configure_logging


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
    chatty = {name: logging.getLogger(name).level for name in CHATTY_LOGGERS}
    yield
    for name, chatty_level in chatty.items():
        logging.getLogger(name).setLevel(chatty_level)
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


@pytest.mark.parametrize(("level", "httpx_info_shown"), [("INFO", False), ("DEBUG", True)])
def test_http_requests_are_logged_only_at_debug(
    level, httpx_info_shown, tmp_path, restore_root_logger
):
    log_file = tmp_path / "x.log"
    configure_logging(level, log_file)
    logging.getLogger("httpx").info("HTTP Request: GET http://127.0.0.1/v4/time")
    logging.getLogger("httpcore.connection").debug("connect_tcp.started")
    logging.getLogger("httpx").warning("a real problem")
    logging.getLogger().handlers[0].flush()
    text = log_file.read_text()
    assert ("HTTP Request" in text) is httpx_info_shown
    assert ("connect_tcp" in text) is httpx_info_shown
    assert "a real problem" in text


def test_dash_means_stderr(restore_root_logger, capsys):
    assert configure_logging("INFO", "-") == "<stderr>"

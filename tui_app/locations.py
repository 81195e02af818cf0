"""Where dydx-tui keeps its files, following the XDG base directory spec.

Functions, not constants: nothing is read or created at import time, and tests can point
XDG_* variables at a temporary directory.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "dydx-tui"


def _xdg_dir(variable: str, fallback: str) -> Path:
    # The spec says a relative value is invalid and must be ignored.
    value = os.environ.get(variable, "")
    base = Path(value) if value and Path(value).is_absolute() else Path.home() / fallback
    return base / APP_NAME


def config_dir() -> Path:
    """Settings (config.yaml, keymaps): $XDG_CONFIG_HOME/dydx-tui."""
    return _xdg_dir("XDG_CONFIG_HOME", ".config")


def data_dir() -> Path:
    """Data worth keeping (the order metadata store): $XDG_DATA_HOME/dydx-tui."""
    return _xdg_dir("XDG_DATA_HOME", ".local/share")


def state_dir() -> Path:
    """Logs and other state that may be lost: $XDG_STATE_HOME/dydx-tui."""
    return _xdg_dir("XDG_STATE_HOME", ".local/state")


def default_log_file() -> Path:
    return state_dir() / "dydx-tui.log"


def order_db_path(network: str) -> Path:
    """The order metadata store of one network: $XDG_DATA_HOME/dydx-tui/orders-NETWORK.sqlite3.

    One file per network, so a testnet order can never be confused with a mainnet one.
    """
    if not network or not all(c.isascii() and (c.isalnum() or c in "-_") for c in network):
        raise ValueError(f"network name {network!r} is not usable in a file name")
    return data_dir() / f"orders-{network}.sqlite3"

"""The config modules import no UI, and nothing heavy until it is needed: what the TUI
imports before its first frame is its start time (benchmarks: `start`)."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import {modules}
loaded = [m for m in {heavy!r} if m in sys.modules]
print(loaded)
sys.exit(1 if loaded else 0)
"""


def _imports_none_of(modules: str, heavy: tuple[str, ...]) -> None:
    code = CHECK.format(modules=modules, heavy=heavy)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_config_imports_no_ui_and_no_grpc_or_key_derivation():
    # yaml only with a config file; pycryptodome only to derive an address from a key.
    _imports_none_of(
        "tui_app.config, tui_app.networks, tui_app.credentials",
        ("textual", "grpc", "bip_utils", "dydx_v4_client.network", "yaml", "Crypto"),
    )


def test_the_feed_imports_no_rest_client_until_it_polls():
    # The TUI builds its feed before the first frame; REST comes later (probes, fallback).
    _imports_none_of("tui_app.feed.feed", ("textual", "grpc", "httpx", "dydx_v4_client"))

"""The config modules import no UI, and nothing heavy until it is needed."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import tui_app.config, tui_app.networks, tui_app.credentials
loaded = [m for m in ("textual", "grpc", "bip_utils", "dydx_v4_client.network") if m in sys.modules]
print(loaded)
sys.exit(1 if loaded else 0)
"""


def test_config_imports_no_ui_and_no_grpc_or_key_derivation():
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr

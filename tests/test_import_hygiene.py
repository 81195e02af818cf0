"""The devnet and the command line import no UI (STYLE.md: layers you can see in the tree).

Each check runs in a fresh interpreter: in this one, other tests may have imported Textual.
"""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import importlib, pkgutil, sys
import tui_app.devnet
names = ["tui_app.devnet", "tui_app.cli", "tui_app.locations", "tui_app.logging_setup"]
names += [m.name for m in pkgutil.walk_packages(tui_app.devnet.__path__, "tui_app.devnet.")]
for name in names:
    importlib.import_module(name)
ui = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print(len(names), "modules;", "UI imported:", ui)
sys.exit(1 if ui else 0)
"""


def test_devnet_and_cli_do_not_import_textual():
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr

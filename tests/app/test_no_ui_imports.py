"""ids, models and state never import Textual (STYLE.md: layers you can see in the tree)."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import tui_app.ids, tui_app.models, tui_app.state
ui = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
sys.exit(1 if ui else 0)
"""


def test_core_modules_do_not_import_textual():
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr

"""Only the UI imports Textual (STYLE.md: layers you can see in the tree).

Every module of tui_app is imported except the UI's own; the check runs in a fresh
interpreter, because in this one other tests may have imported Textual already.
A new UI module belongs in UI_MODULES; anything else must stay free of Textual.
"""

from __future__ import annotations

import subprocess
import sys

# The UI layer, and __main__ (importing it runs the command).
UI_MODULES = (
    "tui_app.app",
    "tui_app.screens",
    "tui_app.widgets",
    "tui_app.messages",
    "tui_app.retry_notes",
    "tui_app.__main__",
)

CHECK = """
import importlib, pkgutil, sys
import tui_app
ui = {ui!r}
names = [m.name for m in pkgutil.walk_packages(tui_app.__path__, "tui_app.")
         if not any(m.name == u or m.name.startswith(u + ".") for u in ui)]
for name in names:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print(len(names), "modules imported; Textual modules loaded:", loaded[:5])
sys.exit(1 if loaded else 0)
"""


def test_only_the_ui_imports_textual():
    result = subprocess.run(
        [sys.executable, "-c", CHECK.format(ui=UI_MODULES)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_check_sees_the_devnet_and_the_cli():
    # Guards the walk itself: a silent empty walk would pass the test above.
    code = (
        "import pkgutil, tui_app\n"
        "print(*[m.name for m in pkgutil.walk_packages(tui_app.__path__, 'tui_app.')])"
    )
    names = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    ).stdout.split()
    assert {"tui_app.cli", "tui_app.devnet.node", "tui_app.devnet.chain"} <= set(names)

"""Snapshots are only comparable with the Textual they were made with (STYLE.md 11)."""

from __future__ import annotations

from importlib.metadata import version

import pytest

PINNED = {"textual": "8.2.8", "pytest-textual-snapshot": "1.1.0"}


@pytest.fixture(autouse=True, scope="session")
def _refuse_snapshot_update_on_other_versions(request: pytest.FixtureRequest) -> None:
    if not request.config.getoption("--snapshot-update", default=False):
        return
    wrong = {name: version(name) for name, pinned in PINNED.items() if version(name) != pinned}
    if wrong:
        pytest.exit(f"--snapshot-update needs {PINNED}, found {wrong}", returncode=2)

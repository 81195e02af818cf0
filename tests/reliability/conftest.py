"""Shared by the reliability tests: a devnet per test module (a module may define its own
`devnet` with other settings), and the figures of the run (drops survived, crashes
recovered, messages fuzzed, secret hits), printed at the end and kept in pytest's cache
(`.pytest_cache/v/reliability/figures`) for the README's Reliability section."""

from __future__ import annotations

import json
import threading

import pytest

from tests.controller.conftest import devnet  # noqa: F401 (module-scoped fixture)

_FIGURES: dict[str, int] = {}
_LOCK = threading.Lock()


def add_figure(name: str, amount: int) -> None:
    with _LOCK:
        _FIGURES[name] = _FIGURES.get(name, 0) + int(amount)


@pytest.fixture
def figures():
    return add_figure


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _FIGURES:
        return
    terminalreporter.write_sep("-", "reliability figures")
    terminalreporter.write_line(json.dumps(_FIGURES, sort_keys=True))
    if getattr(config, "cache", None) is not None:  # -p no:cacheprovider has none
        config.cache.set("reliability/figures", dict(_FIGURES))

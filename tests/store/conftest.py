"""Fixtures shared by the store tests."""

from __future__ import annotations

import pytest

from tui_app.store import OrderStore


@pytest.fixture
async def store(tmp_path):
    """A fresh store in a temporary directory, closed after the test."""
    store = await OrderStore.open(tmp_path / "orders.sqlite3")
    try:
        yield store
    finally:
        await store.close()

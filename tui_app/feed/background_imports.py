"""Importing modules in a worker thread, so that the event loop keeps running meanwhile.

One background import at a time: two threads importing modules that import each other
could see half-made modules. Used for what the TUI needs only after its first frame (the
node gateway, the order controller, the REST client).
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import threading

_ONE_AT_A_TIME = threading.Lock()


def import_in_background(*names: str) -> None:
    """Import `names` (call it in a worker thread)."""
    with _ONE_AT_A_TIME:
        for name in names:
            importlib.import_module(name)


async def import_off_loop(*names: str) -> None:
    """`import_in_background` in a worker thread, unless all are imported already."""
    if not all(name in sys.modules for name in names):
        await asyncio.to_thread(import_in_background, *names)

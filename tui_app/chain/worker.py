"""One dedicated thread with its own event loop, for dydx-v4-client's blocking calls.

NodeClient's `async` methods call synchronous gRPC stubs: awaited on the app's loop they
freeze it for the whole round trip (and forever on a hung node). Here they run on a loop
of their own; the caller awaits a future with a deadline, and its loop keeps running.

The deadline of the job in progress is published in `CALL_DEADLINE` (a context variable
of the job's task), so the gRPC layer can give each blocking call the same deadline and
free the thread when the caller gives up.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tui_app.chain.errors import GatewayClosed, OutcomeUnknown

log = logging.getLogger(__name__)

T = TypeVar("T")

# time.monotonic() by which the current job must be done; None outside jobs.
CALL_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "CALL_DEADLINE", default=None
)


def remaining_time() -> float | None:
    deadline = CALL_DEADLINE.get()
    return None if deadline is None else deadline - time.monotonic()


class LoopThread:
    """A daemon thread running an asyncio loop; `run()` executes jobs on it."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self._name} already started")
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def main() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            try:
                loop.run_forever()
            finally:
                pending = asyncio.all_tasks(loop)
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.close()

        self._thread = threading.Thread(target=main, name=self._name, daemon=True)
        self._thread.start()
        ready.wait()
        self._loop = loop

    @property
    def running(self) -> bool:
        return self._loop is not None

    async def run(self, job: Callable[[], Awaitable[T]], timeout: float, what: str) -> T:
        """Run `job()` on the worker loop; raise OutcomeUnknown after `timeout` seconds."""
        loop = self._loop
        if loop is None:
            raise GatewayClosed()
        deadline = time.monotonic() + timeout

        async def with_deadline() -> T:
            CALL_DEADLINE.set(deadline)
            if time.monotonic() >= deadline:
                # Queued behind a slow call until too late: do not start it at all.
                raise OutcomeUnknown(f"{what}: deadline passed before it started")
            return await job()

        future = asyncio.run_coroutine_threadsafe(with_deadline(), loop)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except TimeoutError:
            raise OutcomeUnknown(
                f"{what}: no answer within {timeout:g} s (it may still take effect)"
            ) from None

    async def stop(self, join_timeout: float = 10.0) -> None:
        loop, thread = self._loop, self._thread
        self._loop = None
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            # Joined off the caller's loop: a blocking call may need up to its deadline.
            await asyncio.to_thread(thread.join, join_timeout)
            if thread.is_alive():
                log.warning("%s: thread still busy after %.0f s", self._name, join_timeout)
            self._thread = None

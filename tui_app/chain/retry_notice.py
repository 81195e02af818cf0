"""Who hears of a NodeGateway retry: a callback in a context variable.

    with retry_listener(lambda attempt, limit, error: ...):
        await gateway.cancel_order(...)

The gateway's jobs run on worker threads, in a copy of the caller's context (asyncio
copies it when the job is handed over), so the listener set by the caller is the one the
job sees. The callback is called ON THE WORKER THREAD: it must only hand the news over
(e.g. `loop.call_soon_threadsafe`), never touch the caller's objects itself.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

# on_retry(attempt, limit, error): retry `attempt` of at most `limit` (1-based) is coming.
RetryCallback = Callable[[int, int, str], None]

ON_RETRY: contextvars.ContextVar[RetryCallback | None] = contextvars.ContextVar(
    "ON_RETRY", default=None
)


@contextmanager
def retry_listener(callback: RetryCallback | None) -> Iterator[None]:
    """Calls made inside the block report their retries to `callback` (None: to nobody)."""
    token = ON_RETRY.set(callback)
    try:
        yield
    finally:
        ON_RETRY.reset(token)


def notify_retry(attempt: int, limit: int, error: str) -> None:
    """Tell the current listener, if any; a failing listener never breaks the call."""
    callback = ON_RETRY.get()
    if callback is None:
        return
    try:
        callback(attempt, limit, error)
    except Exception:
        log.warning("retry listener failed", exc_info=True)

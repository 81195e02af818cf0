"""WAL checkpoints on a thread of their own, so that no commit pays for one.

SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1000 pages:
that commit copies the pages into the database file and fsyncs it, a few ms on top of its
own fsync (the tail of a place's latency). Here a PASSIVE checkpoint runs every
`interval` seconds on a second connection instead; it never waits for (or blocks)
readers and writers. The writer keeps an automatic checkpoint at `FALLBACK_PAGES` as a
safety net, should this thread fall behind. Durability is unchanged: commits are in the
WAL (fsync'd, synchronous=FULL) before they return, checkpoints or not.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 0.5
FALLBACK_PAGES = 10_000  # ~40 MB of WAL: only when the background checkpoints fall behind


class Checkpointer:
    def __init__(self, path: Path, interval: float = INTERVAL_SECONDS) -> None:
        self._path = path
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="order-store-checkpoint",
                                        daemon=True)  # fmt: skip

    def start(self) -> None:
        self._thread.start()

    def stop(self, join_timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(join_timeout)

    def _run(self) -> None:
        try:
            db = sqlite3.connect(self._path, isolation_level=None)
        except sqlite3.Error as exc:
            log.warning("order store: no background checkpoints (%s)", exc)
            return
        try:
            db.execute("PRAGMA synchronous = FULL")  # the checkpoint fsyncs what it copies
            while not self._stop.wait(self._interval):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # busy, or the file went away: try later
                    log.debug("order store: checkpoint skipped (%s)", exc)
        finally:
            db.close()

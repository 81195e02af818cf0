"""WAL checkpoints on a thread of their own, so that no commit pays for a big one.

SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1000 pages:
that commit copies the pages into the database file and fsyncs it, a few ms on top of its
own fsync (the tail of a place's latency). Here a PASSIVE checkpoint runs every
`interval` seconds on a second connection instead; it never waits for (or blocks)
readers and writers. The writer keeps an automatic checkpoint at `FALLBACK_PAGES` as a
safety net, should this thread fall behind. Durability is unchanged: commits are in the
WAL (fsync'd, synchronous=FULL) before they return, checkpoints or not.

Catching up: SQLite starts the WAL again from its beginning (overwriting frames in place,
no growing file) only when a write transaction begins with every frame checkpointed. Under
a steady stream of commits a background pass never gets there: commits land while it
runs, and the WAL grows without end, each commit appending to the file (its fsync then
also commits the file's new size: about twice as slow, with a longer tail), until the
fallback checkpoint stalls one commit for many ms. So when commits landed during a pass,
the writer checkpoints the few frames left right after its next commit (`committed`),
on its own thread, where no commit can race it: a fraction of a ms once per pass, and
the next transaction starts the WAL anew.
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
        self._commits = 0  # counted on the writer's thread (`committed`)
        self._left_behind = False  # commits landed during the last background pass

    def start(self) -> None:
        self._thread.start()

    def stop(self, join_timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(join_timeout)

    def committed(self, db: sqlite3.Connection) -> None:
        """On the writer's thread, right after each COMMIT (see the module docstring)."""
        self._commits += 1
        if self._left_behind:
            self._left_behind = False
            try:
                db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error as exc:
                log.debug("order store: catch-up checkpoint skipped (%s)", exc)

    def _run(self) -> None:
        try:
            db = sqlite3.connect(self._path, isolation_level=None)
        except sqlite3.Error as exc:
            log.warning("order store: no background checkpoints (%s)", exc)
            return
        try:
            db.execute("PRAGMA synchronous = FULL")  # the checkpoint fsyncs what it copies
            while not self._stop.wait(self._interval):
                commits = self._commits
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # busy, or the file went away: try later
                    log.debug("order store: checkpoint skipped (%s)", exc)
                    continue
                if self._commits != commits:
                    self._left_behind = True
        finally:
            db.close()

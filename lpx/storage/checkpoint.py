"""WAL checkpoints off the request path for the embedded SQLite store.

By default SQLite checkpoints inside the commit that takes the write-ahead log past 1,000
pages: that one request copies about 4 MB into the database file and syncs it. With an
audited inquiry writing a few pages, one inquiry in a hundred or two paid a few
milliseconds for it, which was the whole p99 tail of ``benchmarks/search.py``.

So each engine gets a daemon thread that runs a PASSIVE checkpoint on its own connection
shortly after commits. PASSIVE never waits for readers or writers, and the sqlite3 module
releases the GIL while SQLite copies pages, so the work moves to another core instead of
into a request. The automatic checkpoint stays on as a backstop at a higher mark
(:data:`BACKSTOP_PAGES`), so the log stays bounded even if the thread falls behind.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from pathlib import Path

from sqlalchemy import Engine, event

# The inline checkpoint's threshold once the thread takes over (pages of 4 KiB: 64 MiB).
BACKSTOP_PAGES = 16384
# Commits within this many seconds share one checkpoint.
DELAY_S = 0.05


class WalCheckpointer:
    """Checkpoints one database file after its engine's commits, until stopped."""

    def __init__(self, path: str, delay_s: float = DELAY_S) -> None:
        self._path = path
        self._delay_s = delay_s
        self._due = threading.Event()
        self._stopped = threading.Event()
        self.checkpoints = 0  # completed checkpoint calls, for tests and diagnostics
        self._thread = threading.Thread(target=self._run, name="lpx-wal-checkpoint",
                                        daemon=True)  # fmt: skip
        self._thread.start()

    def due(self) -> None:
        self._due.set()

    def stop(self) -> None:
        self._stopped.set()
        self._due.set()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                self._due.wait()
                if self._stopped.wait(self._delay_s):
                    return
                self._due.clear()
                conn = conn or self._connect()
                if conn is not None:
                    self._checkpoint(conn)
        finally:
            if conn is not None:
                conn.close()

    def _connect(self) -> sqlite3.Connection | None:
        # mode=rw: never create the file again if it was deleted under us (test temp dirs).
        try:
            return sqlite3.connect(f"{Path(self._path).resolve().as_uri()}?mode=rw", uri=True,
                                   timeout=0, check_same_thread=False)  # fmt: skip
        except sqlite3.Error:
            return None

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            return  # another checkpointer is at work or the file is gone: try next time
        self.checkpoints += 1


_RUNNING: weakref.WeakKeyDictionary[Engine, WalCheckpointer] = weakref.WeakKeyDictionary()


def attach(engine: Engine, path: str) -> None:
    """Start a checkpointer for ``engine``'s file; it stops when the engine is collected."""
    checkpointer = WalCheckpointer(path)
    event.listen(engine, "commit", lambda _conn: checkpointer.due())
    weakref.finalize(engine, checkpointer.stop)
    _RUNNING[engine] = checkpointer


def checkpointer_of(engine: Engine) -> WalCheckpointer | None:
    return _RUNNING.get(engine)

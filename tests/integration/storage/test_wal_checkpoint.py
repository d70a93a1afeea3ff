"""SQLite checkpoints run in the engine's own thread, not inside a request's commit."""

from __future__ import annotations

import gc
import time
from pathlib import Path

from sqlalchemy import Engine, text

from lpx.storage import checkpoint
from lpx.storage.db import make_engine

PAGE = 4096


def _wait_for_checkpoint(cp: checkpoint.WalCheckpointer, after: int) -> None:
    deadline = time.monotonic() + 10
    while cp.checkpoints <= after and time.monotonic() < deadline:
        time.sleep(0.01)
    assert cp.checkpoints > after, "the checkpoint thread did not run after a commit"


def _engine(path: Path) -> tuple[Engine, checkpoint.WalCheckpointer]:
    engine = make_engine(f"sqlite:///{path}")
    cp = checkpoint.checkpointer_of(engine)
    assert cp is not None
    return engine, cp


def test_commits_never_checkpoint_inline_below_the_backstop(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == (
            checkpoint.BACKSTOP_PAGES
        )
    engine.dispose()


def test_the_thread_keeps_the_log_from_growing(tmp_path: Path) -> None:
    """40 MB of writes, each followed by the thread's checkpoint: the log restarts from its
    beginning each time instead of growing to 40 MB (the backstop alone would allow 64)."""
    path = tmp_path / "hub.db"
    engine, cp = _engine(path)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB)"))
    blob = b"x" * (PAGE - 100)
    for batch in range(40):
        done = cp.checkpoints
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO filler (body) VALUES (:b)"),
                         [{"b": blob}] * 256)  # fmt: skip
        _wait_for_checkpoint(cp, done)
        assert path.with_name("hub.db-wal").stat().st_size < 8 * 1024 * 1024, batch
    engine.dispose()


def test_the_thread_stops_with_its_engine(tmp_path: Path) -> None:
    engine, cp = _engine(tmp_path / "hub.db")
    thread = cp._thread
    engine.dispose()
    del engine
    gc.collect()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_a_deleted_database_is_not_created_again(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    engine, cp = _engine(path)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        path.with_name("hub.db" + suffix).unlink(missing_ok=True)
    cp.due()
    time.sleep(4 * checkpoint.DELAY_S)
    assert not path.exists()

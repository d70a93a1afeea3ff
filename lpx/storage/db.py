"""Engines and migrations for SQLite (the embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import select
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from psycopg import pq
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError

from lpx.storage import checkpoint, pipeline

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        on_disk = bool(path) and path != ":memory:"
        if on_disk:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        if on_disk:
            checkpoint.attach(engine, path)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # Custom plans per execution: a plan cached while a table was small would otherwise
    # keep scanning it once it holds millions of rows. psycopg prepares no statements, and
    # the server plans each run of its own cached statements (foreign-key checks) afresh.
    # No JIT: case opening's batch statements (tens of thousands of index descents) are
    # costed far above its threshold, and compiling them took ~30 ms of a 250 ms lookup
    # that it never made faster (measured on 1M pointers); nothing the hub runs is a long
    # analytic query that JIT is for.
    engine = create_engine(url, pool_size=10, max_overflow=10, connect_args={
        "prepare_threshold": None,
        "options": "-c plan_cache_mode=force_custom_plan -c jit=off"})  # fmt: skip
    event.listen(engine, "checkout", _pg_alive)
    pipeline.watch_deferred(engine)
    return engine


def _pg_alive(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection the server has closed, without a round trip.

    ``pool_pre_ping`` sent a query on every checkout: one round trip of the five or so a
    search makes. An idle connection receives nothing unless the server ends it (a restart,
    ``pg_terminate_backend``, an idle timeout), and then it sends its reason and closes, so
    a readable socket means the connection is gone. The pool then connects afresh.
    """
    if dbapi_conn.closed or dbapi_conn.pgconn.status != pq.ConnStatus.OK:
        raise DisconnectionError("connection closed")
    poller = select.poll()
    poller.register(dbapi_conn.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
    if poller.poll(0):
        raise DisconnectionError("the server closed this idle connection")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA cache_size=-65536")
    cur.execute(f"PRAGMA wal_autocheckpoint={checkpoint.BACKSTOP_PAGES}")
    cur.close()


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to ``revision`` (every branch head by default: features add their
    migrations on branches from the last merged revision, merged later)."""
    command.upgrade(alembic_config(engine), revision)

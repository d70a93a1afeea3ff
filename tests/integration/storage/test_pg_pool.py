"""A pooled PostgreSQL connection that the server ended is replaced at checkout, though the
pool no longer pings the server on every checkout (a round trip per request)."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import Engine

from lpx.storage.db import make_engine


def test_a_connection_the_server_ended_is_replaced(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to end a connection")
    url = engine.url.render_as_string(hide_password=False)
    pooled = make_engine(url)
    try:
        with pooled.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            deadline = time.monotonic() + 5
            while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s",
                                (pid,)).fetchone() and time.monotonic() < deadline:  # fmt: skip
                time.sleep(0.01)
        with pooled.connect() as conn:
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid
    finally:
        pooled.dispose()


def test_hub_connections_plan_each_statement_and_never_compile_it(engine: Engine) -> None:
    """Every statement planned for its own parameters (a plan cached on a small table
    would keep scanning it once it is large), and none JIT-compiled: case opening's batch
    lookups are costed far above the JIT threshold, and compiling them cost a tenth of the
    lookup for nothing (lpx/storage/db.py)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no JIT and no plan cache mode to set")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
        assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"

"""The guard's reads before every search go by index (migration 0012), so a search does not
slow as the hub's inquiry history grows; the downgrade drops the indexes.

Each statement is the one the repository sends for a search (on SQLite captured as it runs;
on PostgreSQL the pipeline's batch), and its plan is read from the database. PostgreSQL plans
a small table by sequential scan whatever indexes it has, so there the scan is switched off:
the question is whether an index can serve the query.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from sqlalchemy import Connection, Engine, event, inspect

from lpx.storage.db import alembic_config, migrate
from lpx.storage.safeguard_repositories import EnumerationRepository, Screening, screen_batch

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
SINCE = NOW - timedelta(hours=24)
# A search's screening, with the once-a-minute purge of expired features.
SCREENING = Screening("CA", "clerk-1", 7, NOW, SINCE, [("u:CA:clerk-1:m", 0)],
                      ("d" * 32, "s" * 32, False), purge=True)
GUARD_INDEXES = {("inquiries", "ix_inquiries_user_created"),
                 ("enumeration_features", "ix_enumeration_features_at"),
                 ("enumeration_alerts", "ix_enumeration_alerts_credential")}  # fmt: skip


def _sent(conn: Connection) -> list[tuple[str, Any]]:
    """Every statement the screening sends, with its parameters (rolled back)."""
    if conn.dialect.name == "postgresql":
        return [(stmt.sql, stmt.params(params)) for stmt, params in screen_batch(SCREENING)]
    seen: list[tuple[str, Any]] = []

    def grab(_c: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    event.listen(conn, "before_cursor_execute", grab)
    try:
        EnumerationRepository(conn).screen(SCREENING)
    finally:
        event.remove(conn, "before_cursor_execute", grab)
    return seen


def _plan(engine: Engine) -> str:
    """The plans of every statement of the screening, one text."""
    lines: list[str] = []
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, params in _sent(conn):
            if conn.dialect.name == "sqlite":
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
                lines += [r[-1] for r in rows]
            else:
                lines += [r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, params)]
        conn.rollback()
    return "\n".join(lines)


def _assert_by_index(engine: Engine, table: str) -> None:
    plan = _plan(engine)
    if engine.dialect.name == "sqlite":
        reads = [line for line in plan.splitlines() if f" {table}" in line]
        assert reads, plan
        assert all(line.startswith(f"SEARCH {table} USING") for line in reads), plan
    else:
        assert f"Seq Scan on {table}" not in plan, plan
        assert f" on {table}" in plan, plan


def test_outcomes_read_the_users_inquiries_by_index(engine: Engine) -> None:
    _assert_by_index(engine, "inquiries")


def test_the_features_and_their_purge_go_by_index(engine: Engine) -> None:
    _assert_by_index(engine, "enumeration_features")


def test_the_throttle_check_reads_alerts_by_index(engine: Engine) -> None:
    _assert_by_index(engine, "enumeration_alerts")


def _indexes(engine: Engine) -> set[tuple[str, str]]:
    inspector = inspect(engine)
    return {(table, ix["name"]) for table, _ in GUARD_INDEXES
            for ix in inspector.get_indexes(table)} & GUARD_INDEXES  # fmt: skip


def test_upgrade_adds_the_guard_indexes_and_downgrade_drops_them(own_engine: Engine) -> None:
    migrate(own_engine)
    assert _indexes(own_engine) == GUARD_INDEXES
    command.downgrade(alembic_config(own_engine), "0011")
    assert _indexes(own_engine) == set()
    migrate(own_engine)
    assert _indexes(own_engine) == GUARD_INDEXES

"""The guard's reads before every search go by index (migration 0012), so a search does not
slow as the hub's inquiry history grows; the downgrade drops the indexes.

Each statement is the one the repository sends, captured as it runs, and its plan is read
from the database. PostgreSQL plans a small table by sequential scan whatever indexes it has,
so there the scan is switched off: the question is whether an index can serve the query.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from sqlalchemy import Connection, Engine, event, inspect

from lpx.storage.db import alembic_config, migrate
from lpx.storage.safeguard_repositories import EnumerationRepository

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
SINCE = NOW - timedelta(hours=24)
GUARD_INDEXES = {("inquiries", "ix_inquiries_user_created"),
                 ("enumeration_features", "ix_enumeration_features_at"),
                 ("enumeration_alerts", "ix_enumeration_alerts_credential")}  # fmt: skip


def _plan(conn: Connection, run: Callable[[EnumerationRepository], Any]) -> str:
    """The plan of every statement ``run`` sends, one text."""
    seen: list[tuple[str, Any]] = []

    def grab(_c: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    event.listen(conn, "before_cursor_execute", grab)
    try:
        run(EnumerationRepository(conn))
    finally:
        event.remove(conn, "before_cursor_execute", grab)
    lines: list[str] = []
    for statement, params in seen:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
            lines += [r[-1] for r in rows]
        else:
            lines += [r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, params)]
    return "\n".join(lines)


def _assert_by_index(engine: Engine, run: Callable[[EnumerationRepository], Any],
                     table: str) -> None:  # fmt: skip
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
        plan = _plan(conn, run)
        conn.rollback()
    if engine.dialect.name == "sqlite":
        reads = [line for line in plan.splitlines() if f" {table}" in line]
        assert reads, plan
        assert all(line.startswith(f"SEARCH {table} USING") for line in reads), plan
    else:
        assert f"Seq Scan on {table}" not in plan, plan


def test_outcomes_read_the_users_inquiries_by_index(engine: Engine) -> None:
    _assert_by_index(engine, lambda r: r.outcomes("CA", "clerk-1", SINCE), "inquiries")


def test_the_feature_purge_finds_expired_rows_by_index(engine: Engine) -> None:
    _assert_by_index(engine, lambda r: r.purge_features(SINCE), "enumeration_features")


def test_the_throttle_check_reads_alerts_by_index(engine: Engine) -> None:
    _assert_by_index(engine, lambda r: r.throttled_until("CA", "clerk-1", 7, NOW),
                     "enumeration_alerts")  # fmt: skip


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

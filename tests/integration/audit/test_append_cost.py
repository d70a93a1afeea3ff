"""An append costs the same however long the log is: it finds each touched jurisdiction's
last position with one step down the index, not by reading the jurisdiction's entries.

The work is counted by the database itself, inside the append's transaction: SQLite's
virtual-machine steps (a progress handler), PostgreSQL's tuples read on the table.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, insert, update

from lpx.audit.entries import Action, AuditEvent
from lpx.audit.repository import AuditRepository
from lpx.bootstrap import Hub
from lpx.storage import tables as t
from lpx.storage.pipeline import run_pipelined

EARLIER = 4000


def _earlier_entries(conn: Connection) -> None:
    """EARLIER entries touching CA only, as earlier appends would have left them."""
    conn.execute(insert(t.audit_entries), [
        {"seq": i, "time_us": i, "leaf_data": b"x", "leaf_hash": bytes(32)}
        for i in range(EARLIER)])  # fmt: skip
    conn.execute(insert(t.audit_entry_jurisdictions), [
        {"jurisdiction": "CA", "seq": i, "position": i} for i in range(EARLIER)])  # fmt: skip
    conn.execute(insert(t.audit_counters).values(name="append", value=EARLIER, time_us=EARLIER))


def _event() -> AuditEvent:
    return AuditEvent(actor_jurisdiction="NY", user_id="clerk-1", roles=("clerk",),
                      action=Action.INQUIRY_SEARCH, purpose="license_issuance",
                      jurisdictions=frozenset({"CA"}), result_count=1)  # fmt: skip


def _tuples_read_pg(conn: Connection) -> int:
    row = conn.exec_driver_sql(
        "SELECT coalesce(sum(seq_tup_read), 0) + coalesce(sum(idx_tup_fetch), 0) FROM "
        "pg_stat_xact_user_tables WHERE relname = 'audit_entry_jurisdictions'").one()  # fmt: skip
    index = conn.exec_driver_sql(
        "SELECT coalesce(sum(pg_stat_get_xact_tuples_returned(indexrelid)), 0) FROM pg_index "
        "WHERE indrelid = 'audit_entry_jurisdictions'::regclass").one()  # fmt: skip
    return int(row[0]) + int(index[0])


def test_append_work_does_not_grow_with_the_log(hub: Hub) -> None:
    with hub.engine.begin() as conn:
        _earlier_entries(conn)
    with hub.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
            before = _tuples_read_pg(conn)
            entry = AuditRepository(conn).append(_event(), EARLIER + 1)
            work = _tuples_read_pg(conn) - before
            # A few rows (14 seen once beside other tests' load), never the thousands before.
            assert work <= 40, f"the append read {work} audit jurisdiction rows"
        else:
            steps = [0]

            def count(*_: Any) -> int:
                steps[0] += 1
                return 0

            raw = conn.connection.driver_connection
            raw.set_progress_handler(count, 1)  # type: ignore[union-attr]
            try:
                entry = AuditRepository(conn).append(_event(), EARLIER + 1)
            finally:
                raw.set_progress_handler(None, 1)  # type: ignore[union-attr]
            # Reading CA's entries alone would take several steps per entry.
            assert steps[0] < EARLIER, f"the append took {steps[0]} SQLite VM steps"
    assert entry.seq == EARLIER
    assert entry.positions == {"CA": EARLIER, "NY": 0}


def test_the_foreign_key_check_keeps_to_the_index_as_the_log_grows(hub: Hub) -> None:
    """PostgreSQL checks each jurisdiction row's foreign key with a plan it caches per
    connection. After five runs it may settle on a generic plan; costed while the log was a
    few rows, that plan scans the entries table, and until the next ANALYZE every append
    then read the whole growing log (the search benchmark's commits slowed by a quarter of
    a millisecond per thousand inquiries). Custom plans (lpx/storage/db.py) keep it on the
    primary key."""
    if hub.engine.dialect.name != "postgresql":
        pytest.skip("SQLite checks foreign keys without cached plans")
    with hub.engine.connect() as conn:  # one connection throughout: its plans are cached
        conn.exec_driver_sql("ANALYZE audit_entries")  # statistics of an empty log
        conn.commit()
        for i in range(8):
            AuditRepository(conn).append(_event(), i)
            conn.commit()
        conn.execute(insert(t.audit_entries), [
            {"seq": i, "time_us": i, "leaf_data": b"x", "leaf_hash": bytes(32)}
            for i in range(8, EARLIER)])  # fmt: skip
        conn.execute(update(t.audit_counters).where(t.audit_counters.c.name == "append")
                     .values(value=EARLIER))  # fmt: skip
        conn.commit()
        before = _entry_scans(conn)
        AuditRepository(conn).append(_event(), EARLIER)
        run_pipelined(conn, [])  # send the deferred entry, and so its foreign-key checks
        scans = _entry_scans(conn) - before
        conn.rollback()
    assert scans == 0, "the foreign-key check scanned the audit log"


def _entry_scans(conn: Connection) -> int:
    """Sequential scans of the entries table this backend has not yet reported (the view
    holds earlier transactions' too, so callers take a difference)."""
    return int(conn.exec_driver_sql(
        "SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'audit_entries'"
    ).scalar_one())  # fmt: skip

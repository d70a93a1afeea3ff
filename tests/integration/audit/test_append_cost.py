"""An append costs the same however long the log is: it finds each touched jurisdiction's
last position with one step down the index, not by reading the jurisdiction's entries.

The work is counted by the database itself, inside the append's transaction: SQLite's
virtual-machine steps (a progress handler), PostgreSQL's tuples read on the table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert

from lpx.audit.entries import Action, AuditEvent
from lpx.audit.repository import AuditRepository
from lpx.bootstrap import Hub
from lpx.storage import tables as t

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

"""The search's candidate query reads the ``pointer_blocks`` index and the pointers' primary
key only: a full scan of ``pointers`` would make every inquiry cost the whole hub.

The plan is read from the database itself (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on
PostgreSQL) for the exact statement the repository sends: captured as it is executed on
SQLite, the repository's pipelined statement on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, event

from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub
from lpx.domain.blocking import hash_key, inquiry_keys
from lpx.domain.profile import MatchProfile
from lpx.domain.records import Card, CardType, Identity, PointerRecord, Status
from lpx.storage.repositories import _CANDIDATES_PG, PointerRepository

FIRST = ("William", "Maria", "James", "Ana", "Robert", "Linda", "Jose", "Mei")
LAST = ("Garcia", "Smith", "Nguyen", "Johnson", "Lopez", "Kim", "Brown", "Patel")


def _records(count: int) -> list[PointerRecord]:
    return [
        PointerRecord(
            jurisdiction="CA",
            record_id=f"D{i:07d}",
            identity=Identity(
                first_name=FIRST[i % 8],
                last_name=LAST[(i // 8) % 8],
                dob=date(1950 + i % 50, 1 + i % 12, 1 + i % 28),
            ),
            card=Card(CardType.DL, True, Status.ACTIVE),
        )
        for i in range(count)
    ]


@contextmanager
def _captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", grab)


def _candidate_statement(hub: Hub, conn: Connection) -> tuple[str, Any]:
    probe = MatchProfile.of(Identity(first_name="William", last_name="Garcia",
                                     dob=date(1950, 1, 1)))  # fmt: skip
    keys = sorted({hash_key(hub.settings.index_key(), k) for k in inquiry_keys(probe)})
    with _captured(hub.engine) as seen:
        rows = PointerRepository(conn).candidates(keys, 500, 8)
    assert rows, "the probe should find the pointer it was built from"
    if conn.dialect.name == "postgresql":  # sent by psycopg's pipeline, past SQLAlchemy
        return _CANDIDATES_PG.sql, {"keys": keys, "limit": 500, "lone": 8}
    [(statement, params)] = [(s, p) for s, p in seen if "pointer_blocks" in s]
    return statement, params


def test_candidate_query_reads_indexes_only(hub: Hub, engine: Engine) -> None:
    actor = Actor("CA", "loader", frozenset({Role.RECORDS}), 0)
    hub.pointers.upsert_batch(actor, _records(400))
    with engine.connect() as conn:
        statement, params = _candidate_statement(hub, conn)
        if engine.dialect.name == "sqlite":
            plan = [r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                        params)]  # fmt: skip
            text = "\n".join(plan)
            # Only the intermediate results (the hits and their groups) are scanned.
            assert not any(line.startswith(("SCAN pointer", "SCAN TABLE")) for line in plan), text
            assert any("SEARCH pointer_blocks USING PRIMARY KEY" in line for line in plan), text
            assert any("SEARCH pointers USING INTEGER PRIMARY KEY" in line for line in plan), text
        else:
            # With a few hundred rows the planner rightly prefers sequential scans; forbid
            # them (and whole-table hash joins) to see the path the planner takes at scale.
            conn.exec_driver_sql("ANALYZE pointers, pointer_blocks")
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL enable_hashjoin = off")
            conn.exec_driver_sql("SET LOCAL enable_mergejoin = off")
            plan = [r[0].strip() for r in conn.exec_driver_sql("EXPLAIN " + statement, params)]
            text = "\n".join(plan)
            assert "Seq Scan" not in text, text
            assert _indexed(plan, "pk_pointer_blocks", "block_key = ANY"), text
            assert _indexed(plan, "pk_pointers", "pk ="), text


def _indexed(plan: list[str], index: str, condition: str) -> bool:
    """The plan probes ``index`` with ``condition`` (a full index scan has no condition)."""
    for i, line in enumerate(plan):
        if f"using {index} on" in line.lower() or f"on {index} " in line or line.endswith(
            f"on {index}"
        ):
            follow = plan[i + 1 : i + 3]
            if any(f.startswith("Index Cond:") and condition in f for f in follow):
                return True
    return False

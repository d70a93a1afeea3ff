"""Case opening looks up a whole batch's blocking keys (~40k per 1000 pointers) at once. The
lookup must probe the ``pointer_blocks`` index key by key: a scan of the table would make
every batch of a bulk load cost the whole hub (it did: ``block_key = ANY(array)`` with that
many keys was planned as a parallel sequential scan of ~20 rows per stored pointer).

The plan is read from the database with its statistics up to date, for the very statement
the repository sends (as ``= ANY(array)``, PostgreSQL 15 planned these 600 pointers and ~31k
keys as a sequential scan; as a join on the key array, as a hash join over the whole index).
"""

from __future__ import annotations

import dataclasses
import random
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, event

from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub
from lpx.domain.blocking import pointer_keys
from lpx.domain.profile import MatchProfile
from lpx.domain.records import Card, CardType, Identity, PointerRecord, Status
from lpx.storage.repositories import int_array
from lpx.storage.uow import UnitOfWork
from lpx.storage.workflow_repositories import BLOCK_SIZES_PG, KEYS_OF_PG, SHARED_PG

FIRST = ("William", "Maria", "James", "Ana", "Robert", "Linda", "Jose", "Mei")
LAST = ("Garcia", "Smith", "Nguyen", "Johnson", "Lopez", "Kim", "Brown", "Patel")


def _records(count: int) -> list[PointerRecord]:
    return [
        PointerRecord(
            jurisdiction="CA", record_id=f"D{i:07d}",
            identity=Identity(first_name=FIRST[i % 8], last_name=LAST[(i // 8) % 8],
                              dob=date(1950 + i % 50, 1 + i % 12, 1 + i % 28)),
            card=Card(CardType.DL, True, Status.ACTIVE),
        )
        for i in range(count)
    ]  # fmt: skip


def _batch_keys(hub: Hub, records: list[PointerRecord]) -> list[int]:
    """A batch-sized key list: every stored key plus as many keys that find nothing (most of
    a real batch's keys miss)."""
    stored = {k for r in records for k in hub.pointers._hash_keys(
        pointer_keys(MatchProfile.of(r.identity)))}  # fmt: skip
    rng = random.Random(4)
    misses = {rng.randrange(-(2**63), 2**63) for _ in range(30_000)}
    return sorted(stored | misses)


def _stored(hub: Hub) -> tuple[list[PointerRecord], list[int]]:
    """600 of CA's pointers, written in two batches, and a batch-sized key list for them."""
    actor = Actor("CA", "loader", frozenset({Role.RECORDS}), 0)
    records = _records(600)
    hub.pointers.cases = None
    hub.pointers.upsert_batch(actor, records[:300])
    hub.pointers.upsert_batch(actor, records[300:])
    return records, _batch_keys(hub, records)


def test_batch_lookup_probes_the_index_key_by_key(hub: Hub, engine: Engine) -> None:
    records, keys = _stored(hub)
    with UnitOfWork(engine) as uow:
        # One probe holding every key: all 600 pointers share two keys or more with it.
        [hits], found = uow.matches.shared([keys], 0)
        assert {found[pk].record_id for pk in hits} == {r.record_id for r in records}
        if engine.dialect.name == "sqlite":
            [(statement, params)] = [(
                "SELECT block_key, pointer_pk FROM pointer_blocks WHERE block_key IN "
                f"({', '.join('?' * 500)})", tuple(keys[:500]))]  # fmt: skip
            plan = [r[-1] for r in uow.conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                            params)]  # fmt: skip
            assert any("SEARCH pointer_blocks USING" in line for line in plan), plan
            assert not any(line.startswith("SCAN pointer_blocks") for line in plan), plan
            return
        uow.conn.exec_driver_sql("ANALYZE pointers, pointer_blocks")
        # As a batch sends them: ~40 keys for each of 1000 probes.
        owners = [i % 1000 for i in range(len(keys))]
        with uow.conn.connection.driver_connection.cursor() as cur:  # type: ignore[union-attr]
            cur.execute("EXPLAIN " + SHARED_PG, (int_array(keys), int_array(owners), 2))
            plan = [r[0].strip() for r in cur.fetchall()]
    text = "\n".join(plan)
    assert "Seq Scan" not in text, text
    assert any("Index" in line and "pointer_blocks" in line for line in plan), text
    assert "Join" not in text, text  # a nested loop: one descent per key
    assert any(line.startswith("Index Cond: (block_key = u.block_key)") for line in plan), text
    # ...descending in key order: the keys sorted before the loop that descends them.
    loop = next(i for i, line in enumerate(plan) if "Nested Loop" in line)
    assert plan[loop + 1].startswith("->  Sort"), text
    assert plan[loop + 2] == "Sort Key: u.block_key", text


def test_catch_up_reads_recent_pointers_by_their_index(hub: Hub, engine: Engine) -> None:
    """Case opening's catch-up (``MatchLookup.among``) reads the keys of the few pointers
    committed since its lookup through the pointer_pk index, and counts a lone key's block
    through the primary key, never scanning the table."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads these with IN lists over its own indexes (checked above)")
    _, keys = _stored(hub)
    with UnitOfWork(engine) as uow:
        uow.conn.exec_driver_sql("ANALYZE pointers, pointer_blocks")
        pks = list(uow.conn.exec_driver_sql("SELECT pk FROM pointers").scalars())[:300]
        [hits], _ = uow.matches.among([keys], pks, 0)
        assert sorted(hits) == sorted(pks)
        plans = []
        with uow.conn.connection.driver_connection.cursor() as cur:  # type: ignore[union-attr]
            for statement, params in ((KEYS_OF_PG, (int_array(pks), int_array(keys))),
                                      (BLOCK_SIZES_PG, (3, int_array(keys)))):  # fmt: skip
                cur.execute("EXPLAIN " + statement, params)
                plans.append("\n".join(r[0].strip() for r in cur.fetchall()))
    keys_of, sizes = plans
    assert "Seq Scan" not in keys_of + sizes, plans
    assert "Index Cond: (pointer_pk = q.pk)" in keys_of, keys_of
    assert "Index Only Scan using pk_pointer_blocks" in sizes, sizes


def test_a_new_states_record_ids_are_looked_up_one_by_one(hub: Hub, engine: Engine) -> None:
    """A state's first upload writes into a table whose statistics know none of its rows:
    the batch's record ids must still each be one descent of the (jurisdiction, record_id)
    key, not a filter over every pointer the state's earlier batches wrote. The plan is
    read for the statement ``by_records`` sends."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's IN list is a search of its unique index either way")
    _stored(hub)  # CA's pointers
    ny = Actor("NY", "loader", frozenset({Role.RECORDS}), 0)
    records = [dataclasses.replace(r, jurisdiction="NY") for r in _records(600)]
    with UnitOfWork(engine) as uow:
        uow.conn.exec_driver_sql("ANALYZE pointers")  # NY holds nothing yet
        uow.commit()
    hub.pointers.upsert_batch(ny, records[:300])  # written after the statistics
    wanted = [r.record_id for r in records[250:]]  # 50 stored, 300 not yet
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        sent.append((statement, params))

    with UnitOfWork(engine) as uow:
        event.listen(engine, "before_cursor_execute", capture)
        try:
            found = uow.pointers.by_records("NY", wanted)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        assert sorted(found) == wanted[:50]
        assert {p.jurisdiction for p in found.values()} == {"NY"}
        [(statement, params)] = sent
        plan = [r[0].strip() for r in uow.conn.exec_driver_sql("EXPLAIN " + statement, params)]
    text = "\n".join(plan)
    assert "Seq Scan" not in text, text
    assert any(line.startswith("Index Cond:") and "record_id" in line for line in plan), text
    assert not any(line.startswith("Filter:") for line in plan), text

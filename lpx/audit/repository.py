"""Audit log storage (SQLAlchemy Core) on the caller's connection and transaction.

Appending updates the ``append`` counter row first. That row lock (PostgreSQL) or the write
lock (SQLite) is held until the caller commits, so sequence numbers are gapless and commit
in order: a sealer that reads size n knows every entry below n is committed. Call
``append`` as the last step before commit, to hold the lock briefly.

Every search inquiry appends, so on PostgreSQL an append costs one round trip, not five:
the counter bump and the read of the last per-jurisdiction positions go in one psycopg
pipeline (still two statements, so the read takes its snapshot after the bump holds the
lock), with any writes the caller deferred; the entry and its jurisdiction rows, one
statement (a data-modifying CTE), are deferred in turn and go with the commit
(lpx/storage/pipeline.py), which sends them and COMMIT together. An entry that cannot be
written fails that commit, so nothing of the request is kept.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, case, func, insert, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from lpx.audit.entries import AuditEntry, AuditEvent
from lpx.audit.merkle import Node, leaf_hash
from lpx.audit.signing import TreeHead
from lpx.storage import tables as t
from lpx.storage.pipeline import PgStatement, defer, run_pipelined

_CHUNK = 500
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StoredEntry:
    seq: int
    leaf_data: bytes
    leaf_hash: bytes


def _chunks(items: Iterable[T], n: int = _CHUNK) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, n)):
        yield chunk


def _head(row: Any) -> TreeHead:
    size, root, time_us, signature = row
    return TreeHead(int(size), bytes(root), int(time_us), bytes(signature))


def _bump_statement(dialect: Any) -> Any:
    c = t.audit_counters.c
    stmt = dialect.insert(t.audit_counters).values(
        name=bindparam("name"), value=1, time_us=bindparam("now")
    )
    return stmt.on_conflict_do_update(
        index_elements=[c.name],
        set_={"value": c.value + 1,
              "time_us": case((c.time_us > stmt.excluded.time_us, c.time_us),
                              else_=stmt.excluded.time_us)},
    ).returning(c.value, c.time_us)  # fmt: skip


# Built once: constructing Core statements per append cost more than running them.
_BUMP = {False: _bump_statement(sqlite), True: _bump_statement(postgresql)}
_J = t.audit_entry_jurisdictions.c


@functools.cache
def _last_positions(n_codes: int) -> Any:
    """One row: the last position of each of ``n_codes`` jurisdictions (NULL if none yet).

    One ``max`` per jurisdiction, each a single step down the (jurisdiction, position)
    index. ``max ... WHERE jurisdiction IN (...) GROUP BY`` read every entry of the
    jurisdictions instead: an append slowed as the log grew (16 ms at 100,000 entries).
    """
    return select(*(
        select(func.max(_J.position)).where(_J.jurisdiction == bindparam(f"c{i}"))
        .scalar_subquery() for i in range(n_codes)))  # fmt: skip


_INSERT_ENTRY = insert(t.audit_entries)
_INSERT_JURISDICTIONS = insert(t.audit_entry_jurisdictions)

# PostgreSQL's append, sent on the driver connection under the caller's transaction. The
# same statements as above (GREATEST is the CASE of ``_bump_statement``: both columns are
# NOT NULL), written out because SQLAlchemy cannot drive a psycopg pipeline.
_PG_BUMP = PgStatement(
    "INSERT INTO audit_counters (name, value, time_us) VALUES (%(name)s, 1, %(now)s) "
    "ON CONFLICT (name) DO UPDATE SET value = audit_counters.value + 1, "
    "time_us = GREATEST(audit_counters.time_us, excluded.time_us) "
    "RETURNING value, time_us"
)
_PG_LAST_POSITIONS = PgStatement(
    "SELECT code, (SELECT max(position) FROM audit_entry_jurisdictions "
    "WHERE jurisdiction = code) FROM unnest(%(codes)s::varchar[]) AS code"
)
# The foreign key from the jurisdiction rows to the entry is checked at the end of the
# statement, when the CTE's entry row exists.
_PG_INSERT_ENTRY = PgStatement(
    "WITH entry AS (INSERT INTO audit_entries (seq, time_us, leaf_data, leaf_hash) "
    "VALUES (%(seq)s, %(time_us)s, %(leaf_data)s, %(leaf_hash)s)) "
    "INSERT INTO audit_entry_jurisdictions (jurisdiction, seq, position) "
    "SELECT code, %(seq)s, position "
    "FROM unnest(%(codes)s::varchar[], %(positions)s::bigint[]) AS j(code, position)"
)


class AuditRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _bump(self, name: str, now_us: int) -> tuple[int, int]:
        """Increment counter ``name``, keep the latest time; lock the row until commit."""
        stmt = _BUMP[self.conn.dialect.name == "postgresql"]
        value, time_us = self.conn.execute(stmt, {"name": name, "now": now_us}).one()
        return int(value), int(time_us)

    def append(self, event: AuditEvent, now_us: int) -> AuditEntry:
        """Add one entry; its time is never before the previous entry's (clock steps back)."""
        event.validate()
        touched = event.touched()
        if self.conn.dialect.name == "postgresql":
            return self._append_pg(event, touched, now_us)
        size, time_us = self._bump("append", now_us)
        codes = list(touched)
        params = {f"c{i}": code for i, code in enumerate(codes)}
        found = self.conn.execute(_last_positions(len(codes)), params).one()
        last = dict(zip(codes, found, strict=True))
        entry = self._entry(event, touched, size, time_us, last)
        data = entry.leaf()
        self.conn.execute(
            _INSERT_ENTRY,
            {"seq": entry.seq, "time_us": time_us, "leaf_data": data, "leaf_hash": leaf_hash(data)},
        )
        self.conn.execute(_INSERT_JURISDICTIONS,
                          [{"jurisdiction": code, "seq": entry.seq, "position": pos}
                           for code, pos in entry.positions.items()])  # fmt: skip
        return entry

    @staticmethod
    def _entry(event: AuditEvent, touched: Iterable[str], size: int, time_us: int,
               last: dict[str, Any]) -> AuditEntry:  # fmt: skip
        """The entry at ``size - 1``: each touched jurisdiction's next position."""
        positions = {code: 0 if last.get(code) is None else int(last[code]) + 1
                     for code in touched}  # fmt: skip
        event = replace(event, jurisdictions=frozenset(positions))
        return AuditEntry(size - 1, int(time_us), event, positions)

    def _append_pg(self, event: AuditEvent, touched: Iterable[str], now_us: int) -> AuditEntry:
        """:meth:`append` in one round trip of its own (see the module docstring). A driver
        error is raised as SQLAlchemy's, so the audit log still fails closed on it."""
        codes = list(touched)
        bumped, found = run_pipelined(self.conn, [
            (_PG_BUMP, {"name": "append", "now": now_us}),
            (_PG_LAST_POSITIONS, {"codes": codes})])  # fmt: skip
        size, time_us = bumped[0]
        entry = self._entry(event, codes, int(size), int(time_us), dict(found))
        data = entry.leaf()
        defer(self.conn, _PG_INSERT_ENTRY, {
            "seq": entry.seq, "time_us": entry.time_us, "leaf_data": data,
            "leaf_hash": leaf_hash(data), "codes": list(entry.positions),
            "positions": list(entry.positions.values())})  # fmt: skip
        return entry

    def size(self) -> tuple[int, int]:
        """(entries in the log, time of the latest) as committed."""
        row = self.conn.execute(
            select(t.audit_counters.c.value, t.audit_counters.c.time_us)
            .where(t.audit_counters.c.name == "append")
        ).first()  # fmt: skip
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def lock_sealing(self, now_us: int) -> None:
        """Serialize sealers (row lock on PostgreSQL, the write lock on SQLite)."""
        self._bump("seal", now_us)

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        rows = self.conn.execute(
            select(t.audit_entries.c.seq, t.audit_entries.c.leaf_hash)
            .where(t.audit_entries.c.seq >= start, t.audit_entries.c.seq < end)
            .order_by(t.audit_entries.c.seq)
        ).all()  # fmt: skip
        if [r[0] for r in rows] != list(range(start, end)):
            raise RuntimeError(f"audit entries {start}..{end - 1} are not all present")
        return [bytes(r[1]) for r in rows]

    def node_hashes(self, nodes: Iterable[Node]) -> dict[Node, bytes]:
        """Perfect-subtree hashes: level 0 from the entries, higher levels from the nodes."""
        wanted = set(nodes)
        found: dict[Node, bytes] = {}
        e, n = t.audit_entries.c, t.audit_tree_nodes.c
        for chunk in _chunks(sorted(i for lvl, i in wanted if lvl == 0)):
            for seq, h in self.conn.execute(select(e.seq, e.leaf_hash).where(e.seq.in_(chunk))):
                found[(0, int(seq))] = bytes(h)
        for pairs in _chunks(sorted(node for node in wanted if node[0] > 0)):
            rows = self.conn.execute(
                select(n.level, n.idx, n.hash).where(tuple_(n.level, n.idx).in_(pairs))
            )
            for level, idx, h in rows:
                found[(int(level), int(idx))] = bytes(h)
        if missing := wanted - found.keys():
            raise LookupError(f"{len(missing)} tree nodes are missing (first: {min(missing)})")
        return found

    def add_nodes(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        rows = [{"level": lvl, "idx": i, "hash": h} for lvl, i, h in nodes]
        for chunk in _chunks(rows):
            self.conn.execute(insert(t.audit_tree_nodes), chunk)

    def add_head(self, head: TreeHead) -> None:
        self.conn.execute(insert(t.audit_tree_heads).values(
            size=head.size, root_hash=head.root_hash, time_us=head.time_us,
            signature=head.signature))  # fmt: skip

    def _heads(self) -> Any:
        h = t.audit_tree_heads.c
        return select(h.size, h.root_hash, h.time_us, h.signature)

    def latest_head(self) -> TreeHead | None:
        h = t.audit_tree_heads.c
        row = self.conn.execute(self._heads().order_by(h.size.desc()).limit(1)).first()
        return _head(row) if row else None

    def head(self, size: int) -> TreeHead | None:
        row = self.conn.execute(self._heads().where(t.audit_tree_heads.c.size == size)).first()
        return _head(row) if row else None

    def feed(self, jurisdiction: str, after: int, below: int, limit: int) -> list[StoredEntry]:
        """Entries touching ``jurisdiction`` with after < seq < below, in sequence order."""
        e, j = t.audit_entries.c, t.audit_entry_jurisdictions.c
        rows = self.conn.execute(
            select(e.seq, e.leaf_data, e.leaf_hash)
            .join_from(t.audit_entry_jurisdictions, t.audit_entries, j.seq == e.seq)
            .where(j.jurisdiction == jurisdiction, j.seq > after, j.seq < below)
            .order_by(j.seq)
            .limit(limit)
        )  # fmt: skip
        return [StoredEntry(int(s), bytes(d), bytes(h)) for s, d, h in rows]

"""Repositories of the state-to-state workflows (cases, transfers, notifications, withdrawal).

Like lpx/storage/repositories.py they work on the unit of work's connection, so a workflow
step and its audit entry commit together. Rows come back as small frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)

from lpx.storage import tables as t
from lpx.storage import workflow_tables as w
from lpx.storage.repositories import PointerRow, int_array, utcnow

KEY_CHUNK = 4000  # bound parameters per IN list (SQLite allows 32766)


# Epochs of match_writes kept: a writer whose lookup ran more than this many case-opening
# commits before it took the lock looks again in full (``MatchLookup.since`` says so).
EPOCHS_KEPT = 64


def _chunks(items: Sequence[Any], size: int = KEY_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _pg_rows(conn: Connection, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """PostgreSQL: one statement on the unit of work's own DBAPI connection, its array
    parameters bound as one value each rather than as IN lists of thousands."""
    with conn.connection.driver_connection.cursor() as cur:  # type: ignore[union-attr]
        cur.execute(statement, params)
        return cur.fetchall() if cur.description else []


def _kept(probes: Sequence[Sequence[int]], by_key: dict[int, list[int]],
          small: set[int]) -> list[list[int]]:  # fmt: skip
    """The lone-key rule counted in Python: per probe, the pointers (of ``by_key``'s blocks)
    sharing two of its keys or more, or one key whose block is ``small`` (at most the
    limit). SHARED_PG applies the same rule in PostgreSQL."""
    hits: list[list[int]] = []
    for ks in probes:
        shared: dict[int, int] = {}
        lone_ok: set[int] = set()
        for k in set(ks):
            for pk in by_key.get(k, ()):
                shared[pk] = shared.get(pk, 0) + 1
                if k in small:
                    lone_ok.add(pk)
        hits.append([pk for pk, n in shared.items() if n > 1 or pk in lone_ok])
    return hits


def _insert_rows(conn: Connection, table: Any, columns: Sequence[str],
                 rows: Sequence[Sequence[Any]]) -> None:  # fmt: skip
    """Insert many rows in the unit of work's transaction: COPY on PostgreSQL, where a bulk
    load's batch opens hundreds of cases, events and notifications at once and an INSERT
    spent most of its time building and parsing the statement; executemany on SQLite."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])


@dataclass(frozen=True, slots=True)
class MatchCandidate:
    """A stored pointer found under a probe's blocking keys, with what case opening needs."""

    pointer_id: str
    jurisdiction: str
    record_id: str
    real_id: bool
    status: str
    identity: str
    pk: int
    version: int  # bumped by every rewrite of the pointer (a change or a re-seal)


class MatchLookup:
    """Candidate lookup for many probes at once: one index scan per chunk of keys, not one
    query per pointer, so a 1000-pointer batch costs a few statements."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def epoch(self) -> int:
        """The last committed case-opening epoch: read it before looking for candidates, and
        :meth:`since` names what committed after the look."""
        e = w.match_epoch.c
        return int(self.conn.execute(select(func.coalesce(func.max(e.value), 0))).scalar_one())

    def exclusive(self, written: Sequence[int]) -> int:
        """Take the case-opening lock and the next epoch, listing the pointers ``written``
        (pks) under it; returns the epoch before (the last committed one).

        Two writers whose pointers are the same person, each looking before the other
        commits, would each miss the other's uncommitted rows. The lock is the row lock of
        ``match_epoch``, held to commit, so the writer that takes it second looks through
        :meth:`since` at everything committed after its own look, the first writer's
        pointers among them. On SQLite the write lock already keeps a second writer out.
        """
        new = int(self.conn.execute(text(
            "INSERT INTO match_epoch (id, value) VALUES (1, 1) ON CONFLICT (id) "
            "DO UPDATE SET value = match_epoch.value + 1 RETURNING value")).scalar_one())
        _insert_rows(self.conn, w.match_writes, ("epoch", "pointer_pk"),
                     [(new, pk) for pk in sorted(set(written))])
        self.conn.execute(delete(w.match_writes).where(w.match_writes.c.epoch <= new - EPOCHS_KEPT))
        return new - 1

    def since(self, looked: int, last: int) -> list[int] | None:
        """Pks of the pointers written by case-opening writes that committed after epoch
        ``looked`` and up to ``last``; None when epochs that old are pruned (look again)."""
        if last - looked >= EPOCHS_KEPT:
            return None
        m = w.match_writes.c
        return sorted({pk for (pk,) in self.conn.execute(
            select(m.pointer_pk).where(m.epoch > looked, m.epoch <= last))})  # fmt: skip

    def among(self, probes: Sequence[Sequence[int]], pks: Sequence[int], lone: int
              ) -> tuple[list[list[int]], dict[int, MatchCandidate]]:  # fmt: skip
        """:meth:`shared` restricted to the pointers ``pks``: their keys are read and matched
        against the probes' here, so a few recent pointers cost a few statements rather than
        one index descent per probe key."""
        if not pks:
            return [[] for _ in probes], {}
        by_key: dict[int, list[int]] = {}
        for key, pk in self._keys_of(sorted(set(pks)), sorted({k for ks in probes for k in ks})):
            by_key.setdefault(key, []).append(pk)
        sizes = self._block_sizes(sorted(by_key), lone + 1)
        hits = _kept(probes, by_key, {k for k, n in sizes.items() if n <= lone})
        return hits, self._pointers(sorted({pk for h in hits for pk in h}))

    def _keys_of(self, pks: Sequence[int], keys: Sequence[int]) -> list[tuple[int, int]]:
        """The (key, pk) rows of the pointers ``pks`` under any of ``keys``: PostgreSQL
        filters them itself (a batch's ~20k key rows hold a few hundred shared ones)."""
        if self.conn.dialect.name == "postgresql":
            rows = _pg_rows(self.conn, KEYS_OF_PG, (int_array(pks), int_array(keys)))
            return [(int(k), int(pk)) for k, pk in rows]
        wanted, b = set(keys), t.pointer_blocks.c
        return [(k, pk) for chunk in _chunks(list(pks))
                for k, pk in self.conn.execute(select(b.block_key, b.pointer_pk)
                                               .where(b.pointer_pk.in_(chunk)))
                if k in wanted]  # fmt: skip

    def versions(self, pks: Sequence[int]) -> dict[int, int]:
        """The version of each of the pointers ``pks`` now (a deleted one is missing): every
        rewrite bumps it, so it tells whether a pointer found earlier is still as it was."""
        p, ids = t.pointers.c, sorted(set(pks))
        if self.conn.dialect.name == "postgresql":
            rows = _pg_rows(self.conn, "SELECT pk, version FROM pointers "
                            "WHERE pk = ANY(%s::bigint[])", (int_array(ids),))  # fmt: skip
        else:
            rows = [tuple(r) for chunk in _chunks(ids) for r in self.conn.execute(
                select(p.pk, p.version).where(p.pk.in_(chunk)))]  # fmt: skip
        return {int(pk): int(v) for pk, v in rows}

    def _block_sizes(self, keys: Sequence[int], cap: int) -> dict[int, int]:
        """How many pointers each key's block holds, counted up to ``cap``."""
        if not keys:
            return {}
        if self.conn.dialect.name == "postgresql":
            return {int(k): int(n) for k, n in _pg_rows(self.conn, BLOCK_SIZES_PG,
                                                        (cap, int_array(keys)))}  # fmt: skip
        b = t.pointer_blocks.c
        sizes: dict[int, int] = {}
        for chunk in _chunks(list(keys)):
            sizes.update((k, int(n)) for k, n in self.conn.execute(
                select(b.block_key, func.count()).where(b.block_key.in_(chunk))
                .group_by(b.block_key)))  # fmt: skip
        return sizes

    def shared(self, probes: Sequence[Sequence[int]], lone: int,
               own: Sequence[int] | None = None
               ) -> tuple[list[list[int]], dict[int, MatchCandidate]]:  # fmt: skip
        """For each probe (its block keys), the pks of the stored pointers sharing two of its
        keys or more, or one key whose block holds at most ``lone`` pointers (the rule of
        ``PointerRepository.candidates``); and those pointers by pk. ``own`` gives each
        probe's own pointer when it is stored: counted in its blocks but left out of its
        hits, so a batch does not fetch its own thousand rows (a sixth of what it read)."""
        if self.conn.dialect.name == "postgresql":
            hits = self._shared_pg(probes, lone)
        else:
            hits = self._shared_counted(probes, lone)
        if own is not None:
            hits = [[pk for pk in pks if pk != mine] for pks, mine in zip(hits, own, strict=True)]
        return hits, self._pointers(sorted({pk for pks in hits for pk in pks}))

    def _shared_pg(self, probes: Sequence[Sequence[int]], lone: int) -> list[list[int]]:
        """PostgreSQL counts the shared keys itself: a 1000-pointer batch probes ~40k keys
        and finds ~25k (key, pointer) rows, most of them lone hits in crowded blocks that
        the rule drops; sending back only the pairs it keeps spared the load fetching and
        counting them in Python (a fifth of case opening's time at 200k pointers)."""
        keys = [k for ks in probes for k in ks]
        owner = [i for i, ks in enumerate(probes) for _ in ks]
        hits: list[list[int]] = [[] for _ in probes]
        if not keys:
            return hits
        for probe, pk in _pg_rows(self.conn, SHARED_PG, (int_array(keys), int_array(owner), lone)):
            hits[probe].append(pk)
        return hits

    def _shared_counted(self, probes: Sequence[Sequence[int]], lone: int) -> list[list[int]]:
        """SQLite: the key rows in IN-list chunks, counted here."""
        by_key: dict[int, list[int]] = {}
        b = t.pointer_blocks.c
        for chunk in _chunks(sorted({k for ks in probes for k in ks})):
            for key, pk in self.conn.execute(select(b.block_key, b.pointer_pk)
                                             .where(b.block_key.in_(chunk))):  # fmt: skip
                by_key.setdefault(key, []).append(pk)
        return _kept(probes, by_key, {k for k, pks in by_key.items() if len(pks) <= lone})

    def _pointers(self, pks: list[int]) -> dict[int, MatchCandidate]:
        p = t.pointers.c
        found: dict[int, MatchCandidate] = {}
        if not pks:
            return found
        if self.conn.dialect.name == "postgresql":  # one array parameter, not IN chunks
            rows = _pg_rows(self.conn, "SELECT pk, pointer_id, jurisdiction, record_id, real_id, "
                            "status, identity, version FROM pointers "
                            "WHERE pk = ANY(%s::bigint[])", (int_array(pks),))  # fmt: skip
        else:
            rows = [tuple(r) for chunk in _chunks(pks) for r in self.conn.execute(
                select(p.pk, p.pointer_id, p.jurisdiction, p.record_id, p.real_id, p.status,
                       p.identity, p.version).where(p.pk.in_(chunk)))]  # fmt: skip
        for pk, pointer_id, jurisdiction, record_id, real_id, status, identity, version in rows:
            found[pk] = MatchCandidate(pointer_id, jurisdiction, record_id, bool(real_id),
                                       status, identity, pk, version)  # fmt: skip
        return found


# One index probe per key, whatever the statistics say. With ~40k keys per batch the planner
# costs the probes above reading the table: at 200k pointers ``block_key = ANY(array)`` was
# a parallel sequential scan of all of pointer_blocks (~20 rows per pointer) for every batch,
# 0.4 s a batch and growing with the hub, and a join on the key array a hash join over the
# whole index. ``OFFSET 0`` keeps the lateral subquery from being flattened into a join, so
# each (key, probe) row of the arrays is one index-only descent of the primary key
# (tests/integration/storage/test_batch_lookup_plan.py). The keys are descended in key order:
# consecutive descents then share the upper pages and neighbouring leaves in the CPU's cache
# and, when the index has outgrown shared buffers, read its pages in file order (at 5M
# pointers, a batch's ~33k keys took 140-155 ms sorted against 175 ms as they came; sorted
# by the server, which costs the hub's Python nothing). The window counts a key's block,
# the probe's own pointer included, as a search counts it.
SHARED_PG = """
SELECT probe, pointer_pk FROM (
    SELECT q.probe, b.pointer_pk,
           count(*) OVER (PARTITION BY q.probe, q.block_key) AS block_size
    FROM (SELECT * FROM unnest(%s::bigint[], %s::int[]) AS u(block_key, probe)
          ORDER BY block_key OFFSET 0) AS q
    CROSS JOIN LATERAL (SELECT pointer_pk FROM pointer_blocks
                        WHERE block_key = q.block_key OFFSET 0) b
) hits
GROUP BY probe, pointer_pk
HAVING count(*) > 1 OR min(block_size) <= %s
"""


# The keys of a few pointers (a catch-up's ~1000), filtered to the probes' keys: one descent
# of the pointer_pk index per pointer, forced as in SHARED_PG, whatever the statistics say.
KEYS_OF_PG = """
SELECT b.block_key, q.pk
FROM unnest(%s::bigint[]) AS q(pk)
CROSS JOIN LATERAL (SELECT block_key FROM pointer_blocks WHERE pointer_pk = q.pk OFFSET 0) b
WHERE b.block_key = ANY(%s::bigint[])
"""

# A key's block size, counted no further than the rule needs (a crowded block holds
# thousands): one index descent per key.
BLOCK_SIZES_PG = """
SELECT k, (SELECT count(*) FROM (SELECT 1 FROM pointer_blocks WHERE block_key = k
                                 LIMIT %s) s)
FROM unnest(%s::bigint[]) AS k
"""


@dataclass(frozen=True, slots=True)
class CaseRow:
    case_id: str
    pair_key: str
    identity_fp: str
    pointer_a: str
    jurisdiction_a: str
    record_id_a: str
    pointer_b: str
    jurisdiction_b: str
    record_id_b: str
    weight: float
    match_class: str
    evidence: str
    real_id_conflict: bool
    status: str
    opened_at: datetime
    updated_at: datetime


_CASE_FIELDS = tuple(CaseRow.__dataclass_fields__)
_case_values = attrgetter(*_CASE_FIELDS)  # a row's values in column order, for COPY


@dataclass(frozen=True, slots=True)
class CaseEventRow:
    from_status: str | None
    to_status: str
    jurisdiction: str
    user_id: str
    at: datetime


def _utc(value: Any) -> Any:
    """SQLite hands back naive datetimes; every time here is UTC, so say so."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True, slots=True)
class QueuePosition:
    """Where a page of a state's case queue ended (the last case it held)."""

    real_id_conflict: bool
    opened_at: datetime
    case_id: str


def _case(row: Any) -> CaseRow:
    m = row._mapping
    return CaseRow(**{f: _utc(m[f]) for f in CaseRow.__dataclass_fields__})


class CaseRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def by_pairs(self, pair_keys: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        """pair key -> [(status, identity fingerprint)] of every case raised for the pair."""
        out: dict[str, list[tuple[str, str]]] = {}
        if self.conn.dialect.name == "postgresql" and pair_keys:
            # One short statement with an array (a load asks for ~400 pairs per batch).
            for key, status, fp in _pg_rows(self.conn, "SELECT pair_key, status, identity_fp "
                                            "FROM cases WHERE pair_key = ANY(%s)",
                                            (sorted(set(pair_keys)),)):  # fmt: skip
                out.setdefault(key, []).append((status, fp))
            return out
        for chunk in _chunks(sorted(set(pair_keys))):
            rows = self.conn.execute(
                select(w.cases.c.pair_key, w.cases.c.status, w.cases.c.identity_fp)
                .where(w.cases.c.pair_key.in_(chunk))
            )  # fmt: skip
            for key, status, fp in rows:
                out.setdefault(key, []).append((status, fp))
        return out

    def add_many(self, rows: Sequence[CaseRow]) -> None:
        _insert_rows(self.conn, w.cases, _CASE_FIELDS, [_case_values(r) for r in rows])

    def add_events(self, case_ids: Sequence[str], from_status: str | None, to_status: str,
                   jurisdiction: str, user_id: str, at: datetime) -> None:  # fmt: skip
        _insert_rows(self.conn, w.case_events,
                     ("case_id", "from_status", "to_status", "jurisdiction", "user_id", "at"),
                     [(c, from_status, to_status, jurisdiction, user_id, at)
                      for c in case_ids])  # fmt: skip

    def get(self, case_id: str, lock: bool = False) -> CaseRow | None:
        q = select(w.cases).where(w.cases.c.case_id == case_id)
        row = self.conn.execute(q.with_for_update() if lock else q).first()
        return _case(row) if row else None

    def events(self, case_id: str) -> list[CaseEventRow]:
        e = w.case_events.c
        q = select(e.from_status, e.to_status, e.jurisdiction, e.user_id, e.at)
        rows = self.conn.execute(q.where(e.case_id == case_id).order_by(e.pk))
        return [CaseEventRow(*(_utc(v) for v in r)) for r in rows]

    def for_jurisdiction(self, jurisdiction: str, statuses: Sequence[str],
                         opened_before: datetime | None, limit: int,
                         after: QueuePosition | None = None) -> list[CaseRow]:  # fmt: skip
        """The state's queue in its one stable order (REAL ID conflicts first, then opening
        time, then case id), from just after ``after`` (keyset paging: no OFFSET scan)."""
        c = w.cases.c
        q = select(w.cases).where(
            or_(c.jurisdiction_a == jurisdiction, c.jurisdiction_b == jurisdiction),
            c.status.in_(statuses),
        )
        if opened_before is not None:
            q = q.where(c.opened_at < opened_before)
        if after is not None:
            later = or_(c.opened_at > after.opened_at,
                        and_(c.opened_at == after.opened_at, c.case_id > after.case_id))
            same_group = and_(c.real_id_conflict.is_(after.real_id_conflict), later)
            # Conflicts come first: after a conflict, every other case is still ahead.
            q = q.where(or_(same_group, c.real_id_conflict.is_(False))
                        if after.real_id_conflict else same_group)  # fmt: skip
        q = q.order_by(c.real_id_conflict.desc(), c.opened_at, c.case_id).limit(limit)
        return [_case(r) for r in self.conn.execute(q)]

    def set_status(self, case_id: str, status: str, at: datetime) -> None:
        self.conn.execute(update(w.cases).where(w.cases.c.case_id == case_id)
                          .values(status=status, updated_at=at))  # fmt: skip


@dataclass(frozen=True, slots=True)
class TransferRow:
    transfer_id: str
    pointer_id: str
    from_jurisdiction: str
    from_record_id: str
    to_jurisdiction: str
    to_record_id: str
    status: str
    requested_by: str
    requested_at: datetime
    answered_by: str | None
    answered_at: datetime | None


def _transfer(row: Any) -> TransferRow:
    m = row._mapping
    return TransferRow(**{f: _utc(m[f]) for f in TransferRow.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class CardUpdate:
    """The new state's card, which replaces the old one's on the moved pointer."""

    card_type: str
    real_id: bool
    status: str
    issue_date: date | None
    expiry_date: date | None


class TransferRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def lock_pointer(self, pointer_id: str) -> PointerRow | None:
        """The pointer, row-locked until commit (PostgreSQL), so concurrent transfers of it
        run one after the other and the later one sees the first one's move."""
        row = self.conn.execute(
            select(t.pointers).where(t.pointers.c.pointer_id == pointer_id).with_for_update()
        ).first()
        if row is None:
            return None
        m = row._mapping
        return PointerRow(**{f: m[f] for f in PointerRow.__dataclass_fields__})

    def record_taken(self, jurisdiction: str, record_id: str) -> bool:
        return self.conn.execute(select(t.pointers.c.pk).where(
            t.pointers.c.jurisdiction == jurisdiction, t.pointers.c.record_id == record_id
        )).first() is not None  # fmt: skip

    def move_pointer(self, row: PointerRow, to_jurisdiction: str, to_record_id: str,
                     card: CardUpdate, content_hash: str, identity: str) -> None:  # fmt: skip
        """Give the pointer to its new SOR: same pointer id and identity, next version."""
        self.conn.execute(
            update(t.pointers).where(t.pointers.c.pk == row.pk).values(
                jurisdiction=to_jurisdiction, record_id=to_record_id,
                card_type=card.card_type, real_id=card.real_id, status=card.status,
                issue_date=card.issue_date, expiry_date=card.expiry_date,
                identity=identity, content_hash=content_hash, version=row.version + 1,
                updated_at=utcnow())
        )  # fmt: skip

    def add(self, row: TransferRow) -> None:
        self.conn.execute(insert(w.transfers).values(
            **{f: getattr(row, f) for f in TransferRow.__dataclass_fields__}))

    def get(self, transfer_id: str, lock: bool = False) -> TransferRow | None:
        q = select(w.transfers).where(w.transfers.c.transfer_id == transfer_id)
        row = self.conn.execute(q.with_for_update() if lock else q).first()
        return _transfer(row) if row else None

    def latest_for_pointer(self, pointer_id: str) -> TransferRow | None:
        row = self.conn.execute(select(w.transfers).where(w.transfers.c.pointer_id == pointer_id)
                                .order_by(w.transfers.c.pk.desc()).limit(1)).first()  # fmt: skip
        return _transfer(row) if row else None

    def for_jurisdiction(self, jurisdiction: str, statuses: Sequence[str], limit: int,
                         requested_before: datetime | None = None,
                         after: tuple[datetime, str] | None = None,
                         ) -> list[TransferRow]:  # fmt: skip
        """Oldest first, then by transfer id, from just after ``after`` (requested_at,
        transfer_id; keyset paging); ``requested_before`` filters before the limit cuts."""
        c = w.transfers.c
        q = select(w.transfers).where(
            or_(c.from_jurisdiction == jurisdiction, c.to_jurisdiction == jurisdiction),
            c.status.in_(statuses))  # fmt: skip
        if requested_before is not None:
            q = q.where(c.requested_at < requested_before)
        if after is not None:
            q = q.where(or_(c.requested_at > after[0],
                            and_(c.requested_at == after[0], c.transfer_id > after[1])))
        rows = self.conn.execute(q.order_by(c.requested_at, c.transfer_id).limit(limit))
        return [_transfer(r) for r in rows]

    def answer(self, transfer_id: str, status: str, user_id: str, at: datetime) -> None:
        self.conn.execute(update(w.transfers).where(w.transfers.c.transfer_id == transfer_id)
                          .values(status=status, answered_by=user_id, answered_at=at))  # fmt: skip


@dataclass(frozen=True, slots=True)
class NotificationRow:
    jurisdiction: str
    seq: int
    kind: str
    ref: str
    body: str
    created_at: datetime
    attempts: int
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class Webhook:
    jurisdiction: str
    url: str
    secret: str


def _notification(row: Any) -> NotificationRow:
    m = row._mapping
    return NotificationRow(**{f: _utc(m[f]) for f in NotificationRow.__dataclass_fields__})


class NotificationRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_many(self, jurisdiction: str, items: Sequence[tuple[str, str, str]]) -> list[int]:
        """Append (kind, ref, body) items to the state's feed. The numbers are taken under
        the state's counter row lock, so they are gapless and commit in order: a cursor
        never passes a number that a slower transaction commits later."""
        if not items:
            return []
        c = w.notification_counters
        bump = (update(c).where(c.c.jurisdiction == jurisdiction)
                .values(value=c.c.value + len(items)).returning(c.c.value))  # fmt: skip
        bumped = self.conn.execute(bump).first()
        if bumped is None:
            self._create_counter(jurisdiction)
            bumped = self.conn.execute(bump).first()
        assert bumped is not None
        last = int(bumped[0])
        first = last - len(items) + 1
        hooked = self.webhook(jurisdiction) is not None
        now = utcnow()
        due = now if hooked else None
        _insert_rows(self.conn, w.notifications,
                     ("jurisdiction", "seq", "kind", "ref", "body", "created_at", "attempts",
                      "next_attempt_at"),
                     [(jurisdiction, first + i, kind, ref, body, now, 0, due)
                      for i, (kind, ref, body) in enumerate(items)])  # fmt: skip
        return list(range(first, last + 1))

    def _create_counter(self, jurisdiction: str) -> None:
        table = w.notification_counters
        if self.conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt: Any = pg_insert(table).on_conflict_do_nothing()
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(table).on_conflict_do_nothing()
        self.conn.execute(stmt.values(jurisdiction=jurisdiction, value=0))

    def page(self, jurisdiction: str, after: int, limit: int) -> list[NotificationRow]:
        n = w.notifications.c
        rows = self.conn.execute(select(w.notifications).where(
            n.jurisdiction == jurisdiction, n.seq > after).order_by(n.seq).limit(limit))
        return [_notification(r) for r in rows]

    def due(self, now: datetime, limit: int) -> list[NotificationRow]:
        n = w.notifications.c
        rows = self.conn.execute(select(w.notifications).where(
            n.delivered_at.is_(None), n.next_attempt_at.is_not(None), n.next_attempt_at <= now
        ).order_by(n.next_attempt_at, n.jurisdiction, n.seq).limit(limit))  # fmt: skip
        return [_notification(r) for r in rows]

    def delivered(self, jurisdiction: str, seq: int, at: datetime) -> None:
        self._set(jurisdiction, seq, delivered_at=at, next_attempt_at=None,
                  attempts=w.notifications.c.attempts + 1, last_error=None)  # fmt: skip

    def failed(self, jurisdiction: str, seq: int, retry_at: datetime | None, error: str) -> None:
        self._set(jurisdiction, seq, next_attempt_at=retry_at, last_error=error[:200],
                  attempts=w.notifications.c.attempts + 1)  # fmt: skip

    def _set(self, jurisdiction: str, seq: int, **values: Any) -> None:
        n = w.notifications.c
        self.conn.execute(update(w.notifications).where(n.jurisdiction == jurisdiction,
                                                        n.seq == seq).values(**values))

    def webhook(self, jurisdiction: str) -> Webhook | None:
        row = self.conn.execute(select(w.webhooks.c.jurisdiction, w.webhooks.c.url,
                                       w.webhooks.c.secret)
                                .where(w.webhooks.c.jurisdiction == jurisdiction)).first()
        return Webhook(*row) if row else None

    def set_webhook(self, jurisdiction: str, url: str, secret: str) -> None:
        self.conn.execute(delete(w.webhooks).where(w.webhooks.c.jurisdiction == jurisdiction))
        self.conn.execute(insert(w.webhooks).values(jurisdiction=jurisdiction, url=url,
                                                    secret=secret, created_at=utcnow()))
        # Undelivered notifications go out by the new hook too: nothing waits for a poll.
        n = w.notifications.c
        self.conn.execute(update(w.notifications).where(
            n.jurisdiction == jurisdiction, n.delivered_at.is_(None)
        ).values(next_attempt_at=utcnow(), attempts=0))  # fmt: skip


class WithdrawalRepository:
    """Removes every live row naming a state's pointers; returns the count per table."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def counterparts(self, jurisdiction: str, case_statuses: Sequence[str],
                     transfer_statuses: Sequence[str]) -> list[tuple[str, str, str]]:  # fmt: skip
        """(other state, "case" or "transfer", id) of the given statuses shared with another
        state, so those states can be told why the item leaves their queue."""
        c, tc = w.cases.c, w.transfers.c
        cases = self.conn.execute(select(c.case_id, c.jurisdiction_a, c.jurisdiction_b).where(
            or_(c.jurisdiction_a == jurisdiction, c.jurisdiction_b == jurisdiction),
            c.jurisdiction_a != c.jurisdiction_b, c.status.in_(case_statuses)))  # fmt: skip
        transfers = self.conn.execute(
            select(tc.transfer_id, tc.from_jurisdiction, tc.to_jurisdiction).where(
                or_(tc.from_jurisdiction == jurisdiction, tc.to_jurisdiction == jurisdiction),
                tc.from_jurisdiction != tc.to_jurisdiction, tc.status.in_(transfer_statuses)))
        return sorted([(b if a == jurisdiction else a, "case", ref) for ref, a, b in cases]
                      + [(b if a == jurisdiction else a, "transfer", ref)
                         for ref, a, b in transfers])  # fmt: skip

    def remove_jurisdiction(self, jurisdiction: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        c = w.cases.c
        involved = or_(c.jurisdiction_a == jurisdiction, c.jurisdiction_b == jurisdiction)
        case_ids = select(c.case_id).where(involved).scalar_subquery()
        counts["case_events"] = self._delete(w.case_events, w.case_events.c.case_id.in_(case_ids))
        counts["cases"] = self._delete(w.cases, involved)
        tc = w.transfers.c
        counts["transfers"] = self._delete(w.transfers, or_(
            tc.from_jurisdiction == jurisdiction, tc.to_jurisdiction == jurisdiction))
        counts["notifications"] = self._delete(
            w.notifications, w.notifications.c.jurisdiction == jurisdiction)
        self._delete(w.notification_counters,
                     w.notification_counters.c.jurisdiction == jurisdiction)
        counts["webhooks"] = self._delete(w.webhooks, w.webhooks.c.jurisdiction == jurisdiction)
        pks = select(t.pointers.c.pk).where(t.pointers.c.jurisdiction == jurisdiction)
        self._delete(w.match_writes, w.match_writes.c.pointer_pk.in_(pks.scalar_subquery()))
        counts["pointer_blocks"] = self._delete(
            t.pointer_blocks, t.pointer_blocks.c.pointer_pk.in_(pks.scalar_subquery()))
        counts["pointers"] = self._delete(t.pointers, t.pointers.c.jurisdiction == jurisdiction)
        return counts

    def _delete(self, table: Any, where: Any) -> int:
        return int(self.conn.execute(delete(table).where(where)).rowcount)

    def remaining(self, jurisdiction: str) -> int:
        """Live rows still naming the state (zero after a withdrawal)."""
        c = w.cases.c
        total = 0
        for table, cond in (
            (t.pointers, t.pointers.c.jurisdiction == jurisdiction),
            (w.cases, or_(c.jurisdiction_a == jurisdiction, c.jurisdiction_b == jurisdiction)),
            (w.transfers, or_(w.transfers.c.from_jurisdiction == jurisdiction,
                              w.transfers.c.to_jurisdiction == jurisdiction)),
            (w.notifications, w.notifications.c.jurisdiction == jurisdiction),
        ):  # fmt: skip
            total += int(self.conn.execute(select(func.count()).select_from(table)
                                           .where(cond)).scalar_one())  # fmt: skip
        return total


__all__ = ["CardUpdate", "CaseEventRow", "CaseRepository", "CaseRow", "MatchCandidate",
           "MatchLookup", "NotificationRepository", "NotificationRow", "QueuePosition",
           "TransferRepository", "TransferRow", "Webhook", "WithdrawalRepository"]  # fmt: skip

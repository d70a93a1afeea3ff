"""Repositories: the questions services ask of storage, answered with SQLAlchemy Core.

Each repository works on the connection of the unit of work that made it, so everything
a service does in one request commits or rolls back together.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import psycopg
from sqlalchemy import Connection, bindparam, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from lpx.storage import tables as t
from lpx.storage.pipeline import Ahead, PgStatement, defer

# One pointer_blocks row in COPY's binary format (PostgreSQL docs, "COPY", "Binary Format"):
# a field count, then each bigint as its length and its big-endian value.
_BLOCK_ROW = np.dtype([("fields", ">i2"), ("key_size", ">i4"), ("key", ">i8"),
                       ("pk_size", ">i4"), ("pk", ">i8")])  # fmt: skip
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\0" + bytes(8)  # no flags, no header extension
_COPY_TRAILER = b"\xff\xff"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PointerRow:
    """A stored pointer as storage returns it; the identity document is still serialized."""

    pk: int
    pointer_id: str
    jurisdiction: str
    record_id: str
    card_type: str
    real_id: bool
    status: str
    issue_date: date | None
    expiry_date: date | None
    identity: str
    content_hash: str
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class NewPointer:
    pointer_id: str
    jurisdiction: str
    record_id: str
    card_type: str
    real_id: bool
    status: str
    issue_date: date | None
    expiry_date: date | None
    identity: str
    content_hash: str
    block_keys: frozenset[int]


@dataclass(frozen=True, slots=True)
class CredentialRow:
    id: int
    jurisdiction: str
    label: str
    roles: tuple[str, ...]
    revoked: bool


_POINTER_COPY_COLUMNS = (
    "pk", "pointer_id", "jurisdiction", "record_id", "card_type", "real_id", "status",
    "issue_date", "expiry_date", "identity", "content_hash", "version", "created_at",
    "updated_at",
)  # fmt: skip


# A batch's record ids, one descent of the (jurisdiction, record_id) key each, whatever the
# statistics say. As ``record_id IN (...)`` a state new to the hub (none of its rows in the
# statistics yet) was planned as a scan of all its pointers with the 1000 ids as a filter:
# every batch of its onboarding read every pointer the batches before had written, until
# autovacuum analyzed the table (after a tenth of the hub's size had been written).
# ``OFFSET 0`` keeps the lookup from being flattened into a join (as SHARED_PG).
_BY_RECORDS_PG = text(
    "SELECT p.* FROM unnest(CAST(:ids AS text[])) AS q(record_id) CROSS JOIN LATERAL "
    "(SELECT * FROM pointers WHERE jurisdiction = :j AND record_id = q.record_id OFFSET 0) p"
).columns(*t.pointers.c)


def _pointer(row: Any) -> PointerRow:
    m = row._mapping
    return PointerRow(**{f: m[f] for f in PointerRow.__dataclass_fields__})


class RecordIdTaken(Exception):
    """A pointer with this (jurisdiction, record_id) was committed by a concurrent write."""


class PointerRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def by_records(self, jurisdiction: str, record_ids: Sequence[str]) -> dict[str, PointerRow]:
        if not record_ids:
            return {}
        if self.conn.dialect.name == "postgresql":
            rows = self.conn.execute(_BY_RECORDS_PG, {"ids": list(record_ids), "j": jurisdiction})
        else:
            rows = self.conn.execute(select(t.pointers).where(
                t.pointers.c.jurisdiction == jurisdiction,
                t.pointers.c.record_id.in_(record_ids)))  # fmt: skip
        return {r.record_id: _pointer(r) for r in rows}

    def by_pointer_id(self, pointer_id: str) -> PointerRow | None:
        row = self.conn.execute(
            select(t.pointers).where(t.pointers.c.pointer_id == pointer_id)
        ).first()
        return _pointer(row) if row else None

    def add_many(self, new: Sequence[NewPointer]) -> dict[str, int]:
        """The new pointers' primary keys by pointer id. Raises :class:`RecordIdTaken` when
        a concurrent write committed one of the record ids first (this transaction read
        them as absent)."""
        if not new:
            return {}
        try:
            return self._add_many(new)
        except (IntegrityError, psycopg.errors.UniqueViolation) as exc:
            if "record_id" not in str(getattr(exc, "orig", exc)):
                raise
            raise RecordIdTaken from exc  # no message: the driver's names the row's values

    def _add_many(self, new: Sequence[NewPointer]) -> dict[str, int]:
        now = utcnow()
        if self.conn.dialect.name == "postgresql":
            return self._copy_pointers(new, now)
        values = [
            {
                "pointer_id": p.pointer_id, "jurisdiction": p.jurisdiction,
                "record_id": p.record_id, "card_type": p.card_type, "real_id": p.real_id,
                "status": p.status, "issue_date": p.issue_date, "expiry_date": p.expiry_date,
                "identity": p.identity, "content_hash": p.content_hash, "version": 1,
                "created_at": now, "updated_at": now,
            }
            for p in new
        ]  # fmt: skip
        result = self.conn.execute(
            insert(t.pointers).returning(
                t.pointers.c.pk, t.pointers.c.pointer_id, sort_by_parameter_order=True
            ),
            values,
        )
        pks = {pid: pk for pk, pid in result}
        self._add_blocks((pks[p.pointer_id], p.block_keys) for p in new)
        return pks

    def _copy_pointers(self, new: Sequence[NewPointer], now: datetime) -> dict[str, int]:
        """PostgreSQL: take the primary keys from the table's sequence, then COPY both tables.

        A 1000-row multi-VALUES INSERT spends most of its time in psycopg building and the
        server parsing the statement; COPY streams the rows instead. It runs on the unit of
        work's own connection, so it commits or rolls back with everything else.
        """
        pks = self.conn.execute(
            text("SELECT nextval(pg_get_serial_sequence('pointers', 'pk')) "
                 "FROM generate_series(1, :n)"), {"n": len(new)}
        ).scalars().all()  # fmt: skip
        columns = ", ".join(_POINTER_COPY_COLUMNS)
        with self._driver_cursor() as cur:
            with cur.copy(f"COPY pointers ({columns}) FROM STDIN") as copy:
                for pk, p in zip(pks, new, strict=True):
                    copy.write_row((
                        pk, p.pointer_id, p.jurisdiction, p.record_id, p.card_type, p.real_id,
                        p.status, p.issue_date, p.expiry_date, p.identity, p.content_hash, 1,
                        now, now,
                    ))  # fmt: skip
            self._copy_blocks(cur, zip(pks, (p.block_keys for p in new), strict=True))
        return {p.pointer_id: pk for pk, p in zip(pks, new, strict=True)}

    def _driver_cursor(self) -> Any:
        """A cursor of the DBAPI connection under this unit of work (same transaction)."""
        return self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]

    @staticmethod
    def _copy_blocks(cur: Any, items: Iterable[tuple[int, frozenset[int]]]) -> None:
        """COPY's binary form built whole by numpy, in key order: ~18 rows per pointer of
        two integers each, which psycopg's per-row ``write_row`` spent more time adapting
        than the server storing. Sorted, the random keys walk the primary key's index in its
        order (the order of its file where it was built in one go): on a 5M hub whose index
        was not in shared buffers, a batch's 17.8k rows took 114 ms sorted against 290 ms
        as they came (with the index in shared buffers, 118 against 125)."""
        items = list(items)
        keys = np.fromiter((k for _, ks in items for k in ks), dtype=np.int64)
        if not len(keys):
            return
        pks = np.fromiter((pk for pk, ks in items for _ in ks), dtype=np.int64)
        order = np.argsort(keys)
        rows = np.empty(len(keys), dtype=_BLOCK_ROW)
        rows["fields"], rows["key_size"], rows["pk_size"] = 2, 8, 8
        rows["key"], rows["pk"] = keys[order], pks[order]
        with cur.copy("COPY pointer_blocks (block_key, pointer_pk) FROM STDIN (FORMAT BINARY)"
                      ) as copy:  # fmt: skip
            copy.write(_COPY_SIGNATURE + rows.tobytes() + _COPY_TRAILER)

    def replace(self, old: PointerRow, new: NewPointer) -> None:
        self.conn.execute(
            update(t.pointers)
            .where(t.pointers.c.pk == old.pk)
            .values(
                card_type=new.card_type, real_id=new.real_id, status=new.status,
                issue_date=new.issue_date, expiry_date=new.expiry_date,
                identity=new.identity, content_hash=new.content_hash,
                version=old.version + 1, updated_at=utcnow(),
            )
        )  # fmt: skip
        self.conn.execute(delete(t.pointer_blocks).where(t.pointer_blocks.c.pointer_pk == old.pk))
        self._add_blocks([(old.pk, new.block_keys)])

    def set_blocks(self, items: Sequence[tuple[int, frozenset[int]]]) -> int:
        """Replace the blocking keys of the pointers ``items`` names (pk, keys); a pointer's
        old keys all go, so keys of a retired rule do not linger. Returns keys written."""
        if not items:
            return 0
        pks = [pk for pk, _ in items]
        self.conn.execute(delete(t.pointer_blocks).where(t.pointer_blocks.c.pointer_pk.in_(pks)))
        self._add_blocks(items)
        return sum(len(keys) for _, keys in items)

    def remove(self, row: PointerRow) -> None:
        self.conn.execute(delete(t.pointer_blocks).where(t.pointer_blocks.c.pointer_pk == row.pk))
        self.conn.execute(delete(t.pointers).where(t.pointers.c.pk == row.pk))

    def _add_blocks(self, items: Iterable[tuple[int, frozenset[int]]]) -> None:
        if self.conn.dialect.name == "postgresql":
            with self._driver_cursor() as cur:
                self._copy_blocks(cur, items)
            return
        rows = [(k, pk) for pk, keys in items for k in keys]
        if rows:
            # Plain executemany: SQLAlchemy's per-row parameter processing cost more than
            # SQLite's insert for these two integer columns.
            self.conn.exec_driver_sql(
                "INSERT INTO pointer_blocks (block_key, pointer_pk) VALUES (?, ?)", rows
            )

    def candidates(self, block_keys: Sequence[int], limit: int,
                   lone_block_limit: int) -> list[tuple[str, str, str]]:  # fmt: skip
        """(pointer_id, jurisdiction, identity) of pointers under any key, via the index only.

        A pointer that shares only one of the keys is left out when that key's block holds
        more than ``lone_block_limit`` pointers: one shared key in a crowded block is weak
        evidence (a namesake born the same day), and such blocks grow with the hub while a
        true match shares about eleven keys (README, "Blocking at scale").
        """
        return self.candidates_ahead(block_keys, limit, lone_block_limit)()

    def candidates_ahead(self, block_keys: Sequence[int], limit: int, lone_block_limit: int
                         ) -> Callable[[], list[tuple[str, str, str]]]:  # fmt: skip
        """:meth:`candidates`, sent on PostgreSQL with the connection's next pipeline (a
        search's guard) instead of a round trip of its own; call the result for the rows.
        Alone, it still rides with the transaction's BEGIN.

        Every inquiry runs this, so it is plain SQL written once per dialect: compiling (or
        only expanding the IN list of) a Core SELECT cost more than SQLite answering it,
        and about 50 us of a PostgreSQL search's CPU. PostgreSQL takes the keys as one
        array parameter.
        """
        if self.conn.dialect.name != "postgresql":
            statement = _candidates_sqlite(len(block_keys))
            params = (*block_keys, lone_block_limit, limit)
            return lambda: [(r[0], r[1], r[2])
                            for r in self.conn.exec_driver_sql(statement, params)]  # fmt: skip
        read = Ahead(self.conn, _CANDIDATES_PG,
                     {"keys": int_array(block_keys), "limit": limit,
                      "lone": lone_block_limit})  # fmt: skip
        return lambda: [(r[0], r[1], r[2]) for r in read.rows()]

    def page(self, jurisdiction: str, after: str, limit: int) -> list[PointerRow]:
        rows = self.conn.execute(
            select(t.pointers)
            .where(t.pointers.c.jurisdiction == jurisdiction, t.pointers.c.record_id > after)
            .order_by(t.pointers.c.record_id)
            .limit(limit)
        )
        return [_pointer(r) for r in rows]

    def identities(self, after_pk: int, limit: int,
                   stride: int = 1) -> list[tuple[int, str, str, str]]:  # fmt: skip
        """(pk, pointer_id, jurisdiction, identity) after ``after_pk`` in pk order, every
        ``stride``-th pk only: a sample spread over all states for ``lpx model train``."""
        q = select(t.pointers.c.pk, t.pointers.c.pointer_id, t.pointers.c.jurisdiction,
                   t.pointers.c.identity).where(t.pointers.c.pk > after_pk)  # fmt: skip
        if stride > 1:
            q = q.where(t.pointers.c.pk % stride == 0)
        rows = self.conn.execute(q.order_by(t.pointers.c.pk).limit(limit))
        return [(int(r[0]), r[1], r[2], r[3]) for r in rows]

    def count(self, jurisdiction: str | None = None) -> int:
        q = select(func.count()).select_from(t.pointers)
        if jurisdiction:
            q = q.where(t.pointers.c.jurisdiction == jurisdiction)
        return int(self.conn.execute(q).scalar_one())


# ``hits`` holds one row per (shared key, pointer); the window counts each key's block.
_CANDIDATES_SQL = (
    "SELECT pointer_id, jurisdiction, identity FROM pointers WHERE pk IN "
    "(SELECT pointer_pk FROM (SELECT pointer_pk, count(*) OVER (PARTITION BY block_key) AS n "
    "FROM pointer_blocks WHERE block_key {keys}) AS hits "
    "GROUP BY pointer_pk HAVING count(*) > 1 OR min(n) <= {lone} LIMIT {limit})"
)
_CANDIDATES_PG = PgStatement(_CANDIDATES_SQL.format(
    keys="= ANY(%(keys)s::bigint[])", lone="%(lone)s", limit="%(limit)s"))  # fmt: skip


def int_array(values: Iterable[int]) -> str:
    """A PostgreSQL array literal of integers (safe: ``str`` of an int is digits only), for
    a ``%s::bigint[]`` parameter: psycopg adapts a list of ints element by element in
    Python, ~100 us for a search's ~30 keys against 10-17 us for the literal."""
    return "{" + ",".join(map(str, values)) + "}"


@functools.cache
def _candidates_sqlite(n_keys: int) -> str:
    """The SQLite statement for ``n_keys`` keys (an inquiry has a few dozen at most)."""
    return _CANDIDATES_SQL.format(keys=f"IN ({', '.join('?' * n_keys)})", lone="?", limit="?")


class CredentialRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def by_key_hash(self, key_hash: str) -> CredentialRow | None:
        row = self.conn.execute(
            select(t.credentials).where(t.credentials.c.key_hash == key_hash)
        ).first()
        if row is None:
            return None
        return CredentialRow(
            row.id, row.jurisdiction, row.label, tuple(row.roles.split(",")),
            row.revoked_at is not None,
        )  # fmt: skip

    def add(self, jurisdiction: str, label: str, key_hash: str, roles: Sequence[str]) -> int:
        result = self.conn.execute(
            insert(t.credentials).values(
                jurisdiction=jurisdiction, label=label, key_hash=key_hash,
                roles=",".join(roles), created_at=utcnow(),
            )
        )  # fmt: skip
        return int(result.inserted_primary_key[0])  # type: ignore[index]


class JurisdictionRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def all(self) -> list[tuple[str, str]]:
        rows = self.conn.execute(select(t.jurisdictions.c.code, t.jurisdictions.c.name)
                                 .order_by(t.jurisdictions.c.code))  # fmt: skip
        return [(r[0], r[1]) for r in rows]

    def exists(self, code: str) -> bool:
        return (
            self.conn.execute(
                select(t.jurisdictions.c.code).where(t.jurisdictions.c.code == code)
            ).first()
            is not None
        )

    def add(self, code: str, name: str) -> None:
        self.conn.execute(insert(t.jurisdictions).values(code=code, name=name,
                                                         created_at=utcnow()))  # fmt: skip


# Built once: it sits on every inquiry's path. On PostgreSQL it is deferred to the audit
# append's round trip (lpx/storage/pipeline.py): nothing reads its result.
_INSERT_INQUIRY = insert(t.inquiries).values({
    c: bindparam(c) for c in ("inquiry_id", "jurisdiction", "user_id", "purpose",
                              "candidates", "created_at", "shown")})  # fmt: skip
_PG_INSERT_INQUIRY = PgStatement(_INSERT_INQUIRY)


@dataclass(frozen=True, slots=True)
class InquiryRow:
    jurisdiction: str
    user_id: str
    purpose: str
    shown: tuple[str, ...]  # the candidates' pointer ids, when the inquiry kept them
    carried: str | None


class InquiryRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, inquiry_id: str, jurisdiction: str, user_id: str, purpose: str,
            candidates: int, shown: Sequence[str] | None = None) -> None:  # fmt: skip
        """``shown``: the pointer ids answered, kept only for an inquiry that may carry."""
        row = {"inquiry_id": inquiry_id, "jurisdiction": jurisdiction, "user_id": user_id,
               "purpose": purpose, "candidates": candidates, "created_at": utcnow(),
               "shown": " ".join(shown) if shown is not None else None}  # fmt: skip
        if self.conn.dialect.name == "postgresql":
            defer(self.conn, _PG_INSERT_INQUIRY, row)
        else:
            self.conn.execute(_INSERT_INQUIRY, row)

    def made_since(self, inquiry_id: str, since: datetime) -> InquiryRow | None:
        """The inquiry ``inquiry_id`` if it was made at or after ``since`` (compared in SQL,
        where both backends store the same instant)."""
        c = t.inquiries.c
        r = self.conn.execute(
            select(c.jurisdiction, c.user_id, c.purpose, c.shown, c.carried)
            .where(c.inquiry_id == inquiry_id, c.created_at >= since)
        ).first()  # fmt: skip
        if r is None:
            return None
        return InquiryRow(r.jurisdiction, r.user_id, r.purpose, tuple((r.shown or "").split()),
                          r.carried)  # fmt: skip

    def mark_carried(self, inquiry_id: str, pointer_id: str) -> bool:
        """Record that the inquiry carried ``pointer_id``; False if it already carried another.
        One conditional UPDATE, so two concurrent carries cannot both take the inquiry."""
        c = t.inquiries.c
        done = self.conn.execute(
            update(t.inquiries)
            .where(c.inquiry_id == inquiry_id,
                   (c.carried.is_(None)) | (c.carried == pointer_id))
            .values(carried=pointer_id)
        )  # fmt: skip
        return bool(done.rowcount == 1)


__all__ = [
    "CredentialRepository",
    "CredentialRow",
    "InquiryRepository",
    "InquiryRow",
    "JurisdictionRepository",
    "NewPointer",
    "PointerRepository",
    "PointerRow",
]

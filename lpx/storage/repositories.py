"""Repositories: the questions services ask of storage, answered with SQLAlchemy Core.

Each repository works on the connection of the unit of work that made it, so everything
a service does in one request commits or rolls back together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from lpx.storage import tables as t


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


def _pointer(row: Any) -> PointerRow:
    m = row._mapping
    return PointerRow(**{f: m[f] for f in PointerRow.__dataclass_fields__})


class PointerRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def by_records(self, jurisdiction: str, record_ids: Sequence[str]) -> dict[str, PointerRow]:
        if not record_ids:
            return {}
        rows = self.conn.execute(
            select(t.pointers).where(
                t.pointers.c.jurisdiction == jurisdiction,
                t.pointers.c.record_id.in_(record_ids),
            )
        )
        return {r.record_id: _pointer(r) for r in rows}

    def by_pointer_id(self, pointer_id: str) -> PointerRow | None:
        row = self.conn.execute(
            select(t.pointers).where(t.pointers.c.pointer_id == pointer_id)
        ).first()
        return _pointer(row) if row else None

    def add_many(self, new: Sequence[NewPointer]) -> None:
        if not new:
            return
        now = utcnow()
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

    def remove(self, row: PointerRow) -> None:
        self.conn.execute(delete(t.pointer_blocks).where(t.pointer_blocks.c.pointer_pk == row.pk))
        self.conn.execute(delete(t.pointers).where(t.pointers.c.pk == row.pk))

    def _add_blocks(self, items: Iterable[tuple[int, frozenset[int]]]) -> None:
        values = [{"block_key": k, "pointer_pk": pk} for pk, keys in items for k in keys]
        if values:
            self.conn.execute(insert(t.pointer_blocks), values)

    def candidates(self, block_keys: Sequence[int], limit: int) -> list[tuple[str, str, str]]:
        """(pointer_id, jurisdiction, identity) of pointers under any key, via the index only."""
        pks = (
            select(t.pointer_blocks.c.pointer_pk)
            .where(t.pointer_blocks.c.block_key.in_(block_keys))
            .distinct()
            .limit(limit)
            .scalar_subquery()
        )
        rows = self.conn.execute(
            select(t.pointers.c.pointer_id, t.pointers.c.jurisdiction, t.pointers.c.identity).where(
                t.pointers.c.pk.in_(pks)
            )
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def page(self, jurisdiction: str, after: str, limit: int) -> list[PointerRow]:
        rows = self.conn.execute(
            select(t.pointers)
            .where(t.pointers.c.jurisdiction == jurisdiction, t.pointers.c.record_id > after)
            .order_by(t.pointers.c.record_id)
            .limit(limit)
        )
        return [_pointer(r) for r in rows]

    def count(self, jurisdiction: str | None = None) -> int:
        q = select(func.count()).select_from(t.pointers)
        if jurisdiction:
            q = q.where(t.pointers.c.jurisdiction == jurisdiction)
        return int(self.conn.execute(q).scalar_one())


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


class InquiryRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, inquiry_id: str, jurisdiction: str, user_id: str, purpose: str,
            candidates: int) -> None:  # fmt: skip
        self.conn.execute(
            insert(t.inquiries).values(
                inquiry_id=inquiry_id, jurisdiction=jurisdiction, user_id=user_id,
                purpose=purpose, candidates=candidates, created_at=utcnow(),
            )
        )  # fmt: skip


__all__ = [
    "CredentialRepository",
    "CredentialRow",
    "InquiryRepository",
    "JurisdictionRepository",
    "NewPointer",
    "PointerRepository",
    "PointerRow",
]

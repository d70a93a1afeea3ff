"""Upload sessions: one row per state file being loaded, so a rerun resumes and a console
shows progress (migration 0008 creates the table).

A batch of an upload moves ``last_seq`` and the counters in the same transaction as its
pointer writes (lpx/services/uploads.py), so "the last committed batch" is exact. The row
holds counts only: no record ids, no identity fields.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
    text,
    update,
)

from lpx.storage.tables import metadata

uploads = Table(
    "uploads",
    metadata,
    Column("upload_id", String(36), primary_key=True),
    Column("jurisdiction", String(2), nullable=False),
    Column("fingerprint", String(100), nullable=False),  # sha256:<hex>:<size> of the file
    Column("file_name", String(200), nullable=False),
    Column("status", String(10), nullable=False),  # running, complete, aborted
    Column("last_seq", BigInteger, nullable=False),  # file rows covered by committed batches
    Column("batches", Integer, nullable=False),
    Column("rows_read", BigInteger, nullable=False),
    Column("rows_sent", BigInteger, nullable=False),
    Column("added", BigInteger, nullable=False),
    Column("updated", BigInteger, nullable=False),
    Column("unchanged", BigInteger, nullable=False),
    Column("rejected", BigInteger, nullable=False),
    Column("withheld", BigInteger, nullable=False),
    Column("held_back", BigInteger, nullable=False),
    Column("rejected_reasons", Text, nullable=False),  # JSON {field: count}
    Column("cases_opened", Text, nullable=False),  # JSON {counterpart state: count}
    Column("started_by", String(100), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("jurisdiction", "fingerprint"),
    Index("ix_uploads_jurisdiction_started_at", "jurisdiction", "started_at"),
)

COUNTERS = ("rows_read", "rows_sent", "added", "updated", "unchanged", "rejected", "withheld",
            "held_back")  # fmt: skip


@dataclass(frozen=True, slots=True)
class UploadRow:
    upload_id: str
    jurisdiction: str
    fingerprint: str
    file_name: str
    status: str
    last_seq: int
    batches: int
    rows_read: int
    rows_sent: int
    added: int
    updated: int
    unchanged: int
    rejected: int
    withheld: int
    held_back: int
    rejected_reasons: dict[str, int]
    cases_opened: dict[str, int]
    started_by: str
    started_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class UploadDelta:
    """What one committed batch (or the completion) adds to an upload's counters."""

    seq: int
    rows_read: int = 0
    rows_sent: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    withheld: int = 0
    held_back: int = 0
    rejected_reasons: dict[str, int] | None = None
    cases_opened: dict[str, int] | None = None


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _batch_key(jurisdiction: str, upload_id: str, seq: int) -> int:
    """A batch's advisory-lock number (64 bits of a hash: other uploads never share it)."""
    digest = hashlib.blake2b(f"upload|{jurisdiction}|{upload_id}|{seq}".encode(),
                             digest_size=8).digest()  # fmt: skip
    return int.from_bytes(digest, "big", signed=True)


def _row(row: Any) -> UploadRow:
    m = dict(row._mapping)
    m["rejected_reasons"] = json.loads(m["rejected_reasons"])
    m["cases_opened"] = json.loads(m["cases_opened"])
    m["started_at"] = _utc(m["started_at"])
    m["updated_at"] = _utc(m["updated_at"])
    return UploadRow(**m)


def _merged(old: dict[str, int], new: dict[str, int] | None) -> str:
    out = dict(old)
    for key, count in (new or {}).items():
        out[key] = out.get(key, 0) + count
    return json.dumps(out, sort_keys=True)


class UploadRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def create(self, upload_id: str, jurisdiction: str, fingerprint: str, file_name: str,
               user_id: str, now: datetime) -> bool:  # fmt: skip
        """Insert a running upload unless the state has one with this fingerprint (a
        concurrent start of the same file loses quietly); True when this call made it."""
        values = {"upload_id": upload_id, "jurisdiction": jurisdiction,
                  "fingerprint": fingerprint, "file_name": file_name, "status": "running",
                  "last_seq": 0, "batches": 0, "rejected_reasons": "{}", "cases_opened": "{}",
                  "started_by": user_id, "started_at": now, "updated_at": now,
                  **dict.fromkeys(COUNTERS, 0)}  # fmt: skip
        if self.conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt: Any = pg_insert(uploads).on_conflict_do_nothing()
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(uploads).on_conflict_do_nothing()
        made = self.conn.execute(stmt.values(**values).returning(uploads.c.upload_id))
        return made.first() is not None

    def by_fingerprint(self, jurisdiction: str, fingerprint: str) -> UploadRow | None:
        row = self.conn.execute(select(uploads).where(
            uploads.c.jurisdiction == jurisdiction, uploads.c.fingerprint == fingerprint)).first()
        return _row(row) if row else None

    def get(self, jurisdiction: str, upload_id: str) -> UploadRow | None:
        row = self.conn.execute(select(uploads).where(
            uploads.c.jurisdiction == jurisdiction, uploads.c.upload_id == upload_id)).first()
        return _row(row) if row else None

    def in_flight(self, jurisdiction: str, upload_id: str, seq: int) -> None:
        """Mark the upload's batch ending at row ``seq`` as in flight until this transaction
        ends (PostgreSQL: an advisory lock on the batch), for :meth:`after_batch`. Nothing
        on SQLite, whose write lock lets one batch in at a time anyway."""
        self._batch_lock("pg_advisory_xact_lock", jurisdiction, upload_id, seq)

    def after_batch(self, jurisdiction: str, upload_id: str, seq: int) -> None:
        """Wait until the upload's batch ending at row ``seq`` is no longer in flight
        (committed or failed); at once when none is."""
        self._batch_lock("pg_advisory_xact_lock_shared", jurisdiction, upload_id, seq)

    def _batch_lock(self, function: str, jurisdiction: str, upload_id: str, seq: int) -> None:
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(text(f"SELECT {function}(:k)"),
                              {"k": _batch_key(jurisdiction, upload_id, seq)})  # fmt: skip

    def lock(self, jurisdiction: str, upload_id: str, now: datetime) -> UploadRow | None:
        """Take the upload's row for the rest of the transaction, by writing to it first: a
        row lock on PostgreSQL, the database's write lock on SQLite (no read-then-upgrade
        race between two writers). Batches of one upload therefore commit one at a time."""
        touched = self.conn.execute(update(uploads).where(
            uploads.c.jurisdiction == jurisdiction, uploads.c.upload_id == upload_id
        ).values(updated_at=now))  # fmt: skip
        return self.get(jurisdiction, upload_id) if touched.rowcount else None

    def own(self, jurisdiction: str, limit: int) -> list[UploadRow]:
        rows = self.conn.execute(select(uploads).where(uploads.c.jurisdiction == jurisdiction)
                                 .order_by(uploads.c.started_at.desc(), uploads.c.upload_id)
                                 .limit(limit))  # fmt: skip
        return [_row(r) for r in rows]

    def advance(self, row: UploadRow, delta: UploadDelta, status: str, now: datetime) -> None:
        """Add ``delta`` to the counters and move ``last_seq``; the caller holds the lock."""
        c = uploads.c
        values: dict[str, Any] = {name: getattr(c, name) + getattr(delta, name)
                                  for name in COUNTERS}  # fmt: skip
        values.update(
            last_seq=delta.seq, batches=c.batches + (1 if delta.rows_sent else 0),
            rejected_reasons=_merged(row.rejected_reasons, delta.rejected_reasons),
            cases_opened=_merged(row.cases_opened, delta.cases_opened),
            status=status, updated_at=now,
        )  # fmt: skip
        self.conn.execute(update(uploads).where(c.upload_id == row.upload_id).values(**values))

    def set_status(self, upload_id: str, status: str, now: datetime) -> None:
        self.conn.execute(update(uploads).where(uploads.c.upload_id == upload_id)
                          .values(status=status, updated_at=now))  # fmt: skip


__all__ = ["COUNTERS", "UploadDelta", "UploadRepository", "UploadRow", "uploads"]

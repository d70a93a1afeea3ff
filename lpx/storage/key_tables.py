"""The per-state data keys table and its repository.

A data key is stored only wrapped by the state's key-encryption key (see ``lpx.keys``).
Versions only grow: rotation adds one, destruction marks every version destroyed and drops
the wrapped bytes, so a version number is never reused for a different key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    func,
    insert,
    literal,
    select,
    update,
)

from lpx.storage.tables import metadata

state_data_keys = Table(
    "state_data_keys",
    metadata,
    Column("jurisdiction", String(2), ForeignKey("jurisdictions.code"), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("key_id", String(36), nullable=False),  # for a KMS's records; not secret
    Column("provider", String(20), nullable=False),
    Column("wrapped_key", LargeBinary),  # NULL once destroyed
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("destroyed_at", DateTime(timezone=True)),
)


@dataclass(frozen=True, slots=True)
class DataKeyRow:
    jurisdiction: str
    version: int
    key_id: str
    provider: str
    wrapped_key: bytes | None
    created_at: datetime
    destroyed_at: datetime | None


class DataKeyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def versions(self, jurisdiction: str) -> list[DataKeyRow]:
        rows = self.conn.execute(
            select(state_data_keys)
            .where(state_data_keys.c.jurisdiction == jurisdiction)
            .order_by(state_data_keys.c.version)
        )
        return [DataKeyRow(**r._mapping) for r in rows]

    def get(self, jurisdiction: str, version: int) -> DataKeyRow | None:
        row = self.conn.execute(
            select(state_data_keys).where(
                state_data_keys.c.jurisdiction == jurisdiction,
                state_data_keys.c.version == version,
            )
        ).first()
        return DataKeyRow(**row._mapping) if row else None

    def current(self, jurisdiction: str) -> DataKeyRow | None:
        """The newest version not destroyed, which new rows are sealed under."""
        row = self.conn.execute(
            select(state_data_keys)
            .where(state_data_keys.c.jurisdiction == jurisdiction,
                   state_data_keys.c.destroyed_at.is_(None))
            .order_by(state_data_keys.c.version.desc())
            .limit(1)
        ).first()  # fmt: skip
        return DataKeyRow(**row._mapping) if row else None

    def next_version(self, jurisdiction: str) -> int:
        top = self.conn.execute(
            select(func.max(state_data_keys.c.version)).where(
                state_data_keys.c.jurisdiction == jurisdiction
            )
        ).scalar_one()
        return int(top or 0) + 1

    def add(self, row: DataKeyRow) -> None:
        self.conn.execute(insert(state_data_keys).values(_values(row)))

    def add_first(self, row: DataKeyRow) -> bool:
        """Add ``row`` unless the state has a live version when the insert runs; False if
        it had. The check is part of the insert: checked in a statement of its own, another
        request's first key could commit between the check and the write (read committed)
        and the state would get two live versions."""
        c = state_data_keys.c
        values = _values(row)
        live = select(c.version).where(c.jurisdiction == row.jurisdiction,
                                       c.destroyed_at.is_(None))  # fmt: skip
        row_unless_live = select(*(literal(v, c[k].type) for k, v in values.items()))
        added = self.conn.execute(
            insert(state_data_keys).from_select(list(values), row_unless_live.where(~live.exists()))
            .returning(c.version))  # fmt: skip
        return added.first() is not None

    def mark_destroyed(self, jurisdiction: str) -> int:
        result = self.conn.execute(
            update(state_data_keys)
            .where(state_data_keys.c.jurisdiction == jurisdiction,
                   state_data_keys.c.destroyed_at.is_(None))
            .values(wrapped_key=None, destroyed_at=datetime.now(UTC))
        )  # fmt: skip
        return int(result.rowcount)


def _values(row: DataKeyRow) -> dict[str, object]:
    return {"jurisdiction": row.jurisdiction, "version": row.version, "key_id": row.key_id,
            "provider": row.provider, "wrapped_key": row.wrapped_key,
            "created_at": row.created_at}  # fmt: skip

"""Tables (and their repository) for the mobile licence's hub side: state IACA roots and
registered status indices.

Kept out of ``tables.py`` (same ``metadata``) so the mDL feature migrates on its own branch.
Status indices are keyed by (state, index), not by pointer, and outlive the pointer: a
deleted or transferred pointer's indices must stay revoked in the list the hub serves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    insert,
    select,
    update,
)

from lpx.storage.tables import metadata

# One IACA root per participating state (the trust list's entries); replaced on rollover.
mdl_iaca = Table(
    "mdl_iaca",
    metadata,
    Column("jurisdiction", String(2), ForeignKey("jurisdictions.code"), primary_key=True),
    Column("certificate", LargeBinary, nullable=False),  # DER
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Which status-list bits the hub may flip for a pointer. The hub learns how many
# credentials a state issued for a pointer, and nothing about their use.
mdl_status_indices = Table(
    "mdl_status_indices",
    metadata,
    Column("jurisdiction", String(2), primary_key=True),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("pointer_id", String(36), nullable=False),
    Column("revoked", Boolean, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Index("ix_mdl_status_indices_pointer_id", "pointer_id"),
    Index("ix_mdl_status_indices_jurisdiction_revoked", "jurisdiction", "revoked"),
)


class MdlRepository:
    """The questions the mDL services ask of storage, on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def iaca_all(self) -> list[tuple[str, bytes]]:
        """(state, DER) pairs in state order: the trust list's entries."""
        rows = self.conn.execute(
            select(mdl_iaca.c.jurisdiction, mdl_iaca.c.certificate).order_by(
                mdl_iaca.c.jurisdiction
            )
        )
        return [(r.jurisdiction, bytes(r.certificate)) for r in rows]

    def iaca_exists(self, state: str) -> bool:
        found = self.conn.execute(
            select(mdl_iaca.c.jurisdiction).where(mdl_iaca.c.jurisdiction == state)
        ).first()
        return found is not None

    def put_iaca(self, state: str, der: bytes) -> None:
        values = {"certificate": der, "updated_at": datetime.now(UTC)}
        changed = self.conn.execute(
            update(mdl_iaca).where(mdl_iaca.c.jurisdiction == state).values(**values)
        )
        if not changed.rowcount:
            self.conn.execute(insert(mdl_iaca).values(jurisdiction=state, **values))

    def taken(self, state: str, indices: Sequence[int]) -> list[int]:
        """Which of ``indices`` the state already registered (indices are never reused)."""
        rows = self.conn.execute(
            select(mdl_status_indices.c.idx)
            .where(mdl_status_indices.c.jurisdiction == state)
            .where(mdl_status_indices.c.idx.in_(list(indices)))
        )
        return sorted(r.idx for r in rows)

    def register(self, state: str, pointer_id: str, indices: Sequence[int]) -> None:
        now = datetime.now(UTC)
        self.conn.execute(
            insert(mdl_status_indices),
            [
                {"jurisdiction": state, "idx": i, "pointer_id": pointer_id, "revoked": False,
                 "registered_at": now}
                for i in indices
            ],
        )  # fmt: skip

    def revoke_pointer(self, pointer_id: str) -> int:
        """Mark every live index registered for the pointer revoked; returns how many."""
        result = self.conn.execute(
            update(mdl_status_indices)
            .where(mdl_status_indices.c.pointer_id == pointer_id)
            .where(mdl_status_indices.c.revoked.is_(False))
            .values(revoked=True)
        )
        return int(result.rowcount or 0)

    def revoked(self, state: str) -> list[int]:
        rows = self.conn.execute(
            select(mdl_status_indices.c.idx)
            .where(mdl_status_indices.c.jurisdiction == state)
            .where(mdl_status_indices.c.revoked.is_(True))
        )
        return [r.idx for r in rows]

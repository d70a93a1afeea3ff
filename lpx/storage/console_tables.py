"""Console sign-ins, shared by every hub process (lpx/web/sessions.py seals them).

A row is found by a hash of the session id and holds the API key only sealed under a key
derived from that id, which lives in the user's cookie alone: the table by itself signs no
one in. Times are seconds since the epoch, as the store's clock gives them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Connection,
    Float,
    LargeBinary,
    String,
    Table,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from lpx.storage.tables import metadata

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("sid_hash", LargeBinary(32), primary_key=True),
    Column("user_id", String(200), nullable=False),
    Column("sealed_key", LargeBinary, nullable=False),
    Column("created", Float, nullable=False, index=True),
    Column("last_seen", Float, nullable=False),
)


@dataclass(frozen=True, slots=True)
class SessionRow:
    user_id: str
    sealed_key: bytes
    created: float
    last_seen: float


class ConsoleSessionRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, sid_hash: bytes, user_id: str, sealed_key: bytes, now: float) -> None:
        self.conn.execute(insert(console_sessions).values(
            sid_hash=sid_hash, user_id=user_id, sealed_key=sealed_key, created=now,
            last_seen=now))  # fmt: skip

    def get(self, sid_hash: bytes) -> SessionRow | None:
        c = console_sessions.c
        row = self.conn.execute(select(c.user_id, c.sealed_key, c.created, c.last_seen)
                                .where(c.sid_hash == sid_hash)).first()  # fmt: skip
        return SessionRow(row.user_id, row.sealed_key, row.created, row.last_seen) if row else None

    def touch(self, sid_hash: bytes, now: float) -> None:
        self.conn.execute(update(console_sessions)
                          .where(console_sessions.c.sid_hash == sid_hash)
                          .values(last_seen=now))  # fmt: skip

    def remove(self, sid_hash: bytes) -> None:
        self.conn.execute(delete(console_sessions)
                          .where(console_sessions.c.sid_hash == sid_hash))  # fmt: skip

    def purge(self, idle_before: float, created_before: float) -> None:
        """Drop the sessions idle since ``idle_before`` or opened before ``created_before``."""
        c = console_sessions.c
        self.conn.execute(delete(console_sessions).where(
            or_(c.last_seen < idle_before, c.created < created_before)))  # fmt: skip

    def keep_newest(self, most: int) -> None:
        """Drop the oldest sign-ins beyond ``most``."""
        c = console_sessions.c
        held = self.conn.execute(select(func.count()).select_from(console_sessions))
        if held.scalar_one() <= most:
            return
        newest = select(c.sid_hash).order_by(c.created.desc()).limit(most)
        self.conn.execute(delete(console_sessions).where(c.sid_hash.not_in(newest)))

"""Claiming webhook deliveries so that several hub processes never send one twice at once.

A worker claims due notifications by bumping their ``attempts`` and pushing
``next_attempt_at`` out by a lease, only where ``attempts`` is still what it read; on
PostgreSQL the read also skips rows another worker holds (``FOR UPDATE SKIP LOCKED``). The
outcome is written back only while the claim is still the worker's. A worker that dies
mid-send leaves its rows due again when the lease ends (at-least-once delivery: receivers
drop repeats by ``jurisdiction`` and ``seq``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from lpx.storage import workflow_tables as w
from lpx.storage.workflow_repositories import NotificationRow


def _row(row: Any) -> NotificationRow:
    m = row._mapping
    values = {f: m[f] for f in NotificationRow.__dataclass_fields__}
    for name in ("created_at", "delivered_at"):
        value = values[name]
        if isinstance(value, datetime) and value.tzinfo is None:
            values[name] = value.replace(tzinfo=UTC)
    return NotificationRow(**values)


class DeliveryRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def claim(self, now: datetime, lease_until: datetime, limit: int) -> list[NotificationRow]:
        """Due, undelivered notifications now held by the caller until ``lease_until``;
        each comes back with ``attempts`` counting this attempt."""
        n = w.notifications.c
        due = self.conn.execute(
            select(w.notifications)
            .where(n.delivered_at.is_(None), n.next_attempt_at.is_not(None),
                   n.next_attempt_at <= now)
            .order_by(n.next_attempt_at, n.jurisdiction, n.seq)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()  # fmt: skip
        claimed: list[NotificationRow] = []
        for found in map(_row, due):
            taken = self.conn.execute(update(w.notifications).where(
                n.jurisdiction == found.jurisdiction, n.seq == found.seq,
                n.attempts == found.attempts, n.delivered_at.is_(None),
            ).values(attempts=found.attempts + 1, next_attempt_at=lease_until))  # fmt: skip
            if taken.rowcount:
                claimed.append(replace(found, attempts=found.attempts + 1))
        return claimed

    def settle(self, row: NotificationRow, *, delivered_at: datetime | None = None,
               retry_at: datetime | None = None, error: str | None = None) -> bool:  # fmt: skip
        """Record the outcome of a claimed attempt, unless another worker took the row
        over meanwhile (its lease ran out); True when written."""
        n = w.notifications.c
        done = self.conn.execute(update(w.notifications).where(
            n.jurisdiction == row.jurisdiction, n.seq == row.seq, n.attempts == row.attempts,
            n.delivered_at.is_(None),
        ).values(delivered_at=delivered_at, next_attempt_at=None if delivered_at else retry_at,
                 last_error=None if delivered_at else (error or "")[:200]))  # fmt: skip
        return bool(done.rowcount)

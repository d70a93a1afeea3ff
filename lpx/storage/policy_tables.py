"""Each state's declared upload policy (``lpx.domain.policy``), one JSON document per state.

No row means the default policy (every card, every field): states that never declared one
keep working as before.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import Column, Connection, DateTime, ForeignKey, String, Table, Text, select

from lpx.domain.policy import UploadPolicy
from lpx.storage.tables import metadata

upload_policies = Table(
    "upload_policies",
    metadata,
    Column("jurisdiction", String(2), ForeignKey("jurisdictions.code"), primary_key=True),
    Column("document", Text, nullable=False),
    Column("updated_by", String(100), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


class PolicyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, jurisdiction: str) -> UploadPolicy:
        doc = self.conn.execute(
            select(upload_policies.c.document).where(upload_policies.c.jurisdiction == jurisdiction)
        ).scalar_one_or_none()
        return UploadPolicy.from_dict(json.loads(doc)) if doc else UploadPolicy()

    def put(self, jurisdiction: str, policy: UploadPolicy, user_id: str) -> None:
        """Insert or replace (delete then insert: portable across SQLite and PostgreSQL)."""
        self.conn.execute(
            upload_policies.delete().where(upload_policies.c.jurisdiction == jurisdiction)
        )
        self.conn.execute(upload_policies.insert().values(
            jurisdiction=jurisdiction, document=json.dumps(policy.to_dict(), sort_keys=True),
            updated_by=user_id, updated_at=datetime.now(UTC),
        ))  # fmt: skip

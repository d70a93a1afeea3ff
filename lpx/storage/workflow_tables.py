"""Tables of the state-to-state workflows: duplicate cases, transfers, notifications, webhooks.

They live on the shared ``metadata`` (lpx/storage/tables.py) so migrations and test cleanup
see them; migration 0003 creates them. Cases and transfers name pointers by their public id
and keep no identity fields, so a withdrawn state's pointers leave no copy here either once
its rows are removed.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from lpx.storage.tables import PK, metadata

cases = Table(
    "cases",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("case_id", String(36), nullable=False, unique=True),
    # "<pointer id>|<pointer id>", lower id first: one key per unordered pair.
    Column("pair_key", String(73), nullable=False),
    # Fingerprint of both pointers' identity fields when the case was raised.
    Column("identity_fp", String(80), nullable=False),  # k1:<hex> (0010); legacy: <hex>
    Column("pointer_a", String(36), nullable=False),
    Column("jurisdiction_a", String(2), nullable=False),
    Column("record_id_a", String(32), nullable=False),
    Column("pointer_b", String(36), nullable=False),
    Column("jurisdiction_b", String(2), nullable=False),
    Column("record_id_b", String(32), nullable=False),
    Column("weight", Float, nullable=False),
    Column("match_class", String(16), nullable=False),
    Column("evidence", Text, nullable=False),
    Column("real_id_conflict", Boolean, nullable=False),
    Column("status", String(24), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_cases_pair_key", "pair_key"),
    Index("ix_cases_jurisdiction_a_status", "jurisdiction_a", "status"),
    Index("ix_cases_jurisdiction_b_status", "jurisdiction_b", "status"),
)

case_events = Table(
    "case_events",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("case_id", String(36), nullable=False),
    Column("from_status", String(24)),
    Column("to_status", String(24), nullable=False),
    Column("jurisdiction", String(2), nullable=False),
    Column("user_id", String(100), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_case_events_case_id", "case_id"),
)

# Case opening's catch-up log (lpx.services.cases). A write looks for its candidates before
# it takes the case-opening lock, so it can miss pointers that commit in between; under the
# lock it takes the next epoch (the row of match_epoch, locked to commit) and lists the
# pointers it wrote in match_writes, so the next writer can find exactly what committed since
# it looked. Old epochs are pruned: only pointer numbers, never an identity.
match_epoch = Table(
    "match_epoch",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("value", BigInteger, nullable=False),
)

match_writes = Table(
    "match_writes",
    metadata,
    Column("epoch", BigInteger, primary_key=True, autoincrement=False),
    Column("pointer_pk", PK, primary_key=True, autoincrement=False),
    sqlite_with_rowid=False,
)

transfers = Table(
    "transfers",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("transfer_id", String(36), nullable=False, unique=True),
    Column("pointer_id", String(36), nullable=False),
    Column("from_jurisdiction", String(2), nullable=False),
    Column("from_record_id", String(32), nullable=False),
    Column("to_jurisdiction", String(2), nullable=False),
    Column("to_record_id", String(32), nullable=False),
    Column("status", String(24), nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("answered_by", String(100)),
    Column("answered_at", DateTime(timezone=True)),
    Index("ix_transfers_pointer_id", "pointer_id"),
    Index("ix_transfers_from_jurisdiction_status", "from_jurisdiction", "status"),
)

# Per-state counters: a notification takes the next number of its state under the counter
# row's lock, so numbers are gapless and commit in order and a cursor never skips one.
notification_counters = Table(
    "notification_counters",
    metadata,
    Column("jurisdiction", String(2), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

notifications = Table(
    "notifications",
    metadata,
    Column("jurisdiction", String(2), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(40), nullable=False),
    Column("ref", String(36), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Webhook delivery state: NULL delivered_at and a due next_attempt_at mean "send".
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("delivered_at", DateTime(timezone=True)),
    Column("last_error", String(200)),
    Index("ix_notifications_next_attempt_at", "next_attempt_at"),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("jurisdiction", String(2), primary_key=True),
    Column("url", String(500), nullable=False),
    Column("secret", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

__all__ = ["case_events", "cases", "notification_counters", "notifications", "transfers",
           "webhooks"]  # fmt: skip

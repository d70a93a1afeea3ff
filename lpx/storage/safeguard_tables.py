"""Tables of the privacy safeguards: rate counters, enumeration features and alerts, outside
requests and their notices. Migration 0004 creates them.

Nothing here holds a name or a birth date in clear: enumeration features are keyed hashes,
and an outside request keeps only the pointers its named individuals resolved to.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from lpx.storage.tables import PK, metadata

# Fixed-window counters shared by every hub process (the database default of RateLimiter).
rate_counters = Table(
    "rate_counters",
    metadata,
    Column("key", String(160), primary_key=True),
    Column("window_start", BigInteger, primary_key=True, autoincrement=False),
    Column("count", Integer, nullable=False),
)

# One row per search inquiry, kept for the detection window only, then purged.
enumeration_features = Table(
    "enumeration_features",
    metadata,
    Column("id", PK, primary_key=True, autoincrement=True),
    Column("jurisdiction", String(2), nullable=False),
    Column("user_id", String(100), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("dob_hash", String(32), nullable=False),
    Column("surname_hash", String(32), nullable=False),
    Column("off_hours", Integer, nullable=False),
    Index("ix_enumeration_features_user_at", "jurisdiction", "user_id", "at"),
    Index("ix_enumeration_features_at", "at"),  # the purge of expired features
)

enumeration_alerts = Table(
    "enumeration_alerts",
    metadata,
    Column("id", PK, primary_key=True, autoincrement=True),
    Column("alert_id", String(36), nullable=False, unique=True),
    Column("jurisdiction", String(2), nullable=False),
    Column("user_id", String(100), nullable=False),
    Column("credential_id", BigInteger, nullable=False),
    Column("patterns", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("throttled_until", DateTime(timezone=True), nullable=False),
    Index("ix_enumeration_alerts_user", "jurisdiction", "user_id", "throttled_until"),
    Index("ix_enumeration_alerts_credential", "credential_id", "throttled_until"),
)

# The states whose records the flagged user's recent inquiries touched: they see the alert.
enumeration_alert_states = Table(
    "enumeration_alert_states",
    metadata,
    Column("alert_id", String(36), primary_key=True),
    Column("jurisdiction", String(2), primary_key=True),
)

outside_requests = Table(
    "outside_requests",
    metadata,
    Column("id", PK, primary_key=True, autoincrement=True),
    Column("request_id", String(36), nullable=False, unique=True),
    Column("requester", String(200), nullable=False),
    Column("legal_basis", Text, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("individuals", Integer, nullable=False),
    Column("gag_until", Date),
    Column("registered_by", String(100), nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(10), nullable=False),
    Column("decided_by", String(100)),
    Column("decided_at", DateTime(timezone=True)),
    Column("decision_basis", Text),
    Column("overruled", String(200)),
)

# The pointers the named individuals resolved to (no names are stored).
outside_scope = Table(
    "outside_scope",
    metadata,
    Column("request_id", String(36), primary_key=True),
    Column("pointer_id", String(36), primary_key=True),
    Column("jurisdiction", String(2), nullable=False),
)

outside_notices = Table(
    "outside_notices",
    metadata,
    Column("request_id", String(36), primary_key=True),
    Column("jurisdiction", String(2), primary_key=True),
    Column("held_until", Date),
    Column("sent_at", DateTime(timezone=True)),
    Column("objection_deadline", DateTime(timezone=True)),
    Column("objection", Text),
    Column("objected_by", String(100)),
    Column("objected_at", DateTime(timezone=True)),
)

"""Table definitions (SQLAlchemy Core). Migrations in ``lpx/storage/migrations`` create them.

Identity fields live in one ``identity`` document per pointer so that a later migration
can encrypt it whole under the state's key; only hashed blocking keys are indexed.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
PK = BigInteger().with_variant(Integer(), "sqlite")

jurisdictions = Table(
    "jurisdictions",
    metadata,
    Column("code", String(2), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

credentials = Table(
    "credentials",
    metadata,
    Column("id", PK, primary_key=True, autoincrement=True),
    Column("jurisdiction", String(2), ForeignKey("jurisdictions.code"), nullable=False),
    Column("label", String(100), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("roles", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

pointers = Table(
    "pointers",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("pointer_id", String(36), nullable=False, unique=True),
    Column("jurisdiction", String(2), ForeignKey("jurisdictions.code"), nullable=False),
    Column("record_id", String(32), nullable=False),
    Column("card_type", String(8), nullable=False),
    Column("real_id", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("issue_date", Date),
    Column("expiry_date", Date),
    Column("identity", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("jurisdiction", "record_id", name="uq_pointers_jurisdiction_record_id"),
)

# No foreign key to pointers (migration 0009): a bulk load writes ~20 rows here per pointer
# and the per-row check cost more than the rest of the COPY. Whatever deletes a pointer
# deletes its blocks in the same transaction (repositories, withdrawal, crypto-shredding).
pointer_blocks = Table(
    "pointer_blocks",
    metadata,
    Column("block_key", BigInteger, primary_key=True),
    Column("pointer_pk", PK, primary_key=True),
    Index("ix_pointer_blocks_pointer_pk", "pointer_pk"),
    sqlite_with_rowid=False,
)

inquiries = Table(
    "inquiries",
    metadata,
    Column("id", PK, primary_key=True, autoincrement=True),
    Column("inquiry_id", String(36), nullable=False, unique=True),
    Column("jurisdiction", String(2), nullable=False),
    Column("user_id", String(100), nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("candidates", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # The pointer ids the inquiry showed (space separated, at most 10) and the one whose SSN
    # tokens a carry returned: the carry names the inquiry instead of repeating it (0011).
    Column("shown", String(400), nullable=True),
    Column("carried", String(36), nullable=True),
    # The guard counts each user's recent inquiries and misses before every search (0012).
    Index("ix_inquiries_user_created", "jurisdiction", "user_id", "created_at"),
)

# The audit log (lpx/audit). Sequence numbers are Merkle leaf indices: assigned, gapless,
# never auto-incremented. Times are microseconds since the epoch, as inside the signed leaves.
audit_entries = Table(
    "audit_entries",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("time_us", BigInteger, nullable=False),
    Column("leaf_data", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
)

# Which jurisdictions each entry touched, and the entry's position among that jurisdiction's
# entries: the feed reads (jurisdiction, seq) through the primary key.
audit_entry_jurisdictions = Table(
    "audit_entry_jurisdictions",
    metadata,
    Column("jurisdiction", String(2), primary_key=True),
    Column("seq", BigInteger, ForeignKey("audit_entries.seq"), primary_key=True),
    Column("position", BigInteger, nullable=False),
    UniqueConstraint("jurisdiction", "position", name="uq_audit_entry_jurisdictions_position"),
)

# Perfect-subtree hashes above the leaves, written when a tree head is sealed, so proofs
# read O(log n) rows. (level, idx) covers leaves [idx * 2**level, (idx + 1) * 2**level).
audit_tree_nodes = Table(
    "audit_tree_nodes",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

audit_tree_heads = Table(
    "audit_tree_heads",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("time_us", BigInteger, nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
)

# One row per counter ("append": log size and last entry time). Appending updates the row,
# which takes its lock until commit: appends are serialized and commit in sequence order.
audit_counters = Table(
    "audit_counters",
    metadata,
    Column("name", String(20), primary_key=True),
    Column("value", BigInteger, nullable=False),
    Column("time_us", BigInteger, nullable=False),
)

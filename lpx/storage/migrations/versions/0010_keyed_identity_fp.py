"""keyed case fingerprints: cases.identity_fp widens for the ``k1:`` form

A duplicate case's ``identity_fp`` was an unkeyed SHA-256 of both match profiles, so after a
state withdrew, a backup still let anyone confirm a guessed identity against it. It is now
an HMAC under both states' fingerprint keys (``IdentityCodec.fingerprint_key``, which
crypto-shredding destroys), stored as ``k1:<64 hex>`` (67 characters), hence the width.

A migration holds no keys, so rows written before this revision keep their unkeyed value
until ``lpx keyadmin reencrypt --jurisdiction XX`` keys them in place (the keyed form is
computed from the unkeyed one) or ``lpx keyadmin destroy`` replaces them; meanwhile the case
opener still honours them (a card-only update of a pair resolved as different people does
not re-raise it).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases') as batch_op:
        batch_op.alter_column('identity_fp', existing_type=sa.String(length=64),
                              type_=sa.String(length=80), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch_op:
        batch_op.alter_column('identity_fp', existing_type=sa.String(length=80),
                              type_=sa.String(length=64), existing_nullable=False)

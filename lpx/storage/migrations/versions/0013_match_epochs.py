"""match epochs: case opening looks for candidates before it takes its lock

A write now looks for its pointers' candidates before the case-opening lock, so one batch's
lookup and scoring overlap the case opening of the batch before it. Under the lock it takes
the next epoch (``match_epoch``, one row made by the first write, its row lock serializing
case opening as the advisory lock did) and lists the pointers it wrote (``match_writes``), so a writer whose
lookup ran before another's commit finds those pointers by epoch.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'match_epoch',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_match_epoch')),
    )
    op.create_table(
        'match_writes',
        sa.Column('epoch', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('pointer_pk', PK, autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint('epoch', 'pointer_pk', name=op.f('pk_match_writes')),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table('match_writes')
    op.drop_table('match_epoch')

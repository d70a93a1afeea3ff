"""upload sessions: resumable state-file loads and their progress

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('uploads',
    sa.Column('upload_id', sa.String(length=36), nullable=False),
    sa.Column('jurisdiction', sa.String(length=2), nullable=False),
    sa.Column('fingerprint', sa.String(length=100), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('batches', sa.Integer(), nullable=False),
    sa.Column('rows_read', sa.BigInteger(), nullable=False),
    sa.Column('rows_sent', sa.BigInteger(), nullable=False),
    sa.Column('added', sa.BigInteger(), nullable=False),
    sa.Column('updated', sa.BigInteger(), nullable=False),
    sa.Column('unchanged', sa.BigInteger(), nullable=False),
    sa.Column('rejected', sa.BigInteger(), nullable=False),
    sa.Column('withheld', sa.BigInteger(), nullable=False),
    sa.Column('held_back', sa.BigInteger(), nullable=False),
    sa.Column('rejected_reasons', sa.Text(), nullable=False),
    sa.Column('cases_opened', sa.Text(), nullable=False),
    sa.Column('started_by', sa.String(length=100), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('upload_id', name=op.f('pk_uploads')),
    sa.UniqueConstraint('jurisdiction', 'fingerprint', name=op.f('uq_uploads_jurisdiction')),
    )
    op.create_index('ix_uploads_jurisdiction_started_at', 'uploads',
                    ['jurisdiction', 'started_at'])


def downgrade() -> None:
    op.drop_index('ix_uploads_jurisdiction_started_at', table_name='uploads')
    op.drop_table('uploads')

"""workflows: duplicate cases, transfers, notifications, webhooks

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('cases',
    sa.Column('pk', PK, autoincrement=True, nullable=False),
    sa.Column('case_id', sa.String(36), nullable=False),
    sa.Column('pair_key', sa.String(73), nullable=False),
    sa.Column('identity_fp', sa.String(64), nullable=False),
    sa.Column('pointer_a', sa.String(36), nullable=False),
    sa.Column('jurisdiction_a', sa.String(2), nullable=False),
    sa.Column('record_id_a', sa.String(32), nullable=False),
    sa.Column('pointer_b', sa.String(36), nullable=False),
    sa.Column('jurisdiction_b', sa.String(2), nullable=False),
    sa.Column('record_id_b', sa.String(32), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('match_class', sa.String(16), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('real_id_conflict', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(24), nullable=False),
    sa.Column('opened_at', TS, nullable=False),
    sa.Column('updated_at', TS, nullable=False),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_cases')),
    sa.UniqueConstraint('case_id', name=op.f('uq_cases_case_id')),
    )
    op.create_index('ix_cases_pair_key', 'cases', ['pair_key'])
    op.create_index('ix_cases_jurisdiction_a_status', 'cases', ['jurisdiction_a', 'status'])
    op.create_index('ix_cases_jurisdiction_b_status', 'cases', ['jurisdiction_b', 'status'])
    op.create_table('case_events',
    sa.Column('pk', PK, autoincrement=True, nullable=False),
    sa.Column('case_id', sa.String(36), nullable=False),
    sa.Column('from_status', sa.String(24), nullable=True),
    sa.Column('to_status', sa.String(24), nullable=False),
    sa.Column('jurisdiction', sa.String(2), nullable=False),
    sa.Column('user_id', sa.String(100), nullable=False),
    sa.Column('at', TS, nullable=False),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_case_events')),
    )
    op.create_index('ix_case_events_case_id', 'case_events', ['case_id'])
    op.create_table('transfers',
    sa.Column('pk', PK, autoincrement=True, nullable=False),
    sa.Column('transfer_id', sa.String(36), nullable=False),
    sa.Column('pointer_id', sa.String(36), nullable=False),
    sa.Column('from_jurisdiction', sa.String(2), nullable=False),
    sa.Column('from_record_id', sa.String(32), nullable=False),
    sa.Column('to_jurisdiction', sa.String(2), nullable=False),
    sa.Column('to_record_id', sa.String(32), nullable=False),
    sa.Column('status', sa.String(24), nullable=False),
    sa.Column('requested_by', sa.String(100), nullable=False),
    sa.Column('requested_at', TS, nullable=False),
    sa.Column('answered_by', sa.String(100), nullable=True),
    sa.Column('answered_at', TS, nullable=True),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_transfers')),
    sa.UniqueConstraint('transfer_id', name=op.f('uq_transfers_transfer_id')),
    )
    op.create_index('ix_transfers_pointer_id', 'transfers', ['pointer_id'])
    op.create_index('ix_transfers_from_jurisdiction_status', 'transfers',
                    ['from_jurisdiction', 'status'])
    op.create_table('notification_counters',
    sa.Column('jurisdiction', sa.String(2), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('jurisdiction', name=op.f('pk_notification_counters')),
    )
    op.create_table('notifications',
    sa.Column('jurisdiction', sa.String(2), nullable=False),
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(40), nullable=False),
    sa.Column('ref', sa.String(36), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', TS, nullable=True),
    sa.Column('delivered_at', TS, nullable=True),
    sa.Column('last_error', sa.String(200), nullable=True),
    sa.PrimaryKeyConstraint('jurisdiction', 'seq', name=op.f('pk_notifications')),
    )
    op.create_index('ix_notifications_next_attempt_at', 'notifications', ['next_attempt_at'])
    op.create_table('webhooks',
    sa.Column('jurisdiction', sa.String(2), nullable=False),
    sa.Column('url', sa.String(500), nullable=False),
    sa.Column('secret', sa.String(64), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.PrimaryKeyConstraint('jurisdiction', name=op.f('pk_webhooks')),
    )


def downgrade() -> None:
    for table in ('webhooks', 'notifications', 'notification_counters', 'transfers',
                  'case_events', 'cases'):
        op.drop_table(table)

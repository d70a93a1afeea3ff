"""privacy safeguards: rate counters, enumeration alerts, outside requests

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0002'
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('rate_counters',
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('window_start', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'window_start', name=op.f('pk_rate_counters'))
    )
    op.create_table('enumeration_features',
    sa.Column('id', PK, autoincrement=True, nullable=False),
    sa.Column('jurisdiction', sa.String(length=2), nullable=False),
    sa.Column('user_id', sa.String(length=100), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dob_hash', sa.String(length=32), nullable=False),
    sa.Column('surname_hash', sa.String(length=32), nullable=False),
    sa.Column('off_hours', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enumeration_features'))
    )
    op.create_index('ix_enumeration_features_user_at', 'enumeration_features',
                    ['jurisdiction', 'user_id', 'at'])
    op.create_table('enumeration_alerts',
    sa.Column('id', PK, autoincrement=True, nullable=False),
    sa.Column('alert_id', sa.String(length=36), nullable=False),
    sa.Column('jurisdiction', sa.String(length=2), nullable=False),
    sa.Column('user_id', sa.String(length=100), nullable=False),
    sa.Column('credential_id', sa.BigInteger(), nullable=False),
    sa.Column('patterns', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('throttled_until', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enumeration_alerts')),
    sa.UniqueConstraint('alert_id', name=op.f('uq_enumeration_alerts_alert_id'))
    )
    op.create_index('ix_enumeration_alerts_user', 'enumeration_alerts',
                    ['jurisdiction', 'user_id', 'throttled_until'])
    op.create_table('enumeration_alert_states',
    sa.Column('alert_id', sa.String(length=36), nullable=False),
    sa.Column('jurisdiction', sa.String(length=2), nullable=False),
    sa.PrimaryKeyConstraint('alert_id', 'jurisdiction', name=op.f('pk_enumeration_alert_states'))
    )
    op.create_table('outside_requests',
    sa.Column('id', PK, autoincrement=True, nullable=False),
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('requester', sa.String(length=200), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('individuals', sa.Integer(), nullable=False),
    sa.Column('gag_until', sa.Date(), nullable=True),
    sa.Column('registered_by', sa.String(length=100), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_basis', sa.Text(), nullable=True),
    sa.Column('overruled', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outside_requests')),
    sa.UniqueConstraint('request_id', name=op.f('uq_outside_requests_request_id'))
    )
    op.create_table('outside_scope',
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('pointer_id', sa.String(length=36), nullable=False),
    sa.Column('jurisdiction', sa.String(length=2), nullable=False),
    sa.PrimaryKeyConstraint('request_id', 'pointer_id', name=op.f('pk_outside_scope'))
    )
    op.create_table('outside_notices',
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('jurisdiction', sa.String(length=2), nullable=False),
    sa.Column('held_until', sa.Date(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('objection_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('objection', sa.Text(), nullable=True),
    sa.Column('objected_by', sa.String(length=100), nullable=True),
    sa.Column('objected_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('request_id', 'jurisdiction', name=op.f('pk_outside_notices'))
    )


def downgrade() -> None:
    op.drop_table('outside_notices')
    op.drop_table('outside_scope')
    op.drop_table('outside_requests')
    op.drop_table('enumeration_alert_states')
    op.drop_index('ix_enumeration_alerts_user', table_name='enumeration_alerts')
    op.drop_table('enumeration_alerts')
    op.drop_index('ix_enumeration_features_user_at', table_name='enumeration_features')
    op.drop_table('enumeration_features')
    op.drop_table('rate_counters')

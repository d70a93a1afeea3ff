"""guard indexes: the reads every search makes before it is answered, by index

The inquiry guard counts a user's recent inquiries and misses (``inquiries`` by state, user
and time), purges detection features past the window (``enumeration_features`` by time) and
checks whether the user's credential is throttled (``enumeration_alerts`` by credential).
Without these indexes each was a scan of its whole table on every search, so a search
slowed as the hub's history grew.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_inquiries_user_created', 'inquiries',
                    ['jurisdiction', 'user_id', 'created_at'])
    op.create_index('ix_enumeration_features_at', 'enumeration_features', ['at'])
    op.create_index('ix_enumeration_alerts_credential', 'enumeration_alerts',
                    ['credential_id', 'throttled_until'])


def downgrade() -> None:
    op.drop_index('ix_enumeration_alerts_credential', table_name='enumeration_alerts')
    op.drop_index('ix_enumeration_features_at', table_name='enumeration_features')
    op.drop_index('ix_inquiries_user_created', table_name='inquiries')

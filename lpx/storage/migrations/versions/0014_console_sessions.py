"""console sessions: sign-ins shared by every hub process

The console kept its sign-ins in each process's memory, so a hub run with several workers
signed a user out whenever a request reached another worker. The table holds them for all,
each row's API key sealed under a key derived from the session id in the user's cookie.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'console_sessions',
        sa.Column('sid_hash', sa.LargeBinary(length=32), nullable=False),
        sa.Column('user_id', sa.String(length=200), nullable=False),
        sa.Column('sealed_key', sa.LargeBinary(), nullable=False),
        sa.Column('created', sa.Float(), nullable=False),
        sa.Column('last_seen', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('sid_hash', name=op.f('pk_console_sessions')),
    )
    op.create_index(op.f('ix_console_sessions_created'), 'console_sessions', ['created'])


def downgrade() -> None:
    op.drop_index(op.f('ix_console_sessions_created'), table_name='console_sessions')
    op.drop_table('console_sessions')

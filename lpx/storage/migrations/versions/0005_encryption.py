"""encryption at rest: per-state data keys; upload policies

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-01

The ``pointers.identity`` column keeps its text type: sealed documents are stored as
``lpx1:<key version>:<base64>``. Rows written before this revision stay readable as
plaintext JSON; a migration holds no keys, so they are sealed when next written or by
``lpx keyadmin reencrypt --jurisdiction XX`` (see docs/privacy.md).
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('state_data_keys',
    sa.Column('jurisdiction', sa.String(length=2), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('key_id', sa.String(length=36), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('destroyed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['jurisdiction'], ['jurisdictions.code'], name=op.f('fk_state_data_keys_jurisdiction_jurisdictions')),
    sa.PrimaryKeyConstraint('jurisdiction', 'version', name=op.f('pk_state_data_keys'))
    )
    op.create_table('upload_policies',
    sa.Column('jurisdiction', sa.String(length=2), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction'], ['jurisdictions.code'], name=op.f('fk_upload_policies_jurisdiction_jurisdictions')),
    sa.PrimaryKeyConstraint('jurisdiction', name=op.f('pk_upload_policies'))
    )


def downgrade() -> None:
    op.drop_table('upload_policies')
    op.drop_table('state_data_keys')

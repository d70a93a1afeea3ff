"""mobile licence: state IACA roots and status-list indices

Revision ID: 0006
Revises: 0002
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mdl_iaca',
    sa.Column('jurisdiction', sa.String(length=2), nullable=False),
    sa.Column('certificate', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction'], ['jurisdictions.code'], name=op.f('fk_mdl_iaca_jurisdiction_jurisdictions')),
    sa.PrimaryKeyConstraint('jurisdiction', name=op.f('pk_mdl_iaca'))
    )
    op.create_table('mdl_status_indices',
    sa.Column('jurisdiction', sa.String(length=2), nullable=False),
    sa.Column('idx', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('pointer_id', sa.String(length=36), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('jurisdiction', 'idx', name=op.f('pk_mdl_status_indices'))
    )
    op.create_index('ix_mdl_status_indices_pointer_id', 'mdl_status_indices', ['pointer_id'], unique=False)
    op.create_index('ix_mdl_status_indices_jurisdiction_revoked', 'mdl_status_indices', ['jurisdiction', 'revoked'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_mdl_status_indices_jurisdiction_revoked', table_name='mdl_status_indices')
    op.drop_index('ix_mdl_status_indices_pointer_id', table_name='mdl_status_indices')
    op.drop_table('mdl_status_indices')
    op.drop_table('mdl_iaca')

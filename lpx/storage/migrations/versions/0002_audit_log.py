"""audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_entries',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('time_us', sa.BigInteger(), nullable=False),
    sa.Column('leaf_data', sa.LargeBinary(), nullable=False),
    sa.Column('leaf_hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_entries'))
    )
    op.create_table('audit_entry_jurisdictions',
    sa.Column('jurisdiction', sa.String(length=2), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['audit_entries.seq'], name=op.f('fk_audit_entry_jurisdictions_seq_audit_entries')),
    sa.PrimaryKeyConstraint('jurisdiction', 'seq', name=op.f('pk_audit_entry_jurisdictions')),
    sa.UniqueConstraint('jurisdiction', 'position', name='uq_audit_entry_jurisdictions_position')
    )
    op.create_table('audit_tree_nodes',
    sa.Column('level', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('level', 'idx', name=op.f('pk_audit_tree_nodes'))
    )
    op.create_table('audit_tree_heads',
    sa.Column('size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('time_us', sa.BigInteger(), nullable=False),
    sa.Column('signature', sa.LargeBinary(length=64), nullable=False),
    sa.PrimaryKeyConstraint('size', name=op.f('pk_audit_tree_heads'))
    )
    op.create_table('audit_counters',
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('time_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_audit_counters'))
    )


def downgrade() -> None:
    op.drop_table('audit_counters')
    op.drop_table('audit_tree_heads')
    op.drop_table('audit_tree_nodes')
    op.drop_table('audit_entry_jurisdictions')
    op.drop_table('audit_entries')

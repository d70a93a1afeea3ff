"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inquiries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('inquiry_id', sa.String(length=36), nullable=False),
    sa.Column('jurisdiction', sa.String(length=2), nullable=False),
    sa.Column('user_id', sa.String(length=100), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('candidates', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inquiries')),
    sa.UniqueConstraint('inquiry_id', name=op.f('uq_inquiries_inquiry_id'))
    )
    op.create_table('jurisdictions',
    sa.Column('code', sa.String(length=2), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_jurisdictions'))
    )
    op.create_table('credentials',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('jurisdiction', sa.String(length=2), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('roles', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['jurisdiction'], ['jurisdictions.code'], name=op.f('fk_credentials_jurisdiction_jurisdictions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credentials')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_credentials_key_hash'))
    )
    op.create_table('pointers',
    sa.Column('pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('pointer_id', sa.String(length=36), nullable=False),
    sa.Column('jurisdiction', sa.String(length=2), nullable=False),
    sa.Column('record_id', sa.String(length=32), nullable=False),
    sa.Column('card_type', sa.String(length=8), nullable=False),
    sa.Column('real_id', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=True),
    sa.Column('expiry_date', sa.Date(), nullable=True),
    sa.Column('identity', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction'], ['jurisdictions.code'], name=op.f('fk_pointers_jurisdiction_jurisdictions')),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_pointers')),
    sa.UniqueConstraint('jurisdiction', 'record_id', name='uq_pointers_jurisdiction_record_id'),
    sa.UniqueConstraint('pointer_id', name=op.f('uq_pointers_pointer_id'))
    )
    op.create_table('pointer_blocks',
    sa.Column('block_key', sa.BigInteger(), nullable=False),
    sa.Column('pointer_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['pointer_pk'], ['pointers.pk'], name=op.f('fk_pointer_blocks_pointer_pk_pointers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('block_key', 'pointer_pk', name=op.f('pk_pointer_blocks')),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('pointer_blocks', schema=None) as batch_op:
        batch_op.create_index('ix_pointer_blocks_pointer_pk', ['pointer_pk'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('pointer_blocks', schema=None) as batch_op:
        batch_op.drop_index('ix_pointer_blocks_pointer_pk')

    op.drop_table('pointer_blocks')
    op.drop_table('pointers')
    op.drop_table('credentials')
    op.drop_table('jurisdictions')
    op.drop_table('inquiries')

"""inquiry carry: each inquiry keeps the pointer ids it showed and the one it carried

The carry request (``POST /v1/inquiries/carry``) names the issuance inquiry that listed the
pointer instead of repeating it, so the hub must know which candidates that inquiry showed
and whether it has already carried one. The search's audit entry names the shown pointer
ids, but the log is indexed by state and sequence only: finding one inquiry's entry would
read every entry of the state since it. ``shown`` (the candidates' pointer ids, space
separated, at most 10) and ``carried`` (the pointer whose tokens were returned) sit on the
inquiry row, found by its unique ``inquiry_id``. Rows written before this revision have
neither, so they cannot be carried (an inquiry older than the carry window is refused anyway).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inquiries') as batch_op:
        batch_op.add_column(sa.Column('shown', sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column('carried', sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('inquiries') as batch_op:
        batch_op.drop_column('carried')
        batch_op.drop_column('shown')

"""bulk onboarding: no foreign key from pointer_blocks to pointers

A state's onboarding writes ~20 blocking-key rows per pointer; the foreign key made
PostgreSQL run a trigger and a primary-key lookup on ``pointers`` for every one of them
(COPY of 240k block rows: 8.5 s with it, 3.0 s without). Every path that deletes a pointer
deletes its blocks itself in the same transaction (PointerRepository.replace/remove,
WithdrawalRepository.remove_jurisdiction, crypto-shredding), so the cascade was never
relied on.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

FK = 'fk_pointer_blocks_pointer_pk_pointers'


def upgrade() -> None:
    # SQLite recreates the table (batch mode); keep it WITHOUT ROWID as 0001 made it.
    with op.batch_alter_table('pointer_blocks',
                              table_kwargs={'sqlite_with_rowid': False}) as batch_op:
        batch_op.drop_constraint(FK, type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('pointer_blocks',
                              table_kwargs={'sqlite_with_rowid': False}) as batch_op:
        batch_op.create_foreign_key(FK, 'pointers', ['pointer_pk'], ['pk'], ondelete='CASCADE')

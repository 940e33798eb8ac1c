"""electronic signatures (kernel/signatures.py): the `signatures` table; users' full name

Revision ID: 0020_signatures
Revises: 0019_perf
Create Date: 2026-12-07 02:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kernel.orm

revision = '0020_signatures'
down_revision = '0019_perf'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('full_name', sa.String(length=200), nullable=True))
    op.create_table('signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', kernel.orm.UtcDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('meaning', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('entity_key', sa.String(length=200), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('document_sha256', sa.String(length=64), nullable=True),
    sa.Column('data_fingerprint', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_signatures_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signatures'))
    )
    op.create_index(op.f('ix_signatures_at'), 'signatures', ['at'], unique=False)
    op.create_index('ix_signatures_entity_key', 'signatures', ['entity', 'entity_key'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_signatures_entity_key', table_name='signatures')
    op.drop_index(op.f('ix_signatures_at'), table_name='signatures')
    op.drop_table('signatures')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('full_name')

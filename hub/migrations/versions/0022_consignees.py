"""consignees (customers and receiving sites); a dispatch's consignee on the ledger

Revision ID: 0022_consignees
Revises: 0021_user_language
Create Date: 2026-12-07 05:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0022_consignees'
down_revision = '0021_user_language'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consignees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('contact', sa.String(length=200), nullable=True),
    sa.Column('gln', sa.String(length=13), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consignees')),
    sa.UniqueConstraint('code', name=op.f('uq_consignees_code')),
    sa.UniqueConstraint('gln', name=op.f('uq_consignees_gln'))
    )
    with op.batch_alter_table('moves') as batch_op:
        batch_op.add_column(sa.Column('consignee_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_moves_consignee_id_consignees'),
                                    'consignees', ['consignee_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_moves_consignee_id'), ['consignee_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('moves') as batch_op:
        batch_op.drop_index(batch_op.f('ix_moves_consignee_id'))
        batch_op.drop_constraint(batch_op.f('fk_moves_consignee_id_consignees'),
                                 type_='foreignkey')
        batch_op.drop_column('consignee_id')
    op.drop_table('consignees')

"""gateway status

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 10:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kernel.orm

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gateway_status',
    sa.Column('gateway', sa.String(length=64), nullable=False),
    sa.Column('site', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('last_seen', kernel.orm.UtcDateTime(timezone=True), nullable=False),
    sa.Column('status_ts', kernel.orm.UtcDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('outbox_depth', sa.BigInteger(), nullable=False),
    sa.Column('outbox_dropped', sa.BigInteger(), nullable=False),
    sa.Column('devices', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('gateway', name=op.f('pk_gateway_status'))
    )


def downgrade() -> None:
    op.drop_table('gateway_status')

"""share slots: the MQTT client ids of the hub's share group, so that a surviving hub
process can take over the broker session of one that died (contract/share_slots.py)

Revision ID: 0016_share_slots
Revises: 0015_account_policy
Create Date: 2026-12-07 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kernel.orm

revision = '0016_share_slots'
down_revision = '0015_account_policy'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('share_members',
    sa.Column('client_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('registered_at', kernel.orm.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_share_members'))
    )


def downgrade() -> None:
    op.drop_table('share_members')

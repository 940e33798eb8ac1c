"""alarm leadership: notices claimed once across hub processes, operator requests
handed to the leading process

Revision ID: 0011_alarm_leadership
Revises: 0010_readings
Create Date: 2026-12-06 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kernel.orm

revision = '0011_alarm_leadership'
down_revision = '0010_readings'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alarm_notices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('alarm_id', sa.Integer(), nullable=False),
    sa.Column('route', sa.String(length=64), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('what', sa.String(length=16), nullable=False),
    sa.Column('at', kernel.orm.UtcDateTime(timezone=True), nullable=False),
    sa.Column('term', sa.String(length=40), nullable=False),
    sa.Column('claimed_at', kernel.orm.UtcDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', kernel.orm.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['alarm_id'], ['alarms.id'],
                            name=op.f('fk_alarm_notices_alarm_id_alarms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_notices')),
    sa.UniqueConstraint('key', name=op.f('uq_alarm_notices_key'))
    )
    op.create_index(op.f('ix_alarm_notices_alarm_id'), 'alarm_notices', ['alarm_id'],
                    unique=False)
    op.create_table('alarm_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('alarm_id', sa.Integer(), nullable=True),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('until', kernel.orm.UtcDateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('error', sa.String(length=32), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('at', kernel.orm.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_requests'))
    )
    op.create_index('ix_alarm_requests_state_id', 'alarm_requests', ['state', 'id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_alarm_requests_state_id', table_name='alarm_requests')
    op.drop_table('alarm_requests')
    op.drop_index(op.f('ix_alarm_notices_alarm_id'), table_name='alarm_notices')
    op.drop_table('alarm_notices')

"""alarms: lifecycle, audit trail, excursions, notifications; tolerances and max stock

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kernel.orm import UtcDateTime

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


# Unchecked below: a revision is frozen history, kept as written; mypy skips this folder.
def _utc(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'alarms',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule', sa.String(length=160), nullable=False),
        sa.Column('subject', sa.String(length=160), nullable=False),
        sa.Column('open_key', sa.String(length=330), nullable=True),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('severity', sa.String(length=16), nullable=False),
        sa.Column('zone', sa.String(length=64), nullable=True),
        sa.Column('gateway', sa.String(length=64), nullable=True),
        sa.Column('value', sa.Float(), nullable=True),
        sa.Column('limit', sa.Float(), nullable=True),
        sa.Column('message', sa.Text(), nullable=False),
        _utc('raised_at'), _utc('updated_at'), _utc('cleared_at', True), _utc('closed_at', True),
        sa.Column('acked_by', sa.String(length=64), nullable=True),
        _utc('acked_at', True),
        sa.Column('ack_comment', sa.Text(), nullable=True),
        sa.Column('shelved', sa.Boolean(), nullable=False),
        _utc('shelved_until', True),
        sa.Column('shelved_by', sa.String(length=64), nullable=True),
        sa.Column('shelve_reason', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alarms')),
        sa.UniqueConstraint('open_key', name=op.f('uq_alarms_open_key')),
    )
    op.create_index('ix_alarms_state_zone', 'alarms', ['state', 'zone'])
    op.create_index(op.f('ix_alarms_zone'), 'alarms', ['zone'])
    op.create_table(
        'alarm_events',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('alarm_id', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(length=16), nullable=False),
        sa.Column('from_state', sa.String(length=16), nullable=False),
        sa.Column('to_state', sa.String(length=16), nullable=False),
        sa.Column('severity', sa.String(length=16), nullable=False),
        _utc('at'),
        sa.Column('by', sa.String(length=64), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('value', sa.Float(), nullable=True),
        sa.Column('message', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['alarm_id'], ['alarms.id'],
                                name=op.f('fk_alarm_events_alarm_id_alarms')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_events')),
    )
    op.create_index(op.f('ix_alarm_events_alarm_id'), 'alarm_events', ['alarm_id'])
    op.create_table(
        'excursions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sensor', sa.String(length=64), nullable=False),
        sa.Column('quantity', sa.String(length=32), nullable=False),
        sa.Column('zone', sa.String(length=64), nullable=True),
        _utc('start'), _utc('end', True),
        sa.Column('peak', sa.Float(), nullable=False),
        sa.Column('side', sa.String(length=8), nullable=False),
        sa.Column('severity', sa.String(length=16), nullable=False),
        sa.Column('above_s', sa.Float(), nullable=False),
        sa.Column('below_s', sa.Float(), nullable=False),
        sa.Column('critical_s', sa.Float(), nullable=False),
        sa.Column('tolerance_passed', sa.Boolean(), nullable=False),
        _utc('held_at', True),
        sa.Column('held_lots', sa.JSON(), nullable=False),
        sa.Column('hold_reason', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_excursions')),
    )
    op.create_index(op.f('ix_excursions_sensor'), 'excursions', ['sensor'])
    op.create_index('ix_excursions_zone_start', 'excursions', ['zone', 'start'])
    op.create_table(
        'alarm_notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('route', sa.String(length=64), nullable=False),
        sa.Column('group', sa.String(length=64), nullable=False),
        sa.Column('target', sa.String(length=96), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('alarm_ids', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        _utc('at'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_notifications')),
    )
    op.create_index(op.f('ix_alarm_notifications_status'), 'alarm_notifications', ['status'])
    op.create_index(op.f('ix_alarm_notifications_at'), 'alarm_notifications', ['at'])
    op.create_table(
        'alarm_settings',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('value', sa.JSON(), nullable=False),
        _utc('updated_at'),
        sa.Column('updated_by', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_alarm_settings')),
    )
    with op.batch_alter_table('storage_classes') as batch:
        batch.add_column(sa.Column('excursion_tolerance_s', sa.Integer(), nullable=True))
    with op.batch_alter_table('zones') as batch:
        batch.add_column(sa.Column('excursion_tolerance_s', sa.Integer(), nullable=True))
    with op.batch_alter_table('items') as batch:
        batch.add_column(sa.Column('max_stock', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('items') as batch:
        batch.drop_column('max_stock')
    with op.batch_alter_table('zones') as batch:
        batch.drop_column('excursion_tolerance_s')
    with op.batch_alter_table('storage_classes') as batch:
        batch.drop_column('excursion_tolerance_s')
    for table in ('alarm_settings', 'alarm_notifications', 'excursions', 'alarm_events',
                  'alarms'):
        op.drop_table(table)

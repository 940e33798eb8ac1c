"""calibration: what gateways apply to each sensor (profile, offsets; each change) and
the sensors' calibration records; the start of an alarm's episode (issue 17)

Revision ID: 0012_calibration
Revises: 0011_alarm_leadership
Create Date: 2026-12-06 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kernel.orm

revision = '0012_calibration'
down_revision = '0011_alarm_leadership'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alarms') as batch:
        batch.add_column(sa.Column('episode_since', kernel.orm.UtcDateTime(timezone=True),
                                   nullable=True))
    op.create_table('sensor_applied_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sensor', sa.String(length=64), nullable=False),
    sa.Column('gateway', sa.String(length=64), nullable=False),
    sa.Column('profile', sa.String(length=64), nullable=True),
    sa.Column('calibration', sa.JSON(), nullable=False),
    sa.Column('since', kernel.orm.UtcDateTime(timezone=True), nullable=False),
    sa.Column('received_at', kernel.orm.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sensor_applied_settings'))
    )
    op.create_index('ix_sensor_applied_settings_sensor_since', 'sensor_applied_settings',
                    ['sensor', 'since'], unique=False)
    op.create_table('sensor_calibrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sensor', sa.String(length=64), nullable=False),
    sa.Column('calibrated_on', sa.Date(), nullable=False),
    sa.Column('certificate', sa.String(length=64), nullable=False),
    sa.Column('laboratory', sa.String(length=128), nullable=False),
    sa.Column('as_found_error', sa.JSON(), nullable=False),
    sa.Column('as_left_error', sa.JSON(), nullable=False),
    sa.Column('offset', sa.JSON(), nullable=False),
    sa.Column('next_due', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('entered_by', sa.String(length=64), nullable=False),
    sa.Column('entered_at', kernel.orm.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sensor_calibrations'))
    )
    op.create_index('ix_sensor_calibrations_sensor_on', 'sensor_calibrations',
                    ['sensor', 'calibrated_on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('alarms') as batch:
        batch.drop_column('episode_since')
    op.drop_index('ix_sensor_calibrations_sensor_on', table_name='sensor_calibrations')
    op.drop_table('sensor_calibrations')
    op.drop_index('ix_sensor_applied_settings_sensor_since', table_name='sensor_applied_settings')
    op.drop_table('sensor_applied_settings')

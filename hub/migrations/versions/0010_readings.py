"""readings: every good value per sensor, quantity and time, for the reports' time
out of range (docs/reports.md)

Revision ID: 0010_readings
Revises: 0009
Create Date: 2026-12-06 23:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kernel.orm

revision = '0010_readings'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('readings',
    sa.Column('sensor_id', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.String(length=32), nullable=False),
    sa.Column('ts', kernel.orm.UtcDateTime(timezone=True), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['sensor_id'], ['sensors.id'],
                            name=op.f('fk_readings_sensor_id_sensors')),
    sa.PrimaryKeyConstraint('sensor_id', 'quantity', 'ts', name=op.f('pk_readings')),
    sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table('readings')

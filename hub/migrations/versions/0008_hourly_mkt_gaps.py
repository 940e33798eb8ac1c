"""hourly statistics for compliance reports: kinetic sums, gaps; MKT per storage class

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-25 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kernel.orm

revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN of nullable columns: SQLite and PostgreSQL alike, no table copy.
    op.add_column('hourly_stats', sa.Column('first_ts', kernel.orm.UtcDateTime(timezone=True),
                                            nullable=True))
    op.add_column('hourly_stats', sa.Column('last_ts', kernel.orm.UtcDateTime(timezone=True),
                                            nullable=True))
    op.add_column('hourly_stats', sa.Column('max_gap_s', sa.Float(), nullable=True))
    op.add_column('hourly_stats', sa.Column('exp_sum', sa.Float(), nullable=True))
    op.add_column('hourly_stats', sa.Column('delta_h', sa.Float(), nullable=True))
    op.add_column('storage_classes', sa.Column('mkt_delta_h', sa.Float(), nullable=True))
    op.add_column('storage_classes', sa.Column('mkt_window_h', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('storage_classes') as batch:
        batch.drop_column('mkt_window_h')
        batch.drop_column('mkt_delta_h')
    with op.batch_alter_table('hourly_stats') as batch:
        for column in ('delta_h', 'exp_sum', 'max_gap_s', 'last_ts', 'first_ts'):
            batch.drop_column(column)

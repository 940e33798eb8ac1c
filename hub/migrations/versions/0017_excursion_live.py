"""an excursion's live figures: the last value read, when its figures were counted
up to, and the zone's tolerance (the excursion page follows an excursion under way)

Revision ID: 0017_excursion_live
Revises: 0016_share_slots
Create Date: 2026-12-07 02:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kernel.orm

revision = '0017_excursion_live'
down_revision = '0016_share_slots'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('excursions') as batch:
        batch.add_column(sa.Column('last_value', sa.Float(), nullable=True))
        batch.add_column(sa.Column('updated_at', kernel.orm.UtcDateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column('tolerance_s', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('excursions') as batch:
        batch.drop_column('tolerance_s')
        batch.drop_column('updated_at')
        batch.drop_column('last_value')

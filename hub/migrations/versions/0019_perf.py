"""performance (issue 20): the lots index for FEFO pick order, and no foreign key
from the stored readings to their sensors

- `ix_lots_item_pick`: a dispatch's first statement walks an item's lots by
  (expiry, receipt, id) and stops after the balances it needs, so its cost stays
  flat as lots and ledger rows grow (docs/performance.md).
- `readings.sensor_id` keeps no foreign key: PostgreSQL checked it with one query
  per stored value (two per reading), the largest part of a batch's database time.
  Ingest upserts a batch's sensors in the same transaction before its readings,
  and no path deletes a sensor, so every stored reading still has its sensor.

Revision ID: 0019_perf
Revises: 0018_reading_imports
Create Date: 2026-12-07 02:20:00
"""

from __future__ import annotations

from alembic import op

revision = '0019_perf'
down_revision = '0018_reading_imports'
branch_labels = None
depends_on = None

_FK = 'fk_readings_sensor_id_sensors'


def upgrade() -> None:
    op.create_index('ix_lots_item_pick', 'lots', ['item_id', 'expiry', 'received_at', 'id'],
                    unique=False)
    # SQLite alters a table by copying it: keep it WITHOUT ROWID, as 0010 made it.
    with op.batch_alter_table('readings', table_kwargs={'sqlite_with_rowid': False}) as batch:
        batch.drop_constraint(_FK, type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('readings', table_kwargs={'sqlite_with_rowid': False}) as batch:
        batch.create_foreign_key(_FK, 'sensors', ['sensor_id'], ['id'])
    op.drop_index('ix_lots_item_pick', table_name='lots')

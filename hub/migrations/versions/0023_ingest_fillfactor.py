"""ingest: fill factor of sensors, latest_readings and hourly_stats (PostgreSQL)

Each ingest batch updates its sensors' rows in these three tables; with room left
on each page an update stays on its page (HOT), without a new index entry. Only
pages written from now on keep that room. SQLite has no such setting.

Revision ID: 0023_ingest_fillfactor
Revises: 0022_consignees
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0023_ingest_fillfactor"
down_revision = "0022_consignees"
branch_labels = None
depends_on = None

FILLFACTORS = {"sensors": 50, "latest_readings": 50, "hourly_stats": 70}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, fillfactor in FILLFACTORS.items():
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {fillfactor})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in FILLFACTORS:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")

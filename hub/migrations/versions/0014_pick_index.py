"""the lots index for FEFO pick order: a dispatch's first statement walks an item's
lots by (expiry, receipt, id) and stops after the balances it needs, so its cost
stays flat as lots and ledger rows grow (docs/performance.md)

Revision ID: 0014_pick_index
Revises: 0013_audit
Create Date: 2026-12-07 02:20:00
"""

from __future__ import annotations

from alembic import op

revision = '0014_pick_index'
down_revision = '0013_audit'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_lots_item_pick', 'lots', ['item_id', 'expiry', 'received_at', 'id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_lots_item_pick', table_name='lots')

"""stocktakes, returns held per lot and bin, item unit cost

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-25 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kernel.orm

revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None

UTC = kernel.orm.UtcDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_cost', sa.Numeric(12, 4), nullable=True))

    with op.batch_alter_table('balances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_balances_held_within_quantity'), 'held >= 0 AND held <= quantity')

    op.create_table('stocktakes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('blind', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('opened_by', sa.Integer(), nullable=False),
    sa.Column('opened_at', UTC, nullable=False),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.Column('closed_at', UTC, nullable=True),
    sa.Column('close_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_stocktakes_zone_id_zones')),
    sa.ForeignKeyConstraint(['opened_by'], ['users.id'], name=op.f('fk_stocktakes_opened_by_users')),
    sa.ForeignKeyConstraint(['closed_by'], ['users.id'], name=op.f('fk_stocktakes_closed_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktakes'))
    )
    with op.batch_alter_table('stocktakes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stocktakes_status'), ['status'], unique=False)

    op.create_table('stocktake_bins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stocktake_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['stocktake_id'], ['stocktakes.id'], name=op.f('fk_stocktake_bins_stocktake_id_stocktakes')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_stocktake_bins_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktake_bins')),
    sa.UniqueConstraint('stocktake_id', 'location_id', name=op.f('uq_stocktake_bins_stocktake_id'))
    )
    with op.batch_alter_table('stocktake_bins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stocktake_bins_location_id'), ['location_id'], unique=False)

    op.create_table('stocktake_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stocktake_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('book_at_open', sa.Integer(), nullable=False),
    sa.Column('counted', sa.Integer(), nullable=True),
    sa.Column('book_at_count', sa.Integer(), nullable=True),
    sa.Column('counted_by', sa.Integer(), nullable=True),
    sa.Column('counted_at', UTC, nullable=True),
    sa.ForeignKeyConstraint(['stocktake_id'], ['stocktakes.id'], name=op.f('fk_stocktake_lines_stocktake_id_stocktakes')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_stocktake_lines_item_id_items')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_stocktake_lines_lot_id_lots')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_stocktake_lines_location_id_locations')),
    sa.ForeignKeyConstraint(['counted_by'], ['users.id'], name=op.f('fk_stocktake_lines_counted_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktake_lines')),
    sa.UniqueConstraint('stocktake_id', 'lot_id', 'location_id', name=op.f('uq_stocktake_lines_stocktake_id'))
    )
    with op.batch_alter_table('stocktake_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stocktake_lines_stocktake_id'), ['stocktake_id'], unique=False)

    op.create_table('stocktake_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('counted', sa.Integer(), nullable=False),
    sa.Column('book_at_count', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', UTC, nullable=False),
    sa.Column('recount_asked_by', sa.Integer(), nullable=True),
    sa.Column('recount_asked_at', UTC, nullable=True),
    sa.ForeignKeyConstraint(['line_id'], ['stocktake_lines.id'], name=op.f('fk_stocktake_counts_line_id_stocktake_lines')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_stocktake_counts_user_id_users')),
    sa.ForeignKeyConstraint(['recount_asked_by'], ['users.id'], name=op.f('fk_stocktake_counts_recount_asked_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktake_counts'))
    )
    with op.batch_alter_table('stocktake_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stocktake_counts_line_id'), ['line_id'], unique=False)

    op.create_table('return_holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('booking', sa.String(length=36), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('reference', sa.String(length=128), nullable=True),
    sa.Column('returned_by', sa.Integer(), nullable=False),
    sa.Column('returned_at', UTC, nullable=False),
    sa.Column('inspected_by', sa.Integer(), nullable=True),
    sa.Column('inspected_at', UTC, nullable=True),
    sa.Column('inspection_reason', sa.String(length=500), nullable=True),
    sa.Column('reject_booking', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_return_holds_item_id_items')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_return_holds_lot_id_lots')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_return_holds_location_id_locations')),
    sa.ForeignKeyConstraint(['returned_by'], ['users.id'], name=op.f('fk_return_holds_returned_by_users')),
    sa.ForeignKeyConstraint(['inspected_by'], ['users.id'], name=op.f('fk_return_holds_inspected_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_holds'))
    )
    with op.batch_alter_table('return_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_holds_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_return_holds_status'), ['status'], unique=False)


def downgrade() -> None:
    for table in ('return_holds', 'stocktake_counts', 'stocktake_lines', 'stocktake_bins',
                  'stocktakes'):
        op.drop_table(table)
    with op.batch_alter_table('balances', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_balances_held_within_quantity'), type_='check')
        batch_op.drop_column('held')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('unit_cost')

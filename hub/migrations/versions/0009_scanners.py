"""scanners registered per gateway, the journal of MQTT scans, and the scanners a
gateway reports in its status

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kernel.orm

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scanners',
    sa.Column('gateway', sa.String(length=64), nullable=False),
    sa.Column('scanner', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('modes', sa.JSON(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('created_at', kernel.orm.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kernel.orm.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'],
                            name=op.f('fk_scanners_location_id_locations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_scanners_user_id_users')),
    sa.PrimaryKeyConstraint('gateway', 'scanner', name=op.f('pk_scanners'))
    )
    op.create_table('scan_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('received_at', kernel.orm.UtcDateTime(timezone=True), nullable=False),
    sa.Column('site', sa.String(length=64), nullable=False),
    sa.Column('gateway', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('scanner', sa.String(length=64), nullable=True),
    sa.Column('scanned_at', kernel.orm.UtcDateTime(timezone=True), nullable=True),
    sa.Column('mode', sa.String(length=16), nullable=True),
    sa.Column('raw', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('booking', sa.String(length=64), nullable=True),
    sa.Column('username', sa.String(length=64), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=True),
    sa.Column('payload', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_records')),
    sa.UniqueConstraint('gateway', 'seq', name=op.f('uq_scan_records_gateway'))
    )
    op.create_index('ix_scan_records_outcome_id', 'scan_records', ['outcome', 'id'], unique=False)
    with op.batch_alter_table('gateway_status') as batch_op:
        batch_op.add_column(sa.Column('scanners', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('gateway_status') as batch_op:
        batch_op.drop_column('scanners')
    op.drop_index('ix_scan_records_outcome_id', table_name='scan_records')
    op.drop_table('scan_records')
    op.drop_table('scanners')

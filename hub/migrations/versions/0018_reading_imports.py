"""historical import of readings: the imports, their refused rows, each reading's import

Revision ID: 0018_reading_imports
Revises: 0017_excursion_live
Create Date: 2026-12-07 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kernel.orm

revision = '0018_reading_imports'
down_revision = '0017_excursion_live'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reading_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('imported_by', sa.String(length=64), nullable=False),
    sa.Column('started_at', kernel.orm.UtcDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', kernel.orm.UtcDateTime(timezone=True), nullable=True),
    sa.Column('time_zone', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('stored', sa.Integer(), nullable=False),
    sa.Column('already_stored', sa.Integer(), nullable=False),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reading_imports'))
    )
    op.create_index(op.f('ix_reading_imports_sha256'), 'reading_imports', ['sha256'],
                    unique=False)
    op.create_table('reading_import_refusals',
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['reading_imports.id'],
                            name=op.f('fk_reading_import_refusals_import_id_reading_imports')),
    sa.PrimaryKeyConstraint('import_id', 'line', name=op.f('pk_reading_import_refusals'))
    )
    # Nullable, no default: instant on PostgreSQL, a plain ALTER on SQLite.
    op.add_column('readings', sa.Column('import_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('readings') as batch:
        batch.drop_column('import_id')
    op.drop_table('reading_import_refusals')
    op.drop_index(op.f('ix_reading_imports_sha256'), table_name='reading_imports')
    op.drop_table('reading_imports')

"""the audit trail: one hash-chained, append-only table (kernel/audit.py); the
users' lockout (failed logins in a row, locked until)

A trigger refuses UPDATE and DELETE on it (and TRUNCATE on PostgreSQL), so the hub's
own database role cannot edit the trail; changing it needs a superuser or the table's
owner dropping the trigger, which `stockwarden audit verify` and the hub's chain
check then catch.

Revision ID: 0013_audit
Revises: 0012_calibration
Create Date: 2026-12-06 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kernel.orm

revision = '0013_audit'
down_revision = '0012_calibration'
branch_labels = None
depends_on = None

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_trail_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table('audit_trail',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('at', kernel.orm.UtcDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('via', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('entity_key', sa.String(length=200), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_trail')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_trail_seq'))
    )
    op.create_index(op.f('ix_audit_trail_at'), 'audit_trail', ['at'], unique=False)
    op.create_index(op.f('ix_audit_trail_actor'), 'audit_trail', ['actor'], unique=False)
    op.create_index('ix_audit_trail_entity_key', 'audit_trail', ['entity', 'entity_key'],
                    unique=False)
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('locked_until', kernel.orm.UtcDateTime(timezone=True),
                                      nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute("CREATE TRIGGER audit_trail_append_only BEFORE UPDATE OR DELETE ON "
                   "audit_trail FOR EACH ROW EXECUTE FUNCTION audit_trail_append_only()")
        op.execute("CREATE TRIGGER audit_trail_no_truncate BEFORE TRUNCATE ON audit_trail "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_trail_append_only()")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_trail_no_{verb.lower()} BEFORE {verb} ON "
                       "audit_trail BEGIN SELECT RAISE(ABORT, 'the audit trail is "
                       f"append-only: {verb} refused'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_trail_no_truncate ON audit_trail")
        op.execute("DROP TRIGGER IF EXISTS audit_trail_append_only ON audit_trail")
        op.execute("DROP FUNCTION IF EXISTS audit_trail_append_only()")
    op.drop_index('ix_audit_trail_entity_key', table_name='audit_trail')
    op.drop_index(op.f('ix_audit_trail_actor'), table_name='audit_trail')
    op.drop_index(op.f('ix_audit_trail_at'), table_name='audit_trail')
    op.drop_table('audit_trail')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')

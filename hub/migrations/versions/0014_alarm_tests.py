"""alarm tests: a challenge of the alarm paths, per test and per recipient (sent,
delivered or failed, confirmed by whom and when through the message's link)

Revision ID: 0014_alarm_tests
Revises: 0013_audit
Create Date: 2026-12-07 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kernel.orm

revision = '0014_alarm_tests'
down_revision = '0013_audit'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alarm_tests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('requested_at', kernel.orm.UtcDateTime(timezone=True), nullable=False),
    sa.Column('route', sa.String(length=64), nullable=True),
    sa.Column('group', sa.String(length=64), nullable=True),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('finished_at', kernel.orm.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_tests'))
    )
    op.create_index(op.f('ix_alarm_tests_requested_at'), 'alarm_tests', ['requested_at'],
                    unique=False)
    op.create_table('alarm_test_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('test_id', sa.Integer(), nullable=False),
    sa.Column('route', sa.String(length=64), nullable=False),
    sa.Column('group', sa.String(length=64), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=96), nullable=False),
    sa.Column('recipient', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('term', sa.String(length=40), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('sent_at', kernel.orm.UtcDateTime(timezone=True), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('confirmed_at', kernel.orm.UtcDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['test_id'], ['alarm_tests.id'],
                            name=op.f('fk_alarm_test_recipients_test_id_alarm_tests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_test_recipients')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_alarm_test_recipients_token_hash'))
    )
    op.create_index(op.f('ix_alarm_test_recipients_test_id'), 'alarm_test_recipients',
                    ['test_id'], unique=False)
    op.create_index('ix_alarm_test_recipients_status', 'alarm_test_recipients', ['status'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_alarm_test_recipients_status', table_name='alarm_test_recipients')
    op.drop_index(op.f('ix_alarm_test_recipients_test_id'), table_name='alarm_test_recipients')
    op.drop_table('alarm_test_recipients')
    op.drop_index(op.f('ix_alarm_tests_requested_at'), table_name='alarm_tests')
    op.drop_table('alarm_tests')

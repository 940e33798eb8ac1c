"""account policy: when each user's password was last set (password expiry), people
and machine accounts, the demo's passwords marked (production refuses them), and a page
session's last activity (idle timeout)

Existing users with a password count it as set at the upgrade: expiry, when a site
turns it on, starts from there rather than locking everybody out at once.

Revision ID: 0015_account_policy
Revises: 0014_alarm_tests
Create Date: 2026-12-07 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kernel.orm

revision = '0015_account_policy'
down_revision = '0014_alarm_tests'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('password_changed_at',
                                      kernel.orm.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='person',
                                      nullable=False))
        batch_op.add_column(sa.Column('demo_credentials', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
    op.execute("UPDATE users SET password_changed_at = CURRENT_TIMESTAMP "
               "WHERE password_hash IS NOT NULL")
    with op.batch_alter_table('api_tokens') as batch_op:
        batch_op.add_column(sa.Column('last_active_at', kernel.orm.UtcDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch_op:
        batch_op.drop_column('last_active_at')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('demo_credentials')
        batch_op.drop_column('kind')
        batch_op.drop_column('password_changed_at')

"""Audience members are found by email through the primary key; the separate index goes.

Keeping it cost a first export of a million people about a fifth of its time (`make bench`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 23:11:39.626882
"""

from alembic import op
import sqlalchemy as sa
import leadpages.db


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audience_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audience_members_email'))


def downgrade() -> None:
    with op.batch_alter_table('audience_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audience_members_email'), ['email_key'], unique=False)

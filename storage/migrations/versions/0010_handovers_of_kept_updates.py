"""handovers: how many times an update kept for the bot was handed to it again after a stop

An update whose handling kills the process (out of memory, a crash in a library) would otherwise
be handed over at every start, and the bot would never get past it. Existing rows start at 0.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TABLES = ('inbound_events', 'polled_updates')


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column('handovers', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('handovers')

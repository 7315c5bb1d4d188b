"""urgent announcements; an index of open cases by due date

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


OPEN = sa.text("status IN ('submitted', 'in_progress', 'awaiting_supplement', 'ready')")


def upgrade() -> None:
    with op.batch_alter_table('broadcasts') as batch:
        batch.add_column(sa.Column('urgent', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index('ix_cases_open_by_due', 'cases', ['due_date', 'id'], postgresql_where=OPEN, sqlite_where=OPEN)


def downgrade() -> None:
    op.drop_index('ix_cases_open_by_due', table_name='cases')
    with op.batch_alter_table('broadcasts') as batch:
        batch.drop_column('urgent')

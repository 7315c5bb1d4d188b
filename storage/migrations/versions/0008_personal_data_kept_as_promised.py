"""personal data kept as promised: anonymised cases, deletion requests, withdrawn consents,
applications deleted for being left unfinished

Only new nullable columns: existing rows keep their meaning. Subscribers are not touched, so
everyone subscribed under the earlier rule (subscribed by /start) stays subscribed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10
"""
from alembic import op
import sqlalchemy as sa

import storage.models


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

COLUMNS = (
    ('cases', 'erasure_requested_at'),
    ('cases', 'anonymised_at'),
    ('consents', 'withdrawn_at'),
    ('chat_sessions', 'dialog_expired_at'),
)


def upgrade() -> None:
    for table, column in COLUMNS:
        op.add_column(table, sa.Column(column, storage.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)

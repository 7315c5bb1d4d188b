"""chats, inbound events and tokens of channels other than Telegram (Zalo)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

import storage.models


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channel_chats',
    sa.Column('chat_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('channel', sa.String(), nullable=False),
    sa.Column('external_id', sa.String(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_inbound_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('numbered_choices', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('chat_id'),
    sa.UniqueConstraint('channel', 'external_id')
    )
    op.create_table('inbound_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(), nullable=False),
    sa.Column('event_key', sa.String(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel', 'event_key')
    )
    op.create_table('channel_tokens',
    sa.Column('channel', sa.String(), nullable=False),
    sa.Column('access_token', sa.String(), nullable=False),
    sa.Column('refresh_token', sa.String(), nullable=False),
    sa.Column('expires_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('failed_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failure', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('channel')
    )


def downgrade() -> None:
    op.drop_table('channel_tokens')
    op.drop_table('inbound_events')
    op.drop_table('channel_chats')

"""one name for the supplement round trip; channel-neutral outbox payloads

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

- The case status 'needs_more' is 'awaiting_supplement', the officer action 'more' is
  'supplement', the pages a citizen sends for it are 'supplement-N' (were 'bo-sung-N'), and a
  dialog's step 'more:N' is 'supplement:N'.
- Invite codes no longer carry the 'inv_' prefix of the deep link (the link adds it).
- Outbox payloads are channel-neutral replies (`dialogs.output.Reply`): the Telegram HTML of
  queued messages is turned into styled segments, announcements keep their HTML as authored.
- The unused `outbox_messages.dedupe_key` column is dropped.

The migration is self-contained (no application code), so later changes cannot alter it.
"""
from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

STYLES = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic"}


class _Segments(HTMLParser):
    """The bot's own Telegram HTML (only <b> and <i>, everything else escaped) as segments."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.style = "plain"
        self.segments: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.style = STYLES.get(tag, self.style)

    def handle_endtag(self, tag: str) -> None:
        if tag in STYLES:
            self.style = "plain"

    def handle_data(self, data: str) -> None:
        if data:
            self.segments.append([data, self.style])


def _segments(text: str) -> list[list[str]]:
    parser = _Segments()
    parser.feed(text or "")
    parser.close()
    return parser.segments


def _plain(text: str) -> list[list[str]]:
    flat = "".join(segment for segment, _ in _segments(text))
    return [[flat, "plain"]] if flat else []


def _attachment(kind: str, file_id: str, caption: str) -> dict[str, Any]:
    return {"kind": kind, "caption": _segments(caption), "sha256": None, "telegram_file_id": file_id,
            "file_name": None, "mime_type": None}


def _reply(payload: dict[str, Any], authored: bool) -> dict[str, Any]:
    kind = payload.get("kind")
    buttons = payload.get("buttons") or []
    if kind == "album":
        return {"text": [], "buttons": [], "expects": "nothing", "authored_html": None,
                "attachments": [_attachment("photo", file_id, "") for file_id in payload["file_ids"]]}
    if kind in ("photo", "document"):
        caption = payload.get("caption") or ""
        if authored:
            return {"text": _plain(caption), "buttons": buttons, "expects": "nothing", "authored_html": caption,
                    "attachments": [_attachment(kind, payload["file_id"], "")]}
        return {"text": [], "buttons": buttons, "expects": "nothing", "authored_html": None,
                "attachments": [_attachment(kind, payload["file_id"], caption)]}
    text = payload.get("text") or ""
    return {"text": _plain(text) if authored else _segments(text), "buttons": buttons, "attachments": [],
            "expects": "nothing", "authored_html": text if authored else None}


def _rename_dialog(dialog: dict[str, Any]) -> dict[str, Any]:
    step = str(dialog.get("step", ""))
    if step.startswith("more:"):
        dialog["step"] = "supplement:" + step.removeprefix("more:")
    documents = dialog.get("documents") or {}
    dialog["documents"] = {("supplement-" + key.removeprefix("bo-sung-") if key.startswith("bo-sung-") else key): files
                           for key, files in documents.items()}
    return dialog


def upgrade() -> None:
    connection = op.get_bind()
    for table, column in (("cases", "status"), ("case_events", "from_status"), ("case_events", "to_status")):
        connection.execute(sa.text(f"UPDATE {table} SET {column} = 'awaiting_supplement' WHERE {column} = 'needs_more'"))
    connection.execute(sa.text("UPDATE officer_prompts SET action = 'supplement' WHERE action = 'more'"))
    connection.execute(sa.text("UPDATE case_documents SET document_id = 'supplement-' || substr(document_id, 9) "
                               "WHERE document_id LIKE 'bo-sung-%'"))
    connection.execute(sa.text("UPDATE staff_invites SET code = substr(code, 5) WHERE code LIKE 'inv\\_%' ESCAPE '\\'"))

    outbox = connection.execute(sa.text("SELECT id, payload, broadcast_id FROM outbox_messages")).all()
    for row_id, payload, broadcast_id in outbox:
        data = payload if isinstance(payload, dict) else json.loads(payload)
        if "kind" in data:
            connection.execute(sa.text("UPDATE outbox_messages SET payload = :payload WHERE id = :id")
                               .bindparams(sa.bindparam("payload", type_=sa.JSON)),
                               {"payload": _reply(data, broadcast_id is not None), "id": row_id})
    sessions = connection.execute(sa.text("SELECT chat_id, dialog FROM chat_sessions WHERE dialog IS NOT NULL")).all()
    for chat_id, dialog in sessions:
        data = dialog if isinstance(dialog, dict) else json.loads(dialog)
        connection.execute(sa.text("UPDATE chat_sessions SET dialog = :dialog WHERE chat_id = :chat_id")
                           .bindparams(sa.bindparam("dialog", type_=sa.JSON)),
                           {"dialog": _rename_dialog(data), "chat_id": chat_id})

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('dedupe_key')


def downgrade() -> None:
    """Names and the column only: queued payloads stay channel-neutral, which the previous
    version cannot send; drain the outbox before downgrading."""
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dedupe_key', sa.String(), nullable=True))
    connection = op.get_bind()
    for table, column in (("cases", "status"), ("case_events", "from_status"), ("case_events", "to_status")):
        connection.execute(sa.text(f"UPDATE {table} SET {column} = 'needs_more' WHERE {column} = 'awaiting_supplement'"))
    connection.execute(sa.text("UPDATE officer_prompts SET action = 'more' WHERE action = 'supplement'"))
    connection.execute(sa.text("UPDATE case_documents SET document_id = 'bo-sung-' || substr(document_id, 12) "
                               "WHERE document_id LIKE 'supplement-%'"))
    connection.execute(sa.text("UPDATE staff_invites SET code = 'inv_' || code"))

"""Migration 0004 renames the supplement round trip's stored values and turns queued Telegram
payloads into channel-neutral replies, on data written by the previous version."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from alembic import command
from sqlalchemy import create_engine, text

from dialogs.output import Emphasis, Reply, Segment
from handlers.telegram.render import html
from storage.db import alembic_config

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def _insert_old_rows(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as db:
        db.execute(text("INSERT INTO cases (code, procedure_id, field_id, chat_id, status, applicant_name, "
                        "applicant_data, language, created_at, due_date, version) VALUES ('HS-1', 'khai-tu', "
                        "'ho-tich', 7, 'needs_more', 'A', '{}', 'vi', :now, :due, 2)"), {"now": NOW, "due": date(2026, 12, 2)})
        db.execute(text("INSERT INTO case_events (case_id, at, actor, from_status, to_status) "
                        "VALUES (1, :now, 'staff:1', 'submitted', 'needs_more')"), {"now": NOW})
        db.execute(text("INSERT INTO case_documents (case_id, document_id, position, sha256, mime_type, size, "
                        "telegram_file_id, telegram_file_unique_id, telegram_kind) VALUES "
                        "(1, 'bo-sung-2', 1, 'abc', 'image/jpeg', 3, 'F', 'U', 'photo')"))
        db.execute(text("INSERT INTO staff_invites (code, role, fields, created_at, expires_at) "
                        "VALUES ('inv_Ab_c-9', 'officer', '[]', :now, :now)"), {"now": NOW})
        db.execute(text("INSERT INTO broadcasts (author_id, text, status, recipients, created_at) "
                        "VALUES (504, '<b>Lịch</b> &amp; giờ', 'sending', 1, :now)"), {"now": NOW})
        payloads = [
            ({"kind": "text", "text": "📥 Hồ sơ <b>HS-1</b> &lt;mới&gt;", "buttons": [[["✅", "o.1.2.accept"]]]}, None),
            ({"kind": "album", "file_ids": ["P1", "P2"], "caption": ""}, None),
            ({"kind": "document", "file_id": "D1", "caption": "HS-1", "buttons": []}, None),
            ({"kind": "text", "text": "<b>Lịch</b> &amp; giờ", "buttons": []}, 1),
        ]
        for payload, broadcast in payloads:
            db.execute(text("INSERT INTO outbox_messages (chat_id, payload, priority, status, attempts, "
                            "next_attempt_at, created_at, broadcast_id) VALUES (7, :payload, 0, 'pending', 0, "
                            ":now, :now, :broadcast)"), {"payload": json.dumps(payload), "now": NOW, "broadcast": broadcast})
        dialog = {"dialog_id": 5, "step": "more:1", "procedure_id": "khai-tu", "case_id": 1, "items": ["a", "b"],
                  "documents": {"bo-sung-1": [{"sha256": "x", "mime_type": "image/jpeg", "size": 1, "file_id": "F",
                                               "file_unique_id": "U"}]}}
        db.execute(text("INSERT INTO chat_sessions (chat_id, dialog, version, updated_at) VALUES (7, :d, 1, :now)"),
                   {"d": json.dumps(dialog), "now": NOW})
    engine.dispose()


def _rows(url: str, sql: str) -> list[dict[str, object]]:
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            return [dict(row._mapping) for row in db.execute(text(sql))]
    finally:
        engine.dispose()


def _json(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else json.loads(str(value))


def test_data_of_the_previous_version_is_carried_over(database_url: str) -> None:
    config = alembic_config(database_url)
    command.upgrade(config, "0003")
    _insert_old_rows(database_url)
    command.upgrade(config, "head")

    assert _rows(database_url, "SELECT status FROM cases") == [{"status": "awaiting_supplement"}]
    assert _rows(database_url, "SELECT to_status FROM case_events") == [{"to_status": "awaiting_supplement"}]
    assert _rows(database_url, "SELECT document_id FROM case_documents") == [{"document_id": "supplement-2"}]
    assert _rows(database_url, "SELECT code FROM staff_invites") == [{"code": "Ab_c-9"}]

    text_reply, album, document, announcement = [
        Reply.from_json(_json(row["payload"])) for row in _rows(database_url, "SELECT payload FROM outbox_messages ORDER BY id")]
    assert text_reply.text.segments == (Segment("📥 Hồ sơ "), Segment("HS-1", Emphasis.BOLD), Segment(" <mới>"))
    assert html(text_reply.text) == "📥 Hồ sơ <b>HS-1</b> &lt;mới&gt;"
    assert [[b.payload for b in row] for row in text_reply.buttons] == [["o.1.2.accept"]]
    assert [a.telegram_file_id for a in album.attachments] == ["P1", "P2"] and not album.text
    assert document.attachments[0].kind == "document" and str(document.attachments[0].caption) == "HS-1"
    assert announcement.authored_html == "<b>Lịch</b> &amp; giờ" and str(announcement.text) == "Lịch & giờ"

    (session,) = _rows(database_url, "SELECT dialog FROM chat_sessions")
    dialog = _json(session["dialog"])
    assert dialog["step"] == "supplement:1" and list(dialog["documents"]) == ["supplement-1"]  # type: ignore[call-overload]

"""The statements every citizen update runs on its chat's row (`chat_sessions`), built once.

A chat's row is read and written on each update, so these are SQLAlchemy Core statements made
at import: SQLAlchemy reuses a statement's cache key and compiled form, where an ORM `get` and
flush did several times the work (see bench/RESULTS.md, "Full flow"). Writes of the dialog check the
version read with the row, so two processes handling the same chat cannot overwrite each other's
dialog; a language choice writes only the language, which no dialog write touches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, select, update

from storage.db import insert_if_new
from storage.models import ChatSession

_TABLE: Table = ChatSession.__table__  # type: ignore[attr-defined]
_C = _TABLE.c


@dataclass(frozen=True)
class ChatRow:
    """A chat's row as it was read at the start of an update."""

    language: str | None
    dialog: dict[str, Any] | None
    version: int
    dialog_expired_at: datetime | None


_READ = select(_C.language, _C.dialog, _C.version, _C.dialog_expired_at).where(_C.chat_id == bindparam("chat"))
_SAVE = (update(_TABLE).where(_C.chat_id == bindparam("chat"), _C.version == bindparam("read_version"))
         .values(dialog=bindparam("new_dialog", type_=_C.dialog.type), version=_C.version + 1,
                 updated_at=bindparam("now", type_=_C.updated_at.type), dialog_expired_at=None))
_DELETE = delete(_TABLE).where(_C.chat_id == bindparam("chat"), _C.version == bindparam("read_version"))
_LANGUAGE = update(_TABLE).where(_C.chat_id == bindparam("chat")).values(
    language=bindparam("new_language", type_=_C.language.type), updated_at=bindparam("now", type_=_C.updated_at.type))


def read_chat(connection: Connection, chat_id: int) -> ChatRow | None:
    found = connection.execute(_READ, {"chat": chat_id}).first()
    return ChatRow(*found) if found is not None else None


def add_chat(connection: Connection, chat_id: int, dialog: dict[str, Any] | None, now: datetime, *,
             language: str | None = None) -> bool:
    """False when another process made the chat's row first."""
    return insert_if_new(connection, ChatSession(chat_id=chat_id, language=language, dialog=dialog,
                                                 version=1, updated_at=now))


def save_dialog(connection: Connection, chat_id: int, read_version: int, dialog: dict[str, Any] | None,
                now: datetime) -> bool:
    """False when the row changed since it was read at `read_version`."""
    return connection.execute(_SAVE, {"chat": chat_id, "read_version": read_version, "new_dialog": dialog,
                                      "now": now}).rowcount == 1


def delete_chat(connection: Connection, chat_id: int, read_version: int) -> bool:
    """False when the row changed since it was read at `read_version`."""
    return connection.execute(_DELETE, {"chat": chat_id, "read_version": read_version}).rowcount == 1


def set_language(connection: Connection, chat_id: int, language: str, now: datetime) -> None:
    values = {"chat": chat_id, "new_language": language, "now": now}
    if connection.execute(_LANGUAGE, values).rowcount == 0 and not add_chat(connection, chat_id, None, now,
                                                                            language=language):
        connection.execute(_LANGUAGE, values)  # another process made the chat's row in between

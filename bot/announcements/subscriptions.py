"""Who receives the office's announcements: only those who said yes.

Announcements are a purpose of their own, apart from handling applications: the first greeting
(/start) of a Telegram chat asks once, with two buttons, and nothing is sent until the citizen
says yes. A `Subscriber` row records the answer (or that the question was asked); chats that
were subscribed under the earlier rule (every /start subscribed) stay subscribed and can leave
with /huythongbao. Zalo chats are not asked: announcements go out on Telegram only.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, bindparam, delete
from sqlmodel import Session, col, select

from storage.db import insert_if_new
from storage.models import Subscriber


class Announcements(StrEnum):
    """What the home screen offers about announcements."""

    ASK = "ask"
    SUBSCRIBED = "subscribed"
    NOT_SUBSCRIBED = "not-subscribed"


_SUBSCRIBED = select(col(Subscriber.subscribed)).where(col(Subscriber.chat_id) == bindparam("chat"))
"""Read on every dialog update: built once (see `storage.chat_rows`)."""


def offer(connection: Connection, chat_id: int, *, greeting: bool, now: datetime) -> Announcements:
    """The question on the first greeting (remembered as asked, not as a yes); afterwards, the
    button that changes the answer."""
    subscribed = connection.execute(_SUBSCRIBED, {"chat": chat_id}).scalar()
    if subscribed is None and greeting:
        if not insert_if_new(connection, Subscriber(chat_id=chat_id, subscribed=False, created_at=now, changed_at=now)):
            return Announcements.NOT_SUBSCRIBED  # another process greeted the same chat at this instant: asked there
        return Announcements.ASK
    return Announcements.SUBSCRIBED if subscribed else Announcements.NOT_SUBSCRIBED


def forget_unless_subscribed(session: Session, chat_id: int) -> bool:
    """After consent is refused: drop the record of the question, keep a subscription the
    citizen asked for (a separate purpose). True when the chat stays subscribed."""
    row = session.get(Subscriber, chat_id)
    if row is not None and row.subscribed:
        return True
    session.execute(delete(Subscriber).where(col(Subscriber.chat_id) == chat_id))
    return False

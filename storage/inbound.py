"""What messengers send the bot, kept until it is handled, so that nothing is lost between its
receipt and its handling: events a messenger pushed to a webhook (recorded before the webhook
answers, and handled under an update id of their own), and Telegram updates fetched by long
polling (kept before python-telegram-bot confirms them to Telegram; see `PolledUpdate`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, delete
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.db import add_all_if_new, transaction, writing
from storage.models import OTHER_CHANNEL_UPDATE_IDS, InboundEvent, PolledUpdate, ProcessedUpdate


def record_event(db: Engine, channel: str, event_key: str, payload: dict[str, Any], now: datetime) -> int:
    """The event's update id; the same one when the messenger delivers the event again."""
    try:
        with transaction(db) as session:
            event = InboundEvent(channel=channel, event_key=event_key, payload=payload, received_at=now)
            session.add(event)
            session.flush()
            assert event.id is not None
            return OTHER_CHANNEL_UPDATE_IDS + event.id
    except IntegrityError:
        with Session(db) as session:
            known = session.exec(select(InboundEvent).where(InboundEvent.channel == channel,
                                                            InboundEvent.event_key == event_key)).one()
            return OTHER_CHANNEL_UPDATE_IDS + (known.id or 0)


def unhandled_events(db: Engine, channel: str, received_before: datetime | None = None) -> list[tuple[int, dict[str, Any]]]:
    """Recorded events of `channel` whose update was never claimed (the process stopped first);
    `received_before` leaves out the events that another process may be handling right now."""
    with Session(db) as session:
        handled = sa_select(ProcessedUpdate.update_id).where(
            col(ProcessedUpdate.update_id) - OTHER_CHANNEL_UPDATE_IDS == col(InboundEvent.id)).exists()
        query = select(InboundEvent).where(InboundEvent.channel == channel, ~handled)
        if received_before is not None:
            query = query.where(InboundEvent.received_at < received_before)
        rows = session.exec(query.order_by(col(InboundEvent.id))).all()
        return [(OTHER_CHANNEL_UPDATE_IDS + (row.id or 0), row.payload) for row in rows]


def keep_polled(db: Engine, updates: list[dict[str, Any]], handled: list[int], now: datetime) -> None:
    """Keep the updates of one getUpdates answer and forget those handled since, in one
    transaction. An update kept already (fetched again, as after a start) is kept once."""
    with writing(db) as connection:
        for start in range(0, len(handled), IN_LIST):
            connection.execute(delete(_POLLED).where(_POLLED.c.update_id.in_(handled[start:start + IN_LIST])))
        if updates:
            add_all_if_new(connection, _POLLED, [{"update_id": update["update_id"], "payload": update,
                                                  "received_at": now} for update in updates])


def unhandled_polled(db: Engine) -> list[dict[str, Any]]:
    """Updates kept and never handled (the process stopped first), oldest first."""
    with db.connect() as connection:
        return [row.payload for row in connection.execute(
            sa_select(_POLLED.c.payload).order_by(_POLLED.c.update_id))]


IN_LIST = 1000
"""Update ids per DELETE: far below SQLite's and PostgreSQL's limits on a statement's parameters."""
_POLLED: Table = PolledUpdate.__table__  # type: ignore[attr-defined]

"""Events a messenger pushed to a webhook: recorded before the webhook answers, so an event is
never lost between the answer and its handling, and handled under an update id of its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.db import transaction
from storage.models import OTHER_CHANNEL_UPDATE_IDS, InboundEvent, ProcessedUpdate


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

"""What messengers send the bot, kept until it is handled, so that nothing is lost between its
receipt and its handling: events a messenger pushed to a webhook (recorded before the webhook
answers, and handled under an update id of their own), and Telegram updates fetched by long
polling (kept before python-telegram-bot confirms them to Telegram; see `PolledUpdate`)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import BigInteger, Connection, Engine, Table, delete, literal, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.db import add_all_if_new, claim_update, transaction, writing
from storage.models import OTHER_CHANNEL_UPDATE_IDS, InboundEvent, PolledUpdate, ProcessedUpdate

T = TypeVar("T")

MAX_HANDOVERS = 3
"""Handovers after which an update is given up. Each one was followed by a process that died
before handling it, so the update itself most likely kills the process (out of memory, a crash in
a library reading a file): without a limit the bot would die on it at every start and answer
nobody again."""


@dataclass(frozen=True)
class Handover(Generic[T]):
    """What a start hands to the bot again, and the update ids it gives up on (to be logged)."""

    items: list[T]
    given_up: list[int]


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


def hand_over_events(db: Engine, channel: str, received_before: datetime | None = None, *,
                     counted: bool) -> Handover[tuple[int, dict[str, Any]]]:
    """Recorded events of `channel` whose update was never claimed (the process stopped first), as
    (update id, payload), oldest first; `received_before` leaves out the events that another
    process may be handling right now. `counted` (a start): each is counted as handed over once
    more, and those handed over `MAX_HANDOVERS` times already are claimed instead, so that nothing
    acts on them. Read first, so that finding nothing, as usual, writes nothing."""
    handled = sa_select(ProcessedUpdate.update_id).where(
        col(ProcessedUpdate.update_id) == col(InboundEvent.id) + literal(OTHER_CHANNEL_UPDATE_IDS, BigInteger)).exists()
    query = sa_select(_EVENTS.c.id, _EVENTS.c.payload, _EVENTS.c.handovers).where(
        _EVENTS.c.channel == channel, ~handled).order_by(_EVENTS.c.id)
    if received_before is not None:
        query = query.where(_EVENTS.c.received_at < received_before)
    with db.connect() as connection:
        rows = connection.execute(query).all()
    limit = MAX_HANDOVERS if counted else math.inf
    given_up = [row for row in rows if row.handovers >= limit]
    handed = [row for row in rows if row.handovers < limit]
    if counted and rows:
        with writing(db) as connection:
            for row in given_up:
                claim_update(connection, OTHER_CHANNEL_UPDATE_IDS + row.id)
            for ids in _chunks([row.id for row in handed]):
                connection.execute(update(_EVENTS).where(_EVENTS.c.id.in_(ids)).values(handovers=_EVENTS.c.handovers + 1))
    return Handover([(OTHER_CHANNEL_UPDATE_IDS + row.id, row.payload) for row in handed],
                    [OTHER_CHANNEL_UPDATE_IDS + row.id for row in given_up])


def keep_polled(db: Engine, updates: list[dict[str, Any]], handled: list[int], now: datetime) -> None:
    """Keep the updates of one getUpdates answer and forget those handled since, in one
    transaction. An update kept already (fetched again, as after a start) is kept once."""
    with writing(db) as connection:
        _forget_polled(connection, handled)
        if updates:
            add_all_if_new(connection, _POLLED, [{"update_id": update["update_id"], "payload": update,
                                                  "received_at": now} for update in updates])


def hand_over_polled(db: Engine) -> Handover[dict[str, Any]]:
    """Updates kept and never handled (the process stopped first), oldest first, each counted as
    handed over once more; those handed over `MAX_HANDOVERS` times already are deleted instead."""
    with writing(db) as connection:
        rows = connection.execute(sa_select(_POLLED.c.update_id, _POLLED.c.payload, _POLLED.c.handovers)
                                  .order_by(_POLLED.c.update_id)).all()
        handover = Handover([row.payload for row in rows if row.handovers < MAX_HANDOVERS],
                            [row.update_id for row in rows if row.handovers >= MAX_HANDOVERS])
        _forget_polled(connection, handover.given_up)
        for ids in _chunks([payload["update_id"] for payload in handover.items]):
            connection.execute(update(_POLLED).where(_POLLED.c.update_id.in_(ids)).values(handovers=_POLLED.c.handovers + 1))
        return handover


def _forget_polled(connection: Connection, update_ids: list[int]) -> None:
    for ids in _chunks(update_ids):
        connection.execute(delete(_POLLED).where(_POLLED.c.update_id.in_(ids)))


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    """`ids` in lists of at most `IN_LIST`, one per statement."""
    return (ids[start:start + IN_LIST] for start in range(0, len(ids), IN_LIST))


IN_LIST = 1000
"""Ids per statement: far below SQLite's and PostgreSQL's limits on a statement's parameters."""
_POLLED: Table = PolledUpdate.__table__  # type: ignore[attr-defined]
_EVENTS: Table = InboundEvent.__table__  # type: ignore[attr-defined]

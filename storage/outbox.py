"""The outbox's write side: messages for people other than the one whose update is being handled
(officers told of a new case, a citizen told of a status change, digests, announcements).

A message is written in the same transaction as the change it reports, so it exists exactly
when the change does; `bot.runtime.outbox_sender` sends it later, through the channel of its
chat, with retries. Payloads are channel-neutral replies (`dialogs.output.Reply`).

The commit of a transaction that queued a message calls every function given to `listen` (the
bot's outbox worker), so that the message goes at once: no handler has to remember to say so,
and the worker need not look for new messages several times a second.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, distinct, event, func
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from dialogs.output import Reply
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

# The outbox sends lower numbers first, oldest first within a number.
CASE_PRIORITY = 0
"""Case notifications go before everything else, so nothing else ever delays them."""
FEEDBACK_PRIORITY = 5
"""Feedback for the staff and the office's answers: behind case notifications, before announcements."""
URGENT_PRIORITY = 8
"""Urgent announcements (a storm, a flood) go ahead of every other announcement."""
BULK_PRIORITY = 10


_QUEUED = "motcua.outbox.queued"
"""Set in a session's `info` when it queues a message."""
_listeners: set[Callable[[], None]] = set()


def listen(queued: Callable[[], None]) -> Callable[[], None]:
    """Have `queued` called after each commit that queued a message, in the thread that committed;
    returns the function that stops it."""
    _listeners.add(queued)
    return lambda: _listeners.discard(queued)


def took_queued(session: OrmSession) -> bool:
    """Whether `session` queued a message since this was last asked."""
    return bool(session.info.pop(_QUEUED, False))


def tell_queued() -> None:
    """Messages were committed: for the code that commits a transaction an ORM session joined
    without committing it (an update's unit of work, `bot.conversation.turns`); a session's own
    commit tells by itself. The commit is done: a failing listener is logged, not raised."""
    for queued in list(_listeners):
        try:
            queued()
        except Exception:  # noqa: BLE001 - the caller's work is committed and must not look failed
            log.exception("an outbox listener failed")


@event.listens_for(OrmSession, "after_commit")
def _committed(session: OrmSession) -> None:
    """Not for a savepoint released (nothing is committed yet) nor for a session joined to a
    connection's transaction, whose own commit commits nothing: its committer tells."""
    if session.in_nested_transaction() or isinstance(session.bind, Connection):
        return
    if took_queued(session):
        tell_queued()


@event.listens_for(OrmSession, "after_rollback")
def _rolled_back(session: OrmSession) -> None:
    """A savepoint rolled back keeps what was queued before it (what it held is gone, and a wake
    for it finds nothing: harmless)."""
    if not session.in_nested_transaction():
        took_queued(session)


def enqueue(session: Session, chat_id: int, reply: Reply, *, now: datetime, priority: int = CASE_PRIORITY) -> None:
    session.info[_QUEUED] = True
    session.add(OutboxMessage(chat_id=chat_id, payload=reply.to_json(), priority=priority, next_attempt_at=now,
                              created_at=now))


def enqueue_broadcast(session: Session, chat_ids: Iterable[int], reply: Reply, *, broadcast_id: int,
                      now: datetime, urgent: bool = False) -> int:
    payload = reply.to_json()
    priority = URGENT_PRIORITY if urgent else BULK_PRIORITY
    rows = [OutboxMessage(chat_id=chat, payload=payload, priority=priority, next_attempt_at=now, created_at=now,
                          broadcast_id=broadcast_id) for chat in chat_ids]
    session.info[_QUEUED] = True
    session.add_all(rows)
    return len(rows)


PENDING = "pending"


@dataclass(frozen=True)
class Backlog:
    """What the outbox still has to send: messages, when the oldest was queued, broadcasts under way."""

    pending: int
    oldest_pending: datetime | None
    broadcasts: int


def backlog(session: Session, now: datetime) -> Backlog:
    """Messages waiting to go, in retry pauses included (held ones wait on the person, not on us)."""
    count, oldest = session.exec(select(func.count(), func.min(OutboxMessage.created_at))
                                 .where(OutboxMessage.status == PENDING)).one()
    broadcasts = session.exec(select(func.count(distinct(OutboxMessage.broadcast_id)))
                              .where(col(OutboxMessage.status).in_((PENDING, "sending")),
                                     col(OutboxMessage.broadcast_id).is_not(None))).one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return Backlog(count, min(oldest, now) if oldest is not None else None, broadcasts)

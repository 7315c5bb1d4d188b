"""The outbox's rows as its sending worker (`bot.runtime.outbox_sender`) sees them: which due
messages it may send now (its claims) and what became of each one (sent, tried again later, held
for the person to write again, failed).

How a message is claimed depends on the database. On PostgreSQL, where several processes may
run, the claim is the row lock of `SELECT … FOR UPDATE SKIP LOCKED`, held by a transaction that
stays open while the message is sent and records the outcome: no other process can take the row,
none waits for it, and if the sending process dies the server rolls the transaction back and the
row is simply pending again. On SQLite, which serves one process, a claim marks the row "sending"
(its transaction cannot stay open: it would lock the whole database); rows left so by a crash
go back to the queue when the worker starts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from storage.db import transaction
from storage.locks import is_postgresql
from storage.models import OutboxMessage, Subscriber
from storage.outbox import URGENT_PRIORITY

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_WINDOW = 50
HELD = "held"
"""Waiting for the person to write again: the channel may not message them now (Zalo's window)."""


@dataclass
class Claim:
    """A message this worker may send; on PostgreSQL with the transaction that holds its row lock."""

    message: OutboxMessage
    session: Session | None = field(default=None, repr=False)

    def settle(self, db: Engine, change: Callable[[Session], Any]) -> None:
        """Record the outcome, in the claim's own transaction when it has one (which ends it)."""
        if self.session is None:
            with transaction(db) as session:
                change(session)
            return
        try:
            change(self.session)
            self.session.commit()
        finally:
            self.session.close()
            self.session = None

    def abandon(self) -> None:
        """Let the row go, unchanged (the worker stopped before sending it)."""
        if self.session is not None:
            self.session.close()
            self.session = None


@dataclass(frozen=True)
class Room:
    """How many more sends may start: of every kind, and of those free (not paid)."""

    all: int
    free: int

    def takes(self, *, paid: bool) -> bool:
        return self.all > 0 and (paid or self.free > 0)

    def after(self, *, paid: bool) -> Room:
        return Room(self.all - 1, self.free if paid else self.free - 1)


class OutboxRows:
    """Claims and outcomes, in the database; every method blocks (the worker calls them in a thread)."""

    def __init__(self, db: Engine, clock: Callable[[], datetime], *, paid_broadcast: bool) -> None:
        self.db = db
        self.clock = clock
        self.paid_broadcast = paid_broadcast
        self.locking = is_postgresql(db)

    def is_paid(self, priority: int) -> bool:
        return self.paid_broadcast and priority == URGENT_PRIORITY

    def recover(self) -> None:
        """Rows left "sending" by a crash (SQLite, one process, or a version that marked claims
        this way): nobody is sending them; they go back to the queue (a hard crash may repeat one)."""
        with transaction(self.db) as session:
            _back_to_pending(session)

    def claim_due(self, busy: set[int], room: Room) -> tuple[list[Claim], bool]:
        """Due messages to send now, none to a chat in `busy`; and, when there are none, whether
        one waits for a chat in `busy`. Only then need the worker look again within the second
        that chat is busy for: a citizen's conversation keeps some chat busy nearly all the time,
        with nothing queued for it, and looking four times a second for nothing cost CPU."""
        return (self._claim_locked if self.locking else self._claim)(busy, room)

    def claim_held(self, chat_id: int) -> Claim | None:
        query = select(OutboxMessage).where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == HELD
                                            ).order_by(col(OutboxMessage.id)).limit(1)
        if self.locking:
            return self._lock_first(query)
        with transaction(self.db) as session:
            message = session.exec(query).first()
            if message is None:
                return None
            claimed = session.execute(update(OutboxMessage).where(
                col(OutboxMessage.id) == message.id, col(OutboxMessage.status) == HELD).values(status="sending")).rowcount
            return Claim(message) if claimed == 1 else None

    def let_go(self, claims: list[Claim]) -> None:
        """The worker stops before sending these: their rows are pending again, unchanged
        (on SQLite the claim is a mark, which must be taken back)."""
        for claim in claims:
            claim.abandon()
        if not self.locking:
            with transaction(self.db) as session:
                _back_to_pending(session, [claim.message.id or 0 for claim in claims])

    def status(self, message_id: int) -> str | None:
        with transaction(self.db) as session:
            message = session.get(OutboxMessage, message_id)
            return message.status if message is not None else None

    def record_sent(self, message_ids: list[int]) -> None:
        with transaction(self.db) as session:
            session.execute(update(OutboxMessage).where(col(OutboxMessage.id).in_(message_ids)).values(
                **_as_sent(self.clock())))

    def finish(self, claim: Claim, status: str, error: str | None) -> None:
        message_id = claim.message.id
        values = _as_sent(self.clock()) if status == "sent" else {"status": status, "sent_at": None, "last_error": error}
        claim.settle(self.db, lambda session: session.execute(update(OutboxMessage).where(
            col(OutboxMessage.id) == message_id).values(**values)))
        if error:
            log.warning("outbox message %s %s: %s", message_id, status, error)

    def blocked(self, claim: Claim, error: str) -> None:
        """The person blocked the bot: stop announcements to them; nothing else can reach them."""
        now = self.clock()
        message = claim.message

        def change(session: Session) -> None:
            session.execute(update(Subscriber).where(col(Subscriber.chat_id) == message.chat_id).values(
                subscribed=False, blocked=True, changed_at=now))
            session.execute(update(OutboxMessage).where(col(OutboxMessage.id) == message.id).values(
                status="failed", last_error=error))

        claim.settle(self.db, change)

    def retry(self, claim: Claim, delay: timedelta, error: str, count_attempt: bool) -> None:
        message = claim.message
        attempts = message.attempts + 1 if count_attempt else message.attempts
        if attempts >= MAX_ATTEMPTS:
            self.finish(claim, "failed", error)
            return
        claim.settle(self.db, lambda session: session.execute(update(OutboxMessage).where(
            col(OutboxMessage.id) == message.id).values(status="pending", attempts=attempts,
                                                        next_attempt_at=self.clock() + delay, last_error=error)))

    def _claim_locked(self, busy: set[int], room: Room) -> tuple[list[Claim], bool]:
        """One row at a time: each claim is a transaction, and a connection, of its own. (Here
        every send counts toward one limit, so `room` takes any row once it takes one.) Also says,
        when it claims nothing, whether a due row waits for one of the `busy` chats."""
        due = (col(OutboxMessage.status) == "pending", col(OutboxMessage.next_attempt_at) <= self.clock())
        query = select(OutboxMessage).where(*due)
        if busy:
            query = query.where(col(OutboxMessage.chat_id).not_in(busy))
        claim = self._lock_first(query.order_by(col(OutboxMessage.priority), col(OutboxMessage.id)).limit(1))
        if claim is not None:
            return [claim], False
        if not busy:
            return [], False
        with Session(self.db) as session:
            return [], session.exec(select(OutboxMessage.id).where(*due, col(OutboxMessage.chat_id).in_(busy)).limit(1)
                                    ).first() is not None

    def _lock_first(self, query: Any) -> Claim | None:
        """The first row of `query` that no other transaction holds, locked until the claim settles."""
        session = Session(self.db, expire_on_commit=False)
        try:
            session.begin()
            message = session.exec(query.with_for_update(skip_locked=True)).first()
        except BaseException:
            session.close()
            raise
        if message is None:
            session.close()
            return None
        return Claim(message, session)

    def _claim(self, busy: set[int], room: Room) -> tuple[list[Claim], bool]:
        """As many due rows as there is `room` for, one per chat, in one transaction; and, when it
        claims none, whether a due row waits for one of the `busy` chats. The candidates are read
        as three columns, and only the rows claimed in full: this runs for every few messages a
        broadcast sends. (The transaction holds SQLite's write lock from its start, so no other
        claim can take a candidate meanwhile.)"""
        now = self.clock()
        chosen: list[int] = []
        waiting = False
        with transaction(self.db) as session:
            candidates = session.execute(
                select(OutboxMessage.id, OutboxMessage.chat_id, OutboxMessage.priority).where(
                    OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
                ).order_by(col(OutboxMessage.priority), col(OutboxMessage.id)).limit(CLAIM_WINDOW)
            ).all()
            for message_id, chat_id, priority in candidates:
                paid = self.is_paid(priority)
                if chat_id in busy:
                    waiting = True
                    continue
                busy.add(chat_id)  # also when there is no room for this row: the chat's later rows wait for it
                if not room.takes(paid=paid):
                    continue
                chosen.append(message_id)
                room = room.after(paid=paid)
                if not room.takes(paid=self.paid_broadcast):
                    break
            if not chosen:
                return [], waiting
            messages = session.scalars(update(OutboxMessage).where(col(OutboxMessage.id).in_(chosen))
                                       .values(status="sending").returning(OutboxMessage)).all()
        rank = {message_id: place for place, message_id in enumerate(chosen)}
        return sorted((Claim(message) for message in messages), key=lambda claim: rank[claim.message.id or 0]), False


def _as_sent(now: datetime) -> dict[str, object]:
    """A sent message keeps its status and time, not its content: the personal data it carried
    is not kept for nothing (a failed one keeps it a week, see `bot.privacy.purge`)."""
    return {"status": "sent", "sent_at": now, "last_error": None, "payload": {}}


def _back_to_pending(session: Session, message_ids: list[int] | None = None) -> None:
    """Claims marked "sending" (SQLite) that nobody is sending: all of them, or those of `message_ids`."""
    claimed = update(OutboxMessage).where(col(OutboxMessage.status) == "sending")
    if message_ids is not None:
        claimed = claimed.where(col(OutboxMessage.id).in_(message_ids))
    session.execute(claimed.values(status="pending"))

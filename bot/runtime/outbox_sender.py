"""The outbox's sending side: a worker in the bot process claims due messages (case notices,
then feedback, then urgent and then other announcements, oldest first; `storage.outbox`) and
sends each through its channel, retrying on network errors, server errors and flood limits, so
an outage or a restart delays a notification but never loses it. A message is marked sent right
after the channel accepts it; when the bot stops, sends under way are allowed to finish first,
so only a hard crash in that instant can repeat one.

How a message is claimed depends on the database. On PostgreSQL, where several processes may
run, the claim is the row lock of `SELECT … FOR UPDATE SKIP LOCKED`, held by a transaction that
stays open while the message is sent and records the outcome: no other process can take the row,
none waits for it, and if the sending process dies the server rolls the transaction back and the
row is simply pending again. On SQLite, which serves one process, a claim marks the row "sending"
(its transaction cannot stay open: it would lock the whole database); rows left so by a crash
go back to the queue when the worker starts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from bot.runtime.pacing import PER_CHAT_INTERVAL
from dialogs.output import Reply
from handlers.desk import Refused, RetryLater, Transient, Unreachable, WindowClosed
from storage.db import transaction
from storage.locks import is_postgresql
from storage.models import OutboxMessage, Subscriber
from storage.outbox import URGENT_PRIORITY

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_WINDOW = 50
RECORD_RETRIES = (0.5, 2.0, 5.0)
"""Seconds to wait after each failed attempt to record sent messages."""
IN_FLIGHT = 8
"""Sends under way at once: enough for 30 a second when Telegram answers in a quarter second,
and few enough that a case notification claimed meanwhile is not queued behind many of them."""
PAID_IN_FLIGHT = 32
"""Sends under way at once on SQLite when paid broadcasts are on, paid ones included (free
ones stay at `IN_FLIGHT`): Telegram allows 1,000 paid messages a second, and from far away
answers each in about a tenth of a second. More did not send faster (bench/RESULTS.md): the
process's CPU is then the limit, and httpcore's pool grows costly with many connections. On
PostgreSQL each claim holds a connection until it is settled, so all sends stay at `IN_FLIGHT`
together there."""
HELD = "held"
"""Waiting for the person to write again: the channel may not message them now (Zalo's window)."""
Deliver = Callable[[int, Reply, bool], Awaitable[object]]
"""Sends one message to a chat; the flag asks for Telegram's paid broadcast."""


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


class OutboxWorker:
    """Sends due outbox messages in order of priority, oldest first. The pacing (shared with
    direct replies) keeps the overall rate and one message a second per chat; the worker skips
    chats that are not free yet and keeps a few sends in flight so slow answers do not slow the
    rate. With `paid_broadcast`, urgent announcements go as Telegram's paid broadcast, with many
    more sends in flight (`PAID_IN_FLIGHT`), claimed several at a time on SQLite."""

    def __init__(self, db: Engine, deliver: Deliver, clock: Callable[[], datetime],
                 busy_chats: Callable[[], set[int | str]], *, idle_seconds: float = 0.5,
                 max_in_flight: int = IN_FLIGHT, max_paid_in_flight: int = PAID_IN_FLIGHT,
                 paid_broadcast: bool = False) -> None:
        self.db = db
        self.paid_broadcast = paid_broadcast
        self.deliver = deliver
        self.clock = clock
        self.busy_chats = busy_chats
        self.idle_seconds = idle_seconds
        self._locking = is_postgresql(db)
        self.max_in_flight = max_in_flight
        """Free sends under way at once."""
        self.max_all_in_flight = max_paid_in_flight if paid_broadcast and not self._locking else max_in_flight
        """Sends under way at once, paid ones included."""
        self.wake = asyncio.Event()
        self._in_flight: dict[asyncio.Task[None], bool] = {}
        """Sends under way, each with whether it is paid."""
        self._claimed_chats: set[int] = set()
        self._sent: list[tuple[int, asyncio.Future[None]]] = []
        self._marking: asyncio.Task[None] | None = None
        self._stopping = False

    async def run(self) -> None:
        self._stopping = False
        await asyncio.to_thread(self._recover)
        while not self._stopping:
            try:
                await self._step()
            except Exception:  # noqa: BLE001 - the worker must outlive a database hiccup
                log.exception("outbox round failed")
                await asyncio.sleep(self.idle_seconds)

    def _recover(self) -> None:
        """Rows left "sending" by a crash (SQLite, one process, or a version that marked claims
        this way): nobody is sending them; they go back to the queue (a hard crash may repeat one)."""
        with transaction(self.db) as session:
            _back_to_pending(session)

    async def stop(self) -> None:
        """Claim nothing more and let the sends already under way finish, so a restart neither
        repeats nor loses them."""
        self._stopping = True
        self.wake.set()
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=10)

    def _is_paid(self, priority: int) -> bool:
        return self.paid_broadcast and priority == URGENT_PRIORITY

    def _room(self) -> Room:
        free = sum(not paid for paid in self._in_flight.values())
        return Room(self.max_all_in_flight - len(self._in_flight), self.max_in_flight - free)

    async def _step(self) -> None:
        room = self._room()
        if not room.takes(paid=self.paid_broadcast):
            await asyncio.wait(set(self._in_flight), return_when=asyncio.FIRST_COMPLETED)
            return
        busy = {chat for chat in self.busy_chats() if isinstance(chat, int)} | self._claimed_chats
        claims = await asyncio.to_thread(self._claim_locked if self._locking else self._claim, busy, room)
        if claims and self._stopping:
            await asyncio.to_thread(self._let_go, claims)
            claims = []
        if not claims:
            if not room.takes(paid=False):  # the claim could take paid rows only, and none was due
                if not self._room().takes(paid=False):  # (free sends may have ended meanwhile)
                    await asyncio.wait(set(self._in_flight), return_when=asyncio.FIRST_COMPLETED)
                return
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=PER_CHAT_INTERVAL / 4 if busy else self.idle_seconds)
            except TimeoutError:
                pass
            self.wake.clear()
            return
        for claim in claims:
            self._start(claim)

    def _start(self, claim: Claim) -> None:
        chat_id = claim.message.chat_id
        self._claimed_chats.add(chat_id)
        task = asyncio.create_task(self._send(claim))
        self._in_flight[task] = self._is_paid(claim.message.priority)

        def ended(_: asyncio.Task[None]) -> None:
            del self._in_flight[task]
            self._claimed_chats.discard(chat_id)

        task.add_done_callback(ended)

    async def send_held(self, chat_id: int) -> None:
        """The person wrote again: send what was held for them, in order, before anything else.
        Any process may do this (the one the person's message reached), leader or not."""
        while (claim := await asyncio.to_thread(self._claim_held, chat_id)) is not None:
            await self._send(claim)
            if await asyncio.to_thread(self._status, claim.message.id or 0) == HELD:
                return

    def _claim_held(self, chat_id: int) -> Claim | None:
        query = select(OutboxMessage).where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == HELD
                                            ).order_by(col(OutboxMessage.id)).limit(1)
        if self._locking:
            return self._lock_first(query)
        with transaction(self.db) as session:
            message = session.exec(query).first()
            if message is None:
                return None
            claimed = session.execute(update(OutboxMessage).where(
                col(OutboxMessage.id) == message.id, col(OutboxMessage.status) == HELD).values(status="sending")).rowcount
            return Claim(message) if claimed == 1 else None

    def _let_go(self, claims: list[Claim]) -> None:
        """The worker stops before sending these: their rows are pending again, unchanged
        (on SQLite the claim is a mark, which must be taken back)."""
        for claim in claims:
            claim.abandon()
        if not self._locking:
            with transaction(self.db) as session:
                _back_to_pending(session, [claim.message.id or 0 for claim in claims])

    def _claim_locked(self, busy: set[int], room: Room) -> list[Claim]:
        """One row at a time: each claim is a transaction, and a connection, of its own. (Here
        every send counts toward one limit, so `room` takes any row once it takes one.)"""
        query = select(OutboxMessage).where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= self.clock())
        if busy:
            query = query.where(col(OutboxMessage.chat_id).not_in(busy))
        claim = self._lock_first(query.order_by(col(OutboxMessage.priority), col(OutboxMessage.id)).limit(1))
        return [claim] if claim is not None else []

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

    def _status(self, message_id: int) -> str | None:
        with transaction(self.db) as session:
            message = session.get(OutboxMessage, message_id)
            return message.status if message is not None else None

    def _claim(self, busy: set[int], room: Room) -> list[Claim]:
        """As many due rows as there is `room` for, one per chat, in one transaction. The
        candidates are read as three columns, and only the rows claimed in full: this runs for
        every few messages a broadcast sends. (The transaction holds SQLite's write lock from its
        start, so no other claim can take a candidate meanwhile.)"""
        now = self.clock()
        chosen: list[int] = []
        with transaction(self.db) as session:
            candidates = session.execute(
                select(OutboxMessage.id, OutboxMessage.chat_id, OutboxMessage.priority).where(
                    OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
                ).order_by(col(OutboxMessage.priority), col(OutboxMessage.id)).limit(CLAIM_WINDOW)
            ).all()
            for message_id, chat_id, priority in candidates:
                paid = self._is_paid(priority)
                if chat_id in busy:
                    continue
                busy.add(chat_id)  # also when there is no room for this row: the chat's later rows wait for it
                if not room.takes(paid=paid):
                    continue
                chosen.append(message_id)
                room = room.after(paid=paid)
                if not room.takes(paid=self.paid_broadcast):
                    break
            if not chosen:
                return []
            messages = session.scalars(update(OutboxMessage).where(col(OutboxMessage.id).in_(chosen))
                                       .values(status="sending").returning(OutboxMessage)).all()
        rank = {message_id: place for place, message_id in enumerate(chosen)}
        return sorted((Claim(message) for message in messages), key=lambda claim: rank[claim.message.id or 0])

    async def _send(self, claim: Claim) -> None:
        message = claim.message
        assert message.id is not None
        try:
            paid = self._is_paid(message.priority)
            await self.deliver(message.chat_id, Reply.from_json(message.payload), paid)
        except RetryLater as exc:
            await asyncio.to_thread(self._retry, claim, timedelta(seconds=exc.seconds), str(exc), False)
        except WindowClosed as exc:
            await asyncio.to_thread(self._finish, claim, HELD, str(exc))
        except Unreachable as exc:
            await asyncio.to_thread(self._blocked, claim, str(exc))
        except Refused as exc:
            await asyncio.to_thread(self._finish, claim, "failed", str(exc))
        except Transient as exc:
            await asyncio.to_thread(self._retry, claim, timedelta(seconds=min(2 ** message.attempts, 300)),
                                    str(exc), True)
        except Exception as exc:  # noqa: BLE001 - a malformed payload must not stop the queue
            log.exception("outbox message %s could not be sent", message.id)
            await asyncio.to_thread(self._finish, claim, "failed", repr(exc))
        else:
            if claim.session is None:
                await self._mark_sent(message.id)
            else:
                await asyncio.to_thread(self._finish, claim, "sent", None)
        finally:
            # Only when recording the outcome failed: on PostgreSQL the row is pending again; on
            # SQLite it stays "sending" until the next start (`_recover`) puts it back.
            claim.abandon()

    async def _mark_sent(self, message_id: int) -> None:
        """Record the message as sent together with the others that were accepted meanwhile, in
        one transaction: on SQLite a transaction each queues every send on the database's one
        write lock (a paid broadcast went 175 messages a second that way, 217 so; bench/RESULTS.md)."""
        marked = asyncio.get_running_loop().create_future()
        self._sent.append((message_id, marked))
        if self._marking is None or self._marking.done():
            self._marking = asyncio.create_task(self._mark_all_sent())
        await marked

    async def _mark_all_sent(self) -> None:
        """A failed write is made again a few times (it changes nothing when repeated): rows not
        recorded stay "sending", and a restart would send every one of the batch again."""
        while self._sent:
            batch, self._sent = self._sent, []
            failure: Exception | None = None
            for pause in RECORD_RETRIES:
                try:
                    await asyncio.to_thread(self._record_sent, [message_id for message_id, _ in batch])
                except Exception as exc:  # noqa: BLE001 - each send that waits for it hears why
                    log.warning("recording %d sent outbox messages failed (%s); trying again", len(batch), exc)
                    failure = exc
                    await asyncio.sleep(pause)
                else:
                    failure = None
                    break
            for _, marked in batch:
                if marked.done():  # its send was cancelled meanwhile
                    continue
                if failure is None:
                    marked.set_result(None)
                else:
                    marked.set_exception(failure)

    def _record_sent(self, message_ids: list[int]) -> None:
        with transaction(self.db) as session:
            session.execute(update(OutboxMessage).where(col(OutboxMessage.id).in_(message_ids)).values(
                **_as_sent(self.clock())))

    def _finish(self, claim: Claim, status: str, error: str | None) -> None:
        message_id = claim.message.id
        values = _as_sent(self.clock()) if status == "sent" else {"status": status, "sent_at": None, "last_error": error}
        claim.settle(self.db, lambda session: session.execute(update(OutboxMessage).where(
            col(OutboxMessage.id) == message_id).values(**values)))
        if error:
            log.warning("outbox message %s %s: %s", message_id, status, error)

    def _blocked(self, claim: Claim, error: str) -> None:
        """The person blocked the bot: stop announcements to them; nothing else can reach them."""
        now = self.clock()
        message = claim.message

        def change(session: Session) -> None:
            session.execute(update(Subscriber).where(col(Subscriber.chat_id) == message.chat_id).values(
                subscribed=False, blocked=True, changed_at=now))
            session.execute(update(OutboxMessage).where(col(OutboxMessage.id) == message.id).values(
                status="failed", last_error=error))

        claim.settle(self.db, change)

    def _retry(self, claim: Claim, delay: timedelta, error: str, count_attempt: bool) -> None:
        message = claim.message
        attempts = message.attempts + 1 if count_attempt else message.attempts
        if attempts >= MAX_ATTEMPTS:
            self._finish(claim, "failed", error)
            return
        claim.settle(self.db, lambda session: session.execute(update(OutboxMessage).where(
            col(OutboxMessage.id) == message.id).values(status="pending", attempts=attempts,
                                                        next_attempt_at=self.clock() + delay, last_error=error)))


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

"""The outbox's sending side: a worker in the bot process claims due messages (case notices,
then feedback, then urgent and then other announcements, oldest first; `storage.outbox`) and
sends each through its channel, retrying on network errors, server errors and flood limits, so
an outage or a restart delays a notification but never loses it. A message is marked sent right
after the channel accepts it; when the bot stops, sends under way are allowed to finish first,
so only a hard crash in that instant can repeat one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import col, select

from bot.runtime.pacing import PER_CHAT_INTERVAL
from dialogs.output import Reply
from handlers.desk import Refused, RetryLater, Transient, Unreachable, WindowClosed
from storage.db import transaction
from storage.models import OutboxMessage, Subscriber
from storage.outbox import URGENT_PRIORITY

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_WINDOW = 50
HELD = "held"
"""Waiting for the person to write again: the channel may not message them now (Zalo's window)."""
Deliver = Callable[[int, Reply, bool], Awaitable[object]]
"""Sends one message to a chat; the flag asks for Telegram's paid broadcast."""


class OutboxWorker:
    """Sends due outbox messages in order of priority, oldest first. The pacing (shared with
    direct replies) keeps the overall rate and one message a second per chat; the worker skips
    chats that are not free yet and keeps a few sends in flight so slow answers do not slow the
    rate. With `paid_broadcast`, urgent announcements go as Telegram's paid broadcast."""

    def __init__(self, db: Engine, deliver: Deliver, clock: Callable[[], datetime],
                 busy_chats: Callable[[], set[int | str]], *, idle_seconds: float = 0.5, max_in_flight: int = 8,
                 paid_broadcast: bool = False) -> None:
        self.db = db
        self.paid_broadcast = paid_broadcast
        self.deliver = deliver
        self.clock = clock
        self.busy_chats = busy_chats
        self.idle_seconds = idle_seconds
        self.max_in_flight = max_in_flight
        self.wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._claimed_chats: set[int] = set()
        self._stopping = False

    async def run(self) -> None:
        await asyncio.to_thread(self._recover)
        while not self._stopping:
            try:
                await self._step()
            except Exception:  # noqa: BLE001 - the worker must outlive a database hiccup
                log.exception("outbox round failed")
                await asyncio.sleep(self.idle_seconds)

    def _recover(self) -> None:
        """Rows left "sending" by a process that died: only one bot process polls Telegram, so
        nobody else is sending them; they go back to the queue (a hard crash may repeat one)."""
        with transaction(self.db) as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.status == "sending").values(status="pending"))

    async def stop(self) -> None:
        """Claim nothing more and let the sends already under way finish, so a restart neither
        repeats nor loses them."""
        self._stopping = True
        self.wake.set()
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=10)

    async def _step(self) -> None:
        if len(self._in_flight) >= self.max_in_flight:
            await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
        busy = {chat for chat in self.busy_chats() if isinstance(chat, int)} | self._claimed_chats
        message = await asyncio.to_thread(self._claim, busy)
        if message is None or self._stopping:
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=PER_CHAT_INTERVAL / 4 if busy else self.idle_seconds)
            except TimeoutError:
                pass
            self.wake.clear()
            return
        self._claimed_chats.add(message.chat_id)
        task = asyncio.create_task(self._send(message))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        task.add_done_callback(lambda _: self._claimed_chats.discard(message.chat_id))

    async def send_held(self, chat_id: int) -> None:
        """The person wrote again: send what was held for them, in order, before anything else."""
        while (message := await asyncio.to_thread(self._claim_held, chat_id)) is not None:
            await self._send(message)
            if await asyncio.to_thread(self._status, message.id or 0) == HELD:
                return

    def _claim_held(self, chat_id: int) -> OutboxMessage | None:
        with transaction(self.db) as session:
            message = session.exec(select(OutboxMessage).where(
                OutboxMessage.chat_id == chat_id, OutboxMessage.status == HELD).order_by(col(OutboxMessage.id))).first()
            if message is None:
                return None
            claimed = session.execute(update(OutboxMessage).where(
                col(OutboxMessage.id) == message.id, col(OutboxMessage.status) == HELD).values(status="sending")).rowcount
            return message if claimed == 1 else None

    def _status(self, message_id: int) -> str | None:
        with transaction(self.db) as session:
            message = session.get(OutboxMessage, message_id)
            return message.status if message is not None else None

    def _claim(self, busy: set[int]) -> OutboxMessage | None:
        now = self.clock()
        with transaction(self.db) as session:
            candidates = session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
                ).order_by(col(OutboxMessage.priority), col(OutboxMessage.id)).limit(CLAIM_WINDOW)
            ).all()
            for candidate in candidates:
                if candidate.chat_id in busy:
                    continue
                claimed = session.execute(update(OutboxMessage).where(
                    OutboxMessage.id == candidate.id, OutboxMessage.status == "pending",
                ).values(status="sending")).rowcount
                if claimed == 1:
                    return candidate
                busy.add(candidate.chat_id)
            return None

    async def _send(self, message: OutboxMessage) -> None:
        assert message.id is not None
        try:
            paid = self.paid_broadcast and message.priority == URGENT_PRIORITY
            await self.deliver(message.chat_id, Reply.from_json(message.payload), paid)
        except RetryLater as exc:
            await asyncio.to_thread(self._retry, message, timedelta(seconds=exc.seconds), str(exc), False)
        except WindowClosed as exc:
            await asyncio.to_thread(self._finish, message.id, HELD, str(exc))
        except Unreachable as exc:
            await asyncio.to_thread(self._blocked, message, str(exc))
        except Refused as exc:
            await asyncio.to_thread(self._finish, message.id, "failed", str(exc))
        except Transient as exc:
            await asyncio.to_thread(self._retry, message, timedelta(seconds=min(2 ** message.attempts, 300)),
                                    str(exc), True)
        except Exception as exc:  # noqa: BLE001 - a malformed payload must not stop the queue
            log.exception("outbox message %s could not be sent", message.id)
            await asyncio.to_thread(self._finish, message.id, "failed", repr(exc))
        else:
            await asyncio.to_thread(self._finish, message.id, "sent", None)

    def _finish(self, message_id: int, status: str, error: str | None) -> None:
        now = self.clock()
        with transaction(self.db) as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
                status=status, sent_at=now if status == "sent" else None, last_error=error))
        if error:
            log.warning("outbox message %s %s: %s", message_id, status, error)

    def _blocked(self, message: OutboxMessage, error: str) -> None:
        """The person blocked the bot: stop announcements to them; nothing else can reach them."""
        now = self.clock()
        with transaction(self.db) as session:
            session.execute(update(Subscriber).where(Subscriber.chat_id == message.chat_id).values(
                subscribed=False, blocked=True, changed_at=now))
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(
                status="failed", last_error=error))

    def _retry(self, message: OutboxMessage, delay: timedelta, error: str, count_attempt: bool) -> None:
        attempts = message.attempts + 1 if count_attempt else message.attempts
        if attempts >= MAX_ATTEMPTS:
            self._finish(message.id or 0, "failed", error)
            return
        with transaction(self.db) as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(
                status="pending", attempts=attempts, next_attempt_at=self.clock() + delay, last_error=error))

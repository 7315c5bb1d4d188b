"""The outbox's sending side: a worker in the bot process claims due messages (case notices,
then feedback, then urgent and then other announcements, oldest first; `storage.outbox`) and
sends each through its channel, retrying on network errors, server errors and flood limits, so
an outage or a restart delays a notification but never loses it. A message is marked sent right
after the channel accepts it; when the bot stops, sends under way are allowed to finish first,
so only a hard crash in that instant can repeat one. How a message is claimed, and how its
outcome is recorded, on SQLite and on PostgreSQL: `bot.runtime.outbox_rows`.

The worker is woken by the commit of every message queued in its process (`storage.outbox.listen`)
and when a retry falls due. It looks on its own for messages queued by other processes: every
`LOOK_EVERY` seconds on SQLite, where the bot is one process, and every `LOOK_EVERY_SHARED` seconds
on PostgreSQL, where the bot's other processes queue the case notices of the updates they handle
and only the leader sends (`bot.runtime.leader`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot.runtime.outbox_rows import HELD, Claim, OutboxRows, Room
from bot.runtime.pacing import PER_CHAT_INTERVAL
from dialogs.output import Reply
from handlers.desk import Refused, RetryLater, Transient, Unreachable, WindowClosed
from storage.outbox import listen

log = logging.getLogger(__name__)

LOOK_EVERY = 2.0
"""Seconds between looks for due messages when nothing woke the worker, on SQLite: only what a
command such as `motcua jobs run` queued waits that long. Each look costs about a millisecond of
CPU; looking twice a second was most of what an idle bot cost (bench/RESULTS.md)."""
LOOK_EVERY_SHARED = 0.5
"""The same on PostgreSQL, where a case notice queued by another process of the bot waits for it."""
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
Deliver = Callable[[int, Reply, bool], Awaitable[object]]
"""Sends one message to a chat; the flag asks for Telegram's paid broadcast."""


class OutboxWorker:
    """Sends due outbox messages in order of priority, oldest first. The pacing (shared with
    direct replies) keeps the overall rate and one message a second per chat; the worker skips
    chats that are not free yet and keeps a few sends in flight so slow answers do not slow the
    rate. With `paid_broadcast`, urgent announcements go as Telegram's paid broadcast, with many
    more sends in flight (`PAID_IN_FLIGHT`), claimed several at a time on SQLite."""

    def __init__(self, db: Engine, deliver: Deliver, clock: Callable[[], datetime],
                 busy_chats: Callable[[], set[int | str]], *, idle_seconds: float | None = None,
                 max_in_flight: int = IN_FLIGHT, max_paid_in_flight: int = PAID_IN_FLIGHT,
                 paid_broadcast: bool = False) -> None:
        self.rows = OutboxRows(db, clock, paid_broadcast=paid_broadcast)
        self.deliver = deliver
        self.busy_chats = busy_chats
        if idle_seconds is None:
            idle_seconds = LOOK_EVERY_SHARED if self.rows.locking else LOOK_EVERY
        self.idle_seconds = idle_seconds
        self.max_in_flight = max_in_flight
        """Free sends under way at once."""
        self.max_all_in_flight = max_paid_in_flight if paid_broadcast and not self.rows.locking else max_in_flight
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
        loop = asyncio.get_running_loop()

        def queued() -> None:  # called in the thread that committed
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self.wake.set)

        stop_listening = listen(queued)
        try:
            await asyncio.to_thread(self.rows.recover)
            while not self._stopping:
                try:
                    await self._step()
                except Exception:  # noqa: BLE001 - the worker must outlive a database hiccup
                    log.exception("outbox round failed")
                    await asyncio.sleep(self.idle_seconds)
        finally:
            stop_listening()

    async def stop(self) -> None:
        """Claim nothing more and let the sends already under way finish, so a restart neither
        repeats nor loses them."""
        self._stopping = True
        self.wake.set()
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=10)

    def _room(self) -> Room:
        free = sum(not paid for paid in self._in_flight.values())
        return Room(self.max_all_in_flight - len(self._in_flight), self.max_in_flight - free)

    async def _step(self) -> None:
        room = self._room()
        if not room.takes(paid=self.rows.paid_broadcast):
            await asyncio.wait(set(self._in_flight), return_when=asyncio.FIRST_COMPLETED)
            return
        busy = {chat for chat in self.busy_chats() if isinstance(chat, int)} | self._claimed_chats
        claims, waiting = await asyncio.to_thread(self.rows.claim_due, busy, room)
        if claims and self._stopping:
            await asyncio.to_thread(self.rows.let_go, claims)
            claims = []
        if not claims:
            if not room.takes(paid=False):  # the claim could take paid rows only, and none was due
                if not self._room().takes(paid=False):  # (free sends may have ended meanwhile)
                    await asyncio.wait(set(self._in_flight), return_when=asyncio.FIRST_COMPLETED)
                return
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=PER_CHAT_INTERVAL / 4 if waiting else self.idle_seconds)
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
        self._in_flight[task] = self.rows.is_paid(claim.message.priority)

        def ended(_: asyncio.Task[None]) -> None:
            del self._in_flight[task]
            self._claimed_chats.discard(chat_id)

        task.add_done_callback(ended)

    async def send_held(self, chat_id: int) -> None:
        """The person wrote again: send what was held for them, in order, before anything else.
        Any process may do this (the one the person's message reached), leader or not."""
        while (claim := await asyncio.to_thread(self.rows.claim_held, chat_id)) is not None:
            await self._send(claim)
            if await asyncio.to_thread(self.rows.status, claim.message.id or 0) == HELD:
                return

    async def _send(self, claim: Claim) -> None:
        message = claim.message
        assert message.id is not None
        try:
            paid = self.rows.is_paid(message.priority)
            await self.deliver(message.chat_id, Reply.from_json(message.payload), paid)
        except RetryLater as exc:
            await self._retry(claim, exc.seconds, str(exc), False)
        except WindowClosed as exc:
            await asyncio.to_thread(self.rows.finish, claim, HELD, str(exc))
        except Unreachable as exc:
            await asyncio.to_thread(self.rows.blocked, claim, str(exc))
        except Refused as exc:
            await asyncio.to_thread(self.rows.finish, claim, "failed", str(exc))
        except Transient as exc:
            await self._retry(claim, min(2 ** message.attempts, 300), str(exc), True)
        except Exception as exc:  # noqa: BLE001 - a malformed payload must not stop the queue
            log.exception("outbox message %s could not be sent", message.id)
            await asyncio.to_thread(self.rows.finish, claim, "failed", repr(exc))
        else:
            if claim.session is None:
                await self._mark_sent(message.id)
            else:
                await asyncio.to_thread(self.rows.finish, claim, "sent", None)
        finally:
            # Only when recording the outcome failed: on PostgreSQL the row is pending again; on
            # SQLite it stays "sending" until the next start (`OutboxRows.recover`) puts it back.
            claim.abandon()

    async def _retry(self, claim: Claim, seconds: float, error: str, count_attempt: bool) -> None:
        """Back in the queue for `seconds`; the worker wakes when they are over."""
        await asyncio.to_thread(self.rows.retry, claim, timedelta(seconds=seconds), error, count_attempt)
        asyncio.get_running_loop().call_later(seconds, self.wake.set)

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
                    await asyncio.to_thread(self.rows.record_sent, [message_id for message_id, _ in batch])
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

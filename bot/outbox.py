"""The outbox: messages for people other than the one whose update is being handled (officers
told of a new case, a citizen told of a status change, digests, reminders).

They are written to the database in the same transaction as the change they report, and a
worker in the bot process sends them, retrying on network errors, 5xx answers and Telegram's
flood limits, so an outage or a restart delays a notification but never loses it. A message is
marked sent right after Telegram accepts it; when the bot stops, sends under way are allowed to
finish first, so only a hard crash in that instant can repeat one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.pacing import PER_CHAT_INTERVAL, Pacing
from dialogs.model import Reply
from storage.db import transaction
from storage.models import OutboxMessage, Subscriber

log = logging.getLogger(__name__)

CASE_PRIORITY = 0
BULK_PRIORITY = 10
MAX_ATTEMPTS = 8
CLAIM_WINDOW = 50


def text_payload(reply: Reply) -> dict[str, Any]:
    return {"kind": "text", "text": reply.full_text, "buttons": _buttons(reply)}


def photo_payload(file_id: str, caption: str = "", reply: Reply | None = None) -> dict[str, Any]:
    return {"kind": "photo", "file_id": file_id, "caption": caption, "buttons": _buttons(reply)}


def document_payload(file_id: str, caption: str = "", reply: Reply | None = None) -> dict[str, Any]:
    return {"kind": "document", "file_id": file_id, "caption": caption, "buttons": _buttons(reply)}


def album_payload(file_ids: list[str], caption: str = "") -> dict[str, Any]:
    return {"kind": "album", "file_ids": file_ids, "caption": caption}


def _buttons(reply: Reply | None) -> list[list[list[str]]]:
    if reply is None:
        return []
    return [[[button.label, button.payload] for button in row] for row in reply.buttons]


def enqueue(session: Session, chat_id: int, payload: dict[str, Any], *, now: datetime,
            priority: int = CASE_PRIORITY, dedupe_key: str | None = None) -> None:
    session.add(OutboxMessage(chat_id=chat_id, payload=payload, priority=priority, next_attempt_at=now,
                              created_at=now, dedupe_key=dedupe_key))


def _markup(payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
    rows = payload.get("buttons") or []
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows])


async def deliver(bot: Bot, chat_id: int, payload: dict[str, Any], *, bulk: bool = False) -> None:
    """Send one outbox payload; `bulk` asks the pacing to keep a second between messages to the chat."""
    kind = payload["kind"]
    caption = payload.get("caption") or None
    if kind == "text":
        await bot.send_message(chat_id, payload["text"], parse_mode=ParseMode.HTML, reply_markup=_markup(payload),
                               rate_limit_args=bulk)
    elif kind == "photo":
        await bot.send_photo(chat_id, payload["file_id"], caption=caption, parse_mode=ParseMode.HTML,
                             reply_markup=_markup(payload), rate_limit_args=bulk)
    elif kind == "document":
        await bot.send_document(chat_id, payload["file_id"], caption=caption, parse_mode=ParseMode.HTML,
                                reply_markup=_markup(payload), rate_limit_args=bulk)
    elif kind == "album":
        for group in (payload["file_ids"][start:start + 10] for start in range(0, len(payload["file_ids"]), 10)):
            if len(group) == 1:
                await bot.send_photo(chat_id, group[0], caption=caption, parse_mode=ParseMode.HTML,
                                     rate_limit_args=bulk)
            else:
                await bot.send_media_group(chat_id, [InputMediaPhoto(file_id) for file_id in group],
                                           rate_limit_args=bulk)
    else:
        raise ValueError(f"unknown outbox payload kind {kind!r}")


class OutboxWorker:
    """Sends due outbox messages, case notifications before announcements, oldest first. The
    pacing (shared with direct replies) keeps the overall rate and one message a second per chat;
    the worker skips chats that are not free yet and keeps a few sends in flight so slow answers
    do not slow the rate."""

    def __init__(self, db: Engine, bot: Bot, clock: Callable[[], datetime], pacing: Pacing, *,
                 idle_seconds: float = 0.5, max_in_flight: int = 8) -> None:
        self.db = db
        self.bot = bot
        self.clock = clock
        self.pacing = pacing
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
        busy = {chat for chat in self.pacing.busy_chats() if isinstance(chat, int)} | self._claimed_chats
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

    def _claim(self, busy: set[int]) -> OutboxMessage | None:
        now = self.clock()
        with transaction(self.db) as session:
            candidates = session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
                ).order_by(OutboxMessage.priority, OutboxMessage.id).limit(CLAIM_WINDOW)  # type: ignore[arg-type]
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
            await deliver(self.bot, message.chat_id, message.payload, bulk=True)
        except RetryAfter as exc:
            delay = exc.retry_after if isinstance(exc.retry_after, (int, float)) else exc.retry_after.total_seconds()
            await asyncio.to_thread(self._retry, message, timedelta(seconds=float(delay)), str(exc), False)
        except Forbidden as exc:
            await asyncio.to_thread(self._blocked, message, str(exc))
        except BadRequest as exc:
            await asyncio.to_thread(self._finish, message.id, "failed", str(exc))
        except (NetworkError, TelegramError) as exc:
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
        """The person blocked the bot (403): stop announcements to them; nothing else can reach them."""
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

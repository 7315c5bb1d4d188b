"""The outbox: messages for people other than the one whose update is being handled (officers
told of a new case, a citizen told of a status change, digests, reminders).

They are written to the database in the same transaction as the change they report, and a
worker in the bot process sends them, retrying on network errors, 5xx answers and Telegram's
flood limits, so an outage or a restart delays a notification but never loses it. A message is
marked sent right after Telegram accepts it; only a crash in that instant can repeat one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, or_, update
from sqlmodel import Session, select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from dialogs.model import Reply
from storage.db import transaction
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

CASE_PRIORITY = 0
BULK_PRIORITY = 10
MAX_ATTEMPTS = 8
STALE_CLAIM = timedelta(minutes=2)


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


async def deliver(bot: Bot, chat_id: int, payload: dict[str, Any]) -> None:
    kind = payload["kind"]
    if kind == "text":
        await bot.send_message(chat_id, payload["text"], parse_mode=ParseMode.HTML, reply_markup=_markup(payload))
    elif kind == "photo":
        await bot.send_photo(chat_id, payload["file_id"], caption=payload.get("caption") or None,
                             parse_mode=ParseMode.HTML, reply_markup=_markup(payload))
    elif kind == "document":
        await bot.send_document(chat_id, payload["file_id"], caption=payload.get("caption") or None,
                                parse_mode=ParseMode.HTML, reply_markup=_markup(payload))
    elif kind == "album":
        file_ids = payload["file_ids"]
        if len(file_ids) == 1:
            await bot.send_photo(chat_id, file_ids[0], caption=payload.get("caption") or None, parse_mode=ParseMode.HTML)
            return
        for start in range(0, len(file_ids), 10):
            group = file_ids[start:start + 10]
            media = [InputMediaPhoto(file_id) for file_id in group]
            if len(media) == 1:
                await bot.send_photo(chat_id, group[0])
            else:
                await bot.send_media_group(chat_id, media)
    else:
        raise ValueError(f"unknown outbox payload kind {kind!r}")


class OutboxWorker:
    """Sends due outbox messages, case notifications first, oldest first."""

    def __init__(self, db: Engine, bot: Bot, clock: Callable[[], datetime], *, idle_seconds: float = 0.5) -> None:
        self.db = db
        self.bot = bot
        self.clock = clock
        self.idle_seconds = idle_seconds
        self.wake = asyncio.Event()

    async def run(self) -> None:
        while True:
            try:
                sent_any = await self.send_due()
            except Exception:  # noqa: BLE001 - the worker must outlive a database hiccup
                log.exception("outbox round failed")
                sent_any = False
            if not sent_any:
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=self.idle_seconds)
                except TimeoutError:
                    pass
                self.wake.clear()

    def _claim(self) -> OutboxMessage | None:
        now = self.clock()
        with transaction(self.db) as session:
            candidate = session.exec(
                select(OutboxMessage).where(
                    or_(OutboxMessage.status == "pending",
                        (OutboxMessage.status == "sending") & (OutboxMessage.next_attempt_at <= now - STALE_CLAIM)),
                    OutboxMessage.next_attempt_at <= now,
                ).order_by(OutboxMessage.priority, OutboxMessage.id).limit(1)  # type: ignore[arg-type]
            ).first()
            if candidate is None:
                return None
            claimed = session.execute(update(OutboxMessage).where(
                OutboxMessage.id == candidate.id, OutboxMessage.status == candidate.status,
                OutboxMessage.attempts == candidate.attempts,
            ).values(status="sending", attempts=candidate.attempts + 1, next_attempt_at=now)).rowcount
            return candidate if claimed == 1 else None

    async def send_due(self) -> bool:
        message = self._claim()
        if message is None:
            return False
        assert message.id is not None
        try:
            await deliver(self.bot, message.chat_id, message.payload)
        except RetryAfter as exc:
            delay = exc.retry_after if isinstance(exc.retry_after, (int, float)) else exc.retry_after.total_seconds()
            self._retry(message, timedelta(seconds=float(delay)), str(exc), count_attempt=False)
        except Forbidden as exc:
            self._finish(message.id, "failed", str(exc))
        except BadRequest as exc:
            self._finish(message.id, "failed", str(exc))
        except (NetworkError, TelegramError) as exc:
            self._retry(message, timedelta(seconds=min(2 ** message.attempts, 300)), str(exc))
        else:
            self._finish(message.id, "sent", None)
        return True

    def _finish(self, message_id: int, status: str, error: str | None) -> None:
        now = self.clock()
        with transaction(self.db) as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
                status=status, sent_at=now if status == "sent" else None, last_error=error))
        if error:
            log.warning("outbox message %s %s: %s", message_id, status, error)

    def _retry(self, message: OutboxMessage, delay: timedelta, error: str, *, count_attempt: bool = True) -> None:
        attempts = message.attempts + 1 if count_attempt else message.attempts
        if attempts >= MAX_ATTEMPTS:
            self._finish(message.id or 0, "failed", error)
            return
        with transaction(self.db) as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(
                status="pending", attempts=attempts, next_attempt_at=self.clock() + delay, last_error=error))

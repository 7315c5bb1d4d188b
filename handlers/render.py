"""Send the engine's replies as Telegram messages with inline keyboards."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from dialogs.model import Reply


REPLY_ATTEMPTS = 3


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(button.label, callback_data=button.payload) for button in row] for row in reply.buttons]
    )


def chunks(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Split a long text at paragraph breaks so no message exceeds Telegram's limit."""
    parts: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while len(paragraph) > limit:
            cut = paragraph.rfind("\n", 0, limit)
            cut = cut if cut > 0 else limit
            parts.append(paragraph[:cut])
            paragraph = paragraph[cut:].lstrip("\n")
        current = paragraph
    if current:
        parts.append(current)
    return parts


async def _retrying(send: Callable[[], Awaitable[object]]) -> None:
    """A reply is the answer to what the person just did: a passing network error or flood
    limit is waited out a few times rather than leaving them without an answer."""
    for attempt in range(REPLY_ATTEMPTS):
        try:
            await send()
            return
        except BadRequest:
            raise
        except RetryAfter as exc:
            delay = exc.retry_after if isinstance(exc.retry_after, (int, float)) else exc.retry_after.total_seconds()
            await asyncio.sleep(float(delay))
        except (TimedOut, NetworkError):
            if attempt == REPLY_ATTEMPTS - 1:
                raise
            await asyncio.sleep(2 ** attempt)


async def send_replies(bot: Bot, chat_id: int, replies: list[Reply]) -> None:
    for reply in replies:
        if reply.image is not None:
            image = reply.image
            await _retrying(lambda: bot.send_photo(chat_id, image, caption=reply.image_caption or None,
                                                   parse_mode=ParseMode.HTML))
        pieces = chunks(reply.full_text)
        for index, piece in enumerate(pieces):
            markup = keyboard(reply) if index == len(pieces) - 1 else None
            await _retrying(lambda: bot.send_message(chat_id, piece, parse_mode=ParseMode.HTML, reply_markup=markup))

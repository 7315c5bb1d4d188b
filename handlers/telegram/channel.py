"""Telegram as a channel: downloading what people send, and sending replies (direct answers and
outbox messages) as Telegram messages. The pacing (`bot.runtime.pacing`) sits under every call."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from telegram import Bot, InputFile, InputMediaPhoto
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBUserWarning

from dialogs.model import IncomingFile
from dialogs.output import Attachment, Reply
from handlers.desk import FetchFailed, Refused, RetryLater, Sent, Transient, Unreachable
from handlers.pieces import pieces
from handlers.downloads import stream
from handlers.telegram.render import CAPTION_LIMIT, TEXT_LIMIT, caption_text, html, keyboard, message_texts
from storage.files import FileStore, Incoming

# `_text` asks for sendMessage through `do_api_request` on purpose (see there); python-telegram-bot
# would otherwise warn at each text that `Bot.send_message` exists.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage'", category=PTBUserWarning)

ALBUM_SIZE = 10
T = TypeVar("T")
NETWORK_ATTEMPTS = 3


@dataclass(frozen=True)
class _Options:
    """How every request of one reply is sent: `bulk` for the pacing, `paid` (True or None,
    which leaves the parameter out) for Telegram."""

    bulk: bool
    paid: bool | None


class TelegramChannel:
    def __init__(self, bot: Bot, store: FileStore) -> None:
        self.bot = bot
        self.store = store
        self.downloads = httpx.AsyncClient(timeout=60, follow_redirects=True)

    async def close(self) -> None:
        await self.downloads.aclose()

    async def fetch(self, file: IncomingFile, into: Incoming) -> None:
        try:
            telegram_file = await self.bot.get_file(file.file_id)
        except TelegramError as exc:
            raise FetchFailed(str(exc)) from exc
        if telegram_file.file_size is not None and telegram_file.file_size > into.limit:
            raise FetchFailed("larger than the limit", size=telegram_file.file_size)
        if not telegram_file.file_path:
            raise FetchFailed("Telegram gave no file path")
        await stream(self.downloads, telegram_file.file_path, into)

    async def send(self, chat_id: int, reply: Reply) -> Sent:
        try:
            message_ids = await self.deliver(chat_id, reply)
        except Refused as refusal:
            return Sent(refusal=str(refusal))
        return Sent(message_id=message_ids[-1] if message_ids else None)

    async def reply(self, chat_id: int, replies: list[Reply]) -> None:
        """Answers to what someone just did: a passing network error is waited out a few times
        rather than leaving them without an answer."""
        for reply in replies:
            await self.deliver(chat_id, reply, attempts=NETWORK_ATTEMPTS)

    async def deliver(self, chat_id: int, reply: Reply, *, bulk: bool = False, attempts: int = 1,
                      paid: bool = False) -> list[int]:
        """Send one reply: its attachments, then its text with the buttons under the last piece;
        the ids of the messages sent, in order.
        `bulk` (outbox messages) asks the pacing to keep a second between messages to one chat;
        `paid` sends with Telegram's paid broadcast (an urgent announcement). Telegram's errors
        come out as the channel-neutral ones of `handlers.desk`."""
        try:
            return await self._deliver(chat_id, reply, _Options(bulk, paid or None), attempts)
        except RetryAfter as exc:
            delay = exc.retry_after if isinstance(exc.retry_after, (int, float)) else exc.retry_after.total_seconds()
            raise RetryLater(str(exc), float(delay)) from exc
        except Forbidden as exc:
            raise Unreachable(str(exc)) from exc
        except BadRequest as exc:
            raise Refused(exc.message) from exc
        except EndPointNotFound as exc:  # `do_api_request`'s name for Telegram's 401/404: a bad token
            raise Transient(str(exc.__cause__ or exc)) from exc
        except TelegramError as exc:
            raise Transient(str(exc)) from exc

    async def _deliver(self, chat_id: int, reply: Reply, options: _Options, attempts: int) -> list[int]:
        """Nothing is dropped for its length: a text too long for one message goes as several, a
        caption too long for Telegram's 1,024 characters as text after its photo or file."""
        sent: list[int] = []
        markup = keyboard(reply.buttons)
        attachments = list(reply.attachments)
        if len(attachments) == 1 and not attachments[0].caption:
            caption = message_texts(reply, CAPTION_LIMIT)
            if len(caption) == 1:
                return [await _again(attempts, self._attachment, chat_id, attachments[0], caption[0], markup, options)]
        later: list[str] = []  # captions too long to go with their photo or file
        photos = [a for a in attachments if a.kind == "photo"]
        if len(photos) > 1:
            for start in range(0, len(photos), ALBUM_SIZE):
                group = photos[start:start + ALBUM_SIZE]
                if len(group) == 1:
                    sent += await self._with_caption(chat_id, group[0], options, attempts)
                else:
                    captions = [caption_text(a.caption) for a in group]
                    media = [InputMediaPhoto(await self._file(a), caption=c or None, parse_mode=ParseMode.HTML)
                             for a, c in zip(group, captions, strict=True)]
                    sent += await _again(attempts, self._album, chat_id, media, options)
                    later += [html(part) for a, c in zip(group, captions, strict=True) if c is None
                              for part in pieces(a.caption, TEXT_LIMIT)]
            attachments = [a for a in attachments if a.kind != "photo"]
        for attachment in attachments:
            sent += await self._with_caption(chat_id, attachment, options, attempts)
        texts = later + message_texts(reply, TEXT_LIMIT)
        for index, part in enumerate(texts):
            last = index == len(texts) - 1
            sent.append(await _again(attempts, self._text, chat_id, part, markup if last else None, options))
        return sent

    async def _with_caption(self, chat_id: int, attachment: Attachment, options: _Options,
                            attempts: int) -> list[int]:
        caption = caption_text(attachment.caption)
        sent = [await _again(attempts, self._attachment, chat_id, attachment, caption or "", None, options)]
        if caption is None:
            for part in pieces(attachment.caption, TEXT_LIMIT):
                sent.append(await _again(attempts, self._text, chat_id, html(part), None, options))
        return sent

    async def _text(self, chat_id: int, text: str, markup: Any, options: _Options) -> int:
        """Through `do_api_request` rather than `send_message`, which would build the whole sent
        `Message` (its entities, its keyboard) out of Telegram's answer: the bot needs only its id,
        and in a profile of citizens filing, that parsing held the interpreter a tenth of the time."""
        sent = await self.bot.do_api_request(
            "sendMessage", {"chat_id": chat_id, "text": text, "parse_mode": ParseMode.HTML,
                            "reply_markup": markup, "allow_paid_broadcast": options.paid},
            rate_limit_args=options.bulk)
        return int(sent["message_id"])

    async def _album(self, chat_id: int, media: list[InputMediaPhoto], options: _Options) -> list[int]:
        return [message.message_id for message in await self.bot.send_media_group(
            chat_id, media, rate_limit_args=options.bulk, allow_paid_broadcast=options.paid)]

    async def _attachment(self, chat_id: int, attachment: Attachment, caption: str, markup: Any,
                          options: _Options) -> int:
        file = await self._file(attachment)
        if attachment.kind == "photo":
            return (await self.bot.send_photo(chat_id, file, caption=caption or None, parse_mode=ParseMode.HTML,
                                             reply_markup=markup, rate_limit_args=options.bulk,
                                             allow_paid_broadcast=options.paid)).message_id
        return (await self.bot.send_document(chat_id, file, caption=caption or None, parse_mode=ParseMode.HTML,
                                             reply_markup=markup, rate_limit_args=options.bulk,
                                             allow_paid_broadcast=options.paid)).message_id

    async def _file(self, attachment: Attachment) -> str | InputFile:
        """By file id when Telegram has the file; otherwise the bytes, made or stored by the bot."""
        if attachment.telegram_file_id:
            return attachment.telegram_file_id
        content = attachment.data
        if content is None and attachment.sha256:
            content = await asyncio.to_thread(self.store.read, attachment.sha256)
        if content is None:
            raise ValueError("an attachment needs a Telegram file id, bytes or a stored file")
        return InputFile(content, filename=attachment.file_name)


async def _again(attempts: int, send: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Retry a network failure `attempts` times with a growing pause (flood limits are waited
    out by the pacing, malformed requests are never retried)."""
    for attempt in range(attempts):
        try:
            return await send(*args)
        except (TimedOut, NetworkError) as exc:
            if isinstance(exc, BadRequest) or attempt == attempts - 1:
                raise
            await asyncio.sleep(2 ** attempt)
    raise AssertionError("unreachable")

"""Zalo as a channel: what the neutral handlers and the outbox need, over the OA API.

Zalo lets an OA write freely to a person only within 7 days of their last interaction (free
within 48 hours). Later, a case notice goes out as the office's pre-approved template if one
is configured (MOTCUA_ZALO_STATUS_TEMPLATE), and everything else waits in the outbox until the
person writes again, when it is sent before the answer to what they wrote.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from PIL import Image, UnidentifiedImageError

from bot.conversation.chats import ChatDirectory
from bot.conversation.turns import Turns
from dialogs.model import IncomingFile
from dialogs.output import Attachment, Reply
from handlers.desk import DeliveryError, Refused, RetryLater, Sent, Transient, WindowClosed
from handlers.downloads import stream
from handlers.zalo.api import ZaloApi
from handlers.zalo.render import file_message, image_message, text_messages, text_pieces
from locales import get_translator
from storage.db import transaction
from storage.files import FileStore, Incoming
from storage.outbox import enqueue

log = logging.getLogger(__name__)
WINDOW = timedelta(days=7)
IMAGE_LIMIT = 1024 * 1024
JPEG = b"\xff\xd8\xff"
PNG = b"\x89PNG\r\n\x1a\n"
FILE_LIMIT = 5 * 1024 * 1024
FILE_TYPES = {"application/pdf": "pdf", "application/msword": "doc",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx"}


class Pacer(Protocol):
    async def slot(self, chat: int | str | None, *, bulk: bool) -> object: ...


class ZaloChannel:
    def __init__(self, api: ZaloApi, chats: ChatDirectory, turns: Turns, store: FileStore, pacer: Pacer, *,
                 status_template: str | None, clock: Callable[[], datetime]) -> None:
        self.api = api
        self.chats = chats
        self.turns = turns
        self.store = store
        self.pacer = pacer
        self.status_template = status_template
        self.clock = clock

    async def fetch(self, file: IncomingFile, into: Incoming) -> None:
        await stream(self.api.downloads, file.file_id, into)

    async def send(self, chat_id: int, reply: Reply) -> Sent:
        try:
            await self.deliver(chat_id, reply)
        except DeliveryError as problem:
            return Sent(refusal=str(problem))
        return Sent()

    async def reply(self, chat_id: int, replies: list[Reply]) -> None:
        """Answers to what the person just did (their window is open); the last numbered list
        shown becomes what a typed number means."""
        choices: list[str] = []
        for position, reply in enumerate(replies):
            try:
                shown = await self._deliver(chat_id, reply, bulk=False)
            except (Transient, RetryLater) as problem:
                # The token cannot be renewed now, or Zalo asks to slow down: the answers wait in
                # the outbox, which sends them when it can, instead of being lost.
                log.warning("Zalo answers to chat %s queued: %s", chat_id, problem)
                await asyncio.to_thread(self._queue, chat_id, replies[position:])
                return
            if reply.buttons:
                choices = shown
        await asyncio.to_thread(self.chats.remember_choices, chat_id, choices)

    def _queue(self, chat_id: int, replies: list[Reply]) -> None:
        with transaction(self.turns.db) as session:
            for reply in replies:
                enqueue(session, chat_id, reply, now=self.clock())

    async def deliver(self, chat_id: int, reply: Reply, *, bulk: bool = False) -> None:
        """An outbox message: within the window as a consultation message; later as the office's
        template when it is a case notice, or `WindowClosed` (it waits)."""
        last = await asyncio.to_thread(self.chats.last_heard, chat_id)
        if last is None or self.clock() - last > WINDOW:
            await self._outside_window(chat_id, reply)
            return
        try:
            choices = await self._deliver(chat_id, reply, bulk=bulk)
        except WindowClosed:
            await self._outside_window(chat_id, reply)
            return
        if choices:
            await asyncio.to_thread(self.chats.remember_choices, chat_id, choices)

    async def _outside_window(self, chat_id: int, reply: Reply) -> None:
        if reply.notice is None or self.status_template is None:
            raise WindowClosed("the person has not written to the Official Account in the last 7 days")
        _, user = await asyncio.to_thread(self.chats.external, chat_id)
        await self.pacer.slot(chat_id, bulk=True)
        await self.api.send_template(user, self.status_template, reply.notice)

    async def _deliver(self, chat_id: int, reply: Reply, *, bulk: bool) -> list[str]:
        _, user = await asyncio.to_thread(self.chats.external, chat_id)
        language = await asyncio.to_thread(self.turns.language, chat_id)
        for attachment in reply.attachments:
            for message in await self._attachment(attachment):
                await self.pacer.slot(chat_id, bulk=bulk)
                await self.api.send(user, message)
        rendered = text_messages(reply, get_translator(language))
        for message in rendered.messages:
            await self.pacer.slot(chat_id, bulk=bulk)
            await self.api.send(user, message)
        return rendered.choices

    async def _attachment(self, attachment: Attachment) -> list[dict[str, object]]:
        """Uploaded first (images up to 1 MB, made smaller if needed; PDF and Word files up to
        5 MB). An image carries its caption (what does not fit follows as text); a file cannot,
        so its caption is sent before it."""
        content = attachment.data
        if content is None and attachment.sha256:
            content = await asyncio.to_thread(self.store.read, attachment.sha256)
        if content is None:
            log.warning("a Zalo reply skipped an attachment known only to Telegram (%s)", attachment.kind)
            return []
        captions = text_pieces(attachment.caption)
        file_type = FILE_TYPES.get(attachment.mime_type or "")
        if attachment.kind == "document" and file_type is not None:
            if len(content) > FILE_LIMIT:
                raise Refused(f"file of {len(content)} bytes is over Zalo's 5 MB")
            token = await self.api.upload("file", content, attachment.file_name or f"tep.{file_type}",
                                          attachment.mime_type or "application/pdf")
            return [*({"text": part} for part in captions), file_message(token)]
        image = await asyncio.to_thread(_image_within_limit, content)
        jpeg = image.startswith(JPEG)
        attachment_id = await self.api.upload("image", image, "anh.jpg" if jpeg else "anh.png",
                                              "image/jpeg" if jpeg else "image/png")
        return [image_message(attachment_id, captions[0] if captions else ""), *({"text": part} for part in captions[1:])]


def _image_within_limit(content: bytes) -> bytes:
    """A JPEG or PNG under Zalo's 1 MB for images, shrunk and re-encoded as JPEG when larger."""
    if content.startswith((JPEG, PNG)) and len(content) <= IMAGE_LIMIT:
        return content
    try:
        picture = Image.open(io.BytesIO(content)).convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise Refused(f"not an image: {exc}") from exc
    while True:
        for quality in (85, 70, 55, 40):
            buffer = io.BytesIO()
            picture.save(buffer, format="JPEG", quality=quality)
            if buffer.tell() <= IMAGE_LIMIT:
                return buffer.getvalue()
        picture = picture.resize((max(picture.width // 2, 1), max(picture.height // 2, 1)))

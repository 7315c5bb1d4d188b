"""Download a message's files (getFile) before the dialog sees them, and check what they really are.

Only files the current question asks for, and that pass the engine's size and type checks on
what Telegram announced, are downloaded; the bytes are then checked again, because a file named
"scan.pdf" may be anything.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import Bot
from telegram.error import TelegramError

from dialogs.catalog import Document
from dialogs.engine import Engine
from dialogs.model import Context, IncomingFile
from locales import N_
from storage.files import FileStore

log = logging.getLogger(__name__)

SIGNATURES = {"application/pdf": (b"%PDF-",), "image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",)}


def content_matches(file: IncomingFile, content: bytes) -> bool:
    declared = "image/jpeg" if file.kind == "photo" else (file.mime_type or "").lower()
    return content.startswith(SIGNATURES.get(declared, (b"",)))


async def fetch(bot: Bot, file: IncomingFile, document: Document, store: FileStore, ctx: Context) -> IncomingFile:
    if Engine.file_problem(file, document, ctx) is not None:
        return file
    try:
        telegram_file = await bot.get_file(file.file_id)
        if telegram_file.file_size is not None and telegram_file.file_size > ctx.max_file_bytes:
            return replace(file, size=telegram_file.file_size)
        content = bytes(await telegram_file.download_as_bytearray())
    except TelegramError as exc:
        log.warning("download of %s failed: %s", file.file_unique_id, exc)
        return replace(file, problem=N_("I could not download this file. Please send it again."))
    if not content:
        return replace(file, stored_size=0)
    if not content_matches(file, content):
        return replace(file, problem=N_("This file is damaged or is not really a PDF, JPEG or PNG file. "
                                        "Please send it again."))
    return replace(file, sha256=store.put(content), stored_size=len(content))

"""Download a message's files before the dialog sees them, and check what they really are.

Files are streamed to disk as they arrive and hashed on the way: a 20 MB scan never sits in
memory, and a download that passes the limit stops there.

Only files the current question asks for, that pass the engine's size and type checks on what
the channel announced (the type, and a file name that agrees with it: see
`dialogs.uploads.file_problem`), that the document still has room for and that fit in the chat's
quota (MOTCUA_CHAT_QUOTA_MB) are downloaded; the bytes are then checked against that type,
because a file named "scan.pdf" may be anything. A file taken has a name, an announced type and
contents that all agree.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from dialogs.catalog import Document
from dialogs.uploads import file_problem
from dialogs.model import Context, IncomingFile
from handlers.desk import Channel, FetchFailed
from locales import N_
from storage.files import FileStore, TooLarge

log = logging.getLogger(__name__)

SIGNATURES = {"application/pdf": (b"%PDF-",), "image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",)}


def content_matches(file: IncomingFile, content: bytes) -> bool:
    declared = "image/jpeg" if file.kind == "photo" else (file.mime_type or "").lower()
    return content.startswith(SIGNATURES.get(declared, (b"",)))


QUOTA_REACHED = N_("I cannot keep more files for you: you have reached the space the desk keeps for each person. "
                   "Please bring the other papers to the desk, or remove pages you sent before "
                   "(“Remove and resend”).")


async def fetch_all(channel: Channel, files: tuple[IncomingFile, ...], document: Document, store: FileStore,
                    ctx: Context, *, pages_left: int, bytes_left: int) -> tuple[IncomingFile, ...]:
    """Download the files of one message, no more pages than the document still takes and no
    more bytes than the chat's quota leaves: what would be refused is never downloaded."""
    fetched = []
    for file in files:
        if pages_left <= 0 and file_problem(file, document, ctx) is None:
            fetched.append(file)  # the engine says the document is full
            continue
        file = await fetch(channel, file, document, store, ctx, room=bytes_left)
        if file.sha256 is not None:
            pages_left -= 1
            bytes_left -= file.stored_size or 0
        fetched.append(file)
    return tuple(fetched)


async def fetch(channel: Channel, file: IncomingFile, document: Document, store: FileStore,
                ctx: Context, *, room: int) -> IncomingFile:
    """`room`: the bytes the chat's quota still allows."""
    if file_problem(file, document, ctx) is not None:
        return file
    if room <= 0 or (file.size is not None and room < file.size <= ctx.max_file_bytes):
        return replace(file, problem=QUOTA_REACHED)
    limit = min(ctx.max_file_bytes, room)
    with store.incoming(limit) as sink:
        try:
            await channel.fetch(file, sink)
        except TooLarge as large:
            return replace(file, problem=QUOTA_REACHED) if limit < ctx.max_file_bytes else replace(file, size=large.size)
        except FetchFailed as failure:
            if failure.size is not None:
                over_quota = failure.size <= ctx.max_file_bytes
                return replace(file, problem=QUOTA_REACHED) if over_quota else replace(file, size=failure.size)
            log.warning("download of %s failed: %s", file.file_unique_id, failure)
            return replace(file, problem=N_("I could not download this file. Please send it again."))
        if not sink.size:
            return replace(file, stored_size=0)
        if file.kind == "photo" and sink.head.startswith(SIGNATURES["image/png"]):
            # Telegram's photos are JPEG; a photo from Zalo may be a PNG, which is taken as a PNG file.
            file = replace(file, kind="document", mime_type="image/png", file_name=file.file_name or "anh.png")
        if not content_matches(file, sink.head):
            return replace(file, problem=N_("This file is damaged or is not really a PDF, JPEG or PNG file. "
                                            "Please send it again."))
        return replace(file, sha256=await asyncio.to_thread(sink.keep), stored_size=sink.size)

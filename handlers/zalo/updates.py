"""The Zalo entry point: a verified, recorded event becomes a `Request`, goes through the same
route table as Telegram's updates, and its outcome is sent back as Zalo messages.

What a citizen can send: text (a button tap arrives as text carrying the button's payload, a
number answers a numbered list, "/tracuu CODE" works as on Telegram), photos and files (fetched
from Zalo's URLs with the same checks as Telegram's files). Following the OA opens the home
screen. Stickers, locations, links, voice messages and the rest get the dialog's polite answer
that it reads text, photos and files, with the current question again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.conversation.chats import ZALO
from dialogs.model import IncomingFile, Input
from dialogs.output import Outcome, Reply, Rich
from handlers.desk import Desk, Request
from handlers.flood import Admission, FloodGate
from handlers.lanes import ChatLanes
from handlers.routes import dispatch
from handlers.zalo.channel import ZaloChannel
from handlers.zalo.events import ZaloEvent
from handlers.zalo.render import tapped_payload
from locales import N_, get_translator

MIME_OF_EXTENSION = {"pdf": "application/pdf", "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
                     "doc": "application/msword",
                     "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
NO_REPLY_TO = N_("On Zalo this is not possible yet: please send your feedback through the desk's Telegram "
                 "assistant or at the one-stop desk.")


class ZaloUpdates:
    def __init__(self, desk: Desk, channel: ZaloChannel, send_held: Callable[[int], Awaitable[None]],
                 gate: FloodGate, clock: Callable[[], datetime]) -> None:
        self.desk = desk
        self.channel = channel
        self.send_held = send_held
        self.gate = gate
        self.clock = clock
        self.lanes = ChatLanes()

    async def accept(self, update_id: int, event: ZaloEvent) -> None:
        """Queue a recorded event behind the chat's earlier ones, or drop it when the chat is over
        its budget (`handlers.flood`); returns at once."""
        if not event.from_citizen:  # recorded by an earlier version, which kept receipts too
            await self.drop(update_id)
            return
        chat_id = await asyncio.to_thread(self.desk.chats.chat_for, ZALO, event.user_id)
        admission = self.gate.admit(update_id, chat_id)
        if admission is Admission.TAKE:
            self.lanes.run(chat_id, lambda: self._handle(update_id, chat_id, event))
        elif admission is Admission.WARN:
            self.lanes.run(chat_id, lambda: self.gate.ask_to_wait(chat_id, self.channel.reply))

    async def _handle(self, update_id: int, chat_id: int, event: ZaloEvent) -> None:
        """Once handled, the event is claimed, also when nothing it did claimed it (a lookup, an
        unfollow): the leader hands over every unclaimed event older than a few minutes, as one
        whose process died (`ZaloWebhook.resume`), and would answer it again. A failure is
        claimed too, so that it is logged once rather than tried again every minute; a stop
        (cancellation) is not, and the next start hands the event over."""
        try:
            if event.name != "unfollow":
                await self._answer(update_id, chat_id, event)
        except Exception:
            await self.drop(update_id)
            raise
        await self.drop(update_id)

    async def drop(self, update_id: int) -> None:
        """Claim a recorded event, so that nothing hands it over again (claiming twice changes nothing)."""
        await asyncio.to_thread(self.desk.turns.set_aside, [update_id])

    async def _answer(self, update_id: int, chat_id: int, event: ZaloEvent) -> None:
        await asyncio.to_thread(self.desk.chats.heard_from, chat_id, self.clock())
        await self.send_held(chat_id)
        request = await self._request(update_id, chat_id, event)
        outcome = await dispatch(self.desk, request)
        if outcome is not None:
            await self._show(chat_id, outcome)

    async def _request(self, update_id: int, chat_id: int, event: ZaloEvent) -> Request:
        inp, payload = Input(update_id), None
        if event.name == "follow":
            inp = Input(update_id, command="start")
        elif event.name == "user_send_text" and event.text is not None:
            payload = tapped_payload(event.text) or await self._numbered_choice(chat_id, event.text)
            inp = Input(update_id) if payload is not None else _typed(update_id, event.text)
        elif event.name in ("user_send_image", "user_send_file"):
            files = incoming_files(event)
            inp = Input(update_id, files=files, text=event.text) if files else Input(update_id)
        return Request(update_id, chat_id, chat_id, True, inp, self.channel, payload=payload)

    async def _numbered_choice(self, chat_id: int, text: str) -> str | None:
        number = text.strip().rstrip(".")
        if not number.isdigit():
            return None
        choices = await asyncio.to_thread(self.desk.chats.choices, chat_id)
        return choices[int(number) - 1] if 1 <= int(number) <= len(choices) else None

    async def _show(self, chat_id: int, outcome: Outcome) -> None:
        """Zalo has no pop-ups and no replies to a message: a notice about a tap is a message of
        its own, and a question meant to be replied to is not offered."""
        replies = list(outcome.replies)
        notice = outcome.alert or outcome.toast
        if notice:
            replies.insert(0, Reply(Rich.plain(notice)))
        if outcome.prompt and not replies:
            language = await asyncio.to_thread(self.desk.turns.language, chat_id)
            replies.append(Reply(Rich.plain(get_translator(language).gettext(NO_REPLY_TO))))
        if replies:
            await self.channel.reply(chat_id, replies)


def _typed(update_id: int, text: str) -> Input:
    stripped = text.strip()
    if stripped.startswith("/") and len(stripped) > 1:
        name, _, args = stripped[1:].partition(" ")
        return Input(update_id, command=name.lower(), command_args=args.strip())
    return Input(update_id, text=text)


def incoming_files(event: ZaloEvent) -> tuple[IncomingFile, ...]:
    """The photos and files of an event, as the dialog takes them."""
    files = []
    for attachment in event.attachments:
        url = str(attachment.payload.get("url") or "")
        if not url:
            continue
        if attachment.type == "image":
            files.append(IncomingFile("photo", url, event.key, None, channel=ZALO))
        elif attachment.type == "file":
            extension = str(attachment.payload.get("type") or "").lower().lstrip(".")
            size = str(attachment.payload.get("size") or "")
            files.append(IncomingFile("document", url, event.key, int(size) if size.isdecimal() else None,
                                      mime_type=MIME_OF_EXTENSION.get(extension, extension or None),
                                      file_name=str(attachment.payload.get("name") or "") or None, channel=ZALO))
    return tuple(files)

"""Entry points for announcements: /thongbao for staff (compose, preview, mark urgent, confirm)
and the subscribers' /huythongbao and /nhanthongbao."""

from __future__ import annotations

import asyncio

from bot.announcements.broadcasts import announcement
from bot.announcements.presses import AnnouncementPress, Decision
from dialogs.output import Outcome, Reply, Rich
from handlers.desk import Desk, Request
from locales import Translator, get_translator


async def _tr(desk: Desk, chat_id: int) -> Translator:
    return get_translator(await asyncio.to_thread(desk.turns.language, chat_id))


async def on_announce(desk: Desk, request: Request) -> Outcome:
    tr = await _tr(desk, request.sender_id)
    broadcast = await asyncio.to_thread(desk.broadcasts.start, request.sender_id)
    if broadcast is None:
        return Outcome([Reply(Rich.plain(tr.gettext("This command is for the office staff.")))])
    return Outcome([desk.broadcasts.compose_prompt(broadcast, tr)])


async def on_draft(desk: Desk, request: Request) -> Outcome | None:
    """A staff member's message taken as the announcement being composed; the preview is sent
    through the channel as subscribers will see it, and the channel's refusal is shown."""
    composing = await asyncio.to_thread(desk.broadcasts.composing, request.sender_id)
    if composing is None or composing.id is None:
        return None
    tr = await _tr(desk, request.sender_id)
    text = request.formatted_html or request.input.text or ""
    media = request.media
    if not text.strip() and media is None:
        return Outcome([desk.broadcasts.compose_prompt(composing, tr)])
    kept = (media.kind, media.telegram_file_id) if media is not None and media.telegram_file_id else None
    broadcast = await asyncio.to_thread(desk.broadcasts.set_content, request.update_id, request.sender_id,
                                        composing.id, text, kept)
    if broadcast is None:
        return Outcome()
    refusal = (await request.channel.send(request.sender_id, announcement(broadcast))).refusal
    if refusal is not None:
        again = await asyncio.to_thread(desk.broadcasts.start, request.sender_id)
        notice = tr.gettext("Telegram refused this text ({error}). Please check the formatting and send it again.")
        replies = [Reply(Rich.plain(notice.format(error=refusal)))]
        if again is not None:
            replies.append(desk.broadcasts.compose_prompt(again, tr))
        return Outcome(replies)
    return Outcome([await asyncio.to_thread(desk.broadcasts.confirmation, broadcast, tr)])


async def on_decision(desk: Desk, request: Request) -> Outcome:
    assert isinstance(request.input.press, AnnouncementPress)
    tr = await _tr(desk, request.sender_id)
    decided = await asyncio.to_thread(desk.broadcasts.decide, request.update_id, request.sender_id,
                                      request.input.press)
    if decided is None:
        return Outcome(alert=tr.gettext("You are not allowed to do this."))
    outcome, broadcast = decided
    if outcome == "cancel":
        return Outcome([Reply(Rich.plain(tr.gettext("Cancelled. Nothing was sent.")))])
    if outcome in (Decision.URGENT, Decision.NORMAL):
        confirmation = await asyncio.to_thread(desk.broadcasts.confirmation, broadcast, tr,
                                               urgent=outcome == Decision.URGENT)
        return Outcome([confirmation], close_buttons=True)
    if outcome in (Decision.SEND, Decision.SEND_URGENT) and broadcast.id is not None:
        sending = (tr.gettext("🚨 Sending urgent announcement #{id} to {n} subscribers…") if broadcast.urgent
                   else tr.gettext("📣 Sending announcement #{id} to {n} subscribers…"))
        text = sending.format(id=broadcast.id, n=broadcast.recipients)
        progress = await request.channel.send(request.sender_id, Reply(Rich.plain(text)))
        if progress.message_id is not None:
            await asyncio.to_thread(desk.broadcasts.remember_progress_message, broadcast.id, progress.message_id)
        return Outcome()
    return Outcome([Reply(Rich.plain(tr.gettext("This announcement can no longer be changed.")))])


async def on_unsubscribe(desk: Desk, request: Request) -> Outcome:
    return await _subscription(desk, request, False)


async def on_subscribe(desk: Desk, request: Request) -> Outcome:
    return await _subscription(desk, request, True)


async def _subscription(desk: Desk, request: Request, subscribed: bool) -> Outcome:
    await asyncio.to_thread(desk.broadcasts.set_subscribed, request.chat_id, subscribed)
    tr = await _tr(desk, request.chat_id)
    text = (tr.gettext("You will receive the office's announcements. To stop them: /huythongbao")
            if subscribed else
            tr.gettext("You will no longer receive the office's announcements. To receive them again: /nhanthongbao"))
    return Outcome([Reply(Rich.plain(text))])

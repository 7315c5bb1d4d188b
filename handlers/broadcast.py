"""Telegram entry points for announcements: /thongbao for staff (compose, preview, confirm),
the progress message, and the subscribers' /huythongbao and /nhanthongbao."""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import Bot, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.broadcasts import Broadcasts, payload_of
from bot.outbox import deliver
from handlers.render import send_replies
from locales import Translator, get_translator

log = logging.getLogger(__name__)

BROADCASTS = "broadcasts"
WAKE_OUTBOX = "wake_outbox"


def _service(context: ContextTypes.DEFAULT_TYPE) -> Broadcasts:
    return context.bot_data[BROADCASTS]


def _tr(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> Translator:
    language, _ = context.bot_data["conversations"].peek(chat_id)
    return get_translator(language)


async def on_announce(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    if user is None:
        return
    tr = _tr(context, user.id)
    broadcast = _service(context).start(user.id)
    if broadcast is None:
        await context.bot.send_message(user.id, tr.gettext("This command is for the office staff."))
        return
    await send_replies(context.bot, user.id, [_service(context).compose_prompt(broadcast, tr)])


def _content(message: Message) -> tuple[str, tuple[str, str] | None]:
    """The announcement as HTML: Telegram's own formatting is kept; a text typed with HTML tags
    and no formatting is taken as HTML as it is (the preview shows whether Telegram accepts it)."""
    media = None
    if message.photo:
        media = ("photo", message.photo[-1].file_id)
    elif message.document is not None:
        media = ("document", message.document.file_id)
    plain = message.text or message.caption or ""
    entities = message.entities or message.caption_entities
    if not entities and "<" in plain:
        return plain, media
    formatted = message.text_html if message.text else (message.caption_html or "")
    return formatted, media


async def compose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Take a staff member's message as the announcement being composed; False when none is."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return False
    service = _service(context)
    composing = service.composing(user.id)
    if composing is None or composing.id is None:
        return False
    tr = _tr(context, user.id)
    text, media = _content(message)
    if not text.strip() and media is None:
        await send_replies(context.bot, user.id, [service.compose_prompt(composing, tr)])
        return True
    broadcast = service.set_content(update.update_id, composing.id, text, media)
    if broadcast is None:
        return True
    try:
        await deliver(context.bot, user.id, payload_of(broadcast))
    except BadRequest as exc:
        again = service.start(user.id)
        notice = tr.gettext("Telegram refused this text ({error}). Please check the formatting and send it again.")
        await context.bot.send_message(user.id, notice.format(error=exc.message))
        if again is not None:
            await send_replies(context.bot, user.id, [service.compose_prompt(again, tr)])
        return True
    await send_replies(context.bot, user.id, [service.confirmation(broadcast, tr)])
    return True


async def on_decision(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    user_id = query.from_user.id
    tr = _tr(context, user_id)
    decided = _service(context).decide(update.update_id, user_id, query.data or "")
    if decided is None:
        await query.answer(tr.gettext("You are not allowed to do this."), show_alert=True)
        return
    await query.answer()
    outcome, broadcast = decided
    if outcome == "cancel":
        await context.bot.send_message(user_id, tr.gettext("Cancelled. Nothing was sent."))
    elif outcome == "send" and broadcast.id is not None:
        sent = await context.bot.send_message(user_id, tr.gettext("📣 Sending announcement #{id} to {n} subscribers…")
                                              .format(id=broadcast.id, n=broadcast.recipients))
        _service(context).remember_progress_message(broadcast.id, sent.message_id)
        context.bot_data[WAKE_OUTBOX]()
    else:
        await context.bot.send_message(user_id, tr.gettext("This announcement can no longer be changed."))


async def report_progress(bot: Bot, service: Broadcasts, language_of: Callable[[int], str]) -> None:
    """Edit each running broadcast's progress message; on completion, also send the final report."""
    for broadcast, progress in service.sending():
        tr = get_translator(language_of(broadcast.author_id))
        text = service.report(broadcast, progress, tr)
        try:
            if broadcast.progress_message_id is not None:
                await bot.edit_message_text(text, chat_id=broadcast.author_id, message_id=broadcast.progress_message_id)
            if broadcast.status == "done":
                await bot.send_message(broadcast.author_id, text)
        except BadRequest:
            pass
        except TelegramError as exc:
            log.warning("progress of broadcast %s not shown: %s", broadcast.id, exc)


async def on_unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _subscription(update, context, False)


async def on_subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _subscription(update, context, True)


async def _subscription(update: Update, context: ContextTypes.DEFAULT_TYPE, subscribed: bool) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    if update.callback_query is not None:
        await update.callback_query.answer()
    _service(context).set_subscribed(chat.id, subscribed)
    tr = _tr(context, chat.id)
    text = (tr.gettext("You will receive the office's announcements again. To stop them: /huythongbao")
            if subscribed else
            tr.gettext("You will no longer receive the office's announcements. To receive them again: /nhanthongbao"))
    await context.bot.send_message(chat.id, text)

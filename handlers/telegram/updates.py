"""The Telegram entry point: every update is parsed into a `Request`, routed by the route table,
and its outcome shown — the answer to a pressed button, the replies in the person's private
chat, a prompt to reply to, spent buttons removed; an album's photos get one merged answer."""

from __future__ import annotations

import asyncio
import logging

from telegram import ForceReply, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from dialogs.output import Outcome, Reply
from handlers.desk import Desk
from handlers.routes import dispatch
from handlers.telegram.albums import AlbumReplies
from handlers.telegram.channel import TelegramChannel
from handlers.telegram.parse import request_of
from locales import get_translator

log = logging.getLogger(__name__)

DESK = "desk"
CHANNEL = "channel"
ALBUMS = "albums"


async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    desk: Desk = context.bot_data[DESK]
    channel: TelegramChannel = context.bot_data[CHANNEL]
    request = request_of(update, channel)
    if request is None:
        return
    outcome = await dispatch(desk, request)
    await _answer_button(update, outcome)
    if outcome is None:
        return
    if request.media_group and outcome.replies:
        albums: AlbumReplies = context.bot_data[ALBUMS]
        generation = albums.hold(request.sender_id, request.media_group, outcome.replies)

        async def send(replies: list[Reply]) -> None:
            await channel.reply(request.sender_id, replies)

        context.application.create_task(albums.flush_later(request.sender_id, request.media_group, generation, send),
                                        update=update)
    else:
        await channel.reply(request.sender_id, outcome.replies)
    if outcome.prompt:
        await channel.bot.send_message(request.sender_id, outcome.prompt, reply_markup=ForceReply())


async def _answer_button(update: Update, outcome: Outcome | None) -> None:
    query = update.callback_query
    if query is None:
        return
    notice = outcome.alert or outcome.toast if outcome is not None else None
    try:
        await query.answer(notice, show_alert=outcome is not None and outcome.alert is not None)
    except BadRequest as exc:  # answered already: the update came again after its process died
        log.info("button press not answered: %s", exc)
    if outcome is not None and outcome.close_buttons and getattr(query.message, "reply_markup", None) is not None:
        try:
            await query.edit_message_reply_markup(None)
        except TelegramError as exc:  # too old or already edited: the buttons stay, harmlessly
            log.info("buttons not removed: %s", exc)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure and tell the person, in their language, to try again; never stay silent."""
    log.error("update failed", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_user is None:
        return
    desk: Desk = context.bot_data[DESK]
    chat_id = update.effective_user.id
    language = await asyncio.to_thread(desk.turns.language, chat_id)
    text = get_translator(language).gettext("Sorry, something went wrong on our side. Please try again.")
    await context.bot.send_message(chat_id, text)

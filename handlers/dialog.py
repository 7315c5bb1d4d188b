"""Telegram entry points: each turns an update into a call on the conversation service and sends
the replies. Nothing here decides anything about a dialog."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.conversations import Conversations
from handlers.albums import AlbumReplies
from handlers.broadcast import compose
from handlers.files import fetch
from handlers.inputs import incoming_files, to_input
from handlers.officer import answer_prompt
from handlers.render import send_replies
from locales import get_translator
from storage.files import FileStore

log = logging.getLogger(__name__)

CONVERSATIONS = "conversations"
FILES = "files"
ALBUMS = "albums"


def _conversations(context: ContextTypes.DEFAULT_TYPE) -> Conversations:
    return context.bot_data[CONVERSATIONS]


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    if await answer_prompt(update, context) or await compose(update, context):
        return
    conversations = _conversations(context)
    files = incoming_files(message)
    if files:
        language, document = conversations.peek(chat.id)
        if document is not None:
            ctx = conversations.context(language)
            store: FileStore = context.bot_data[FILES]
            files = tuple([await fetch(context.bot, file, document, store, ctx) for file in files])
    handled = conversations.handle(update.update_id, chat.id, to_input(update, files))
    if handled is None:
        return
    if message.media_group_id:
        albums: AlbumReplies = context.bot_data[ALBUMS]
        generation = albums.hold(chat.id, message.media_group_id, handled.replies)

        async def send(replies: list) -> None:  # type: ignore[type-arg]
            await send_replies(context.bot, chat.id, replies)

        context.application.create_task(albums.flush_later(chat.id, message.media_group_id, generation, send),
                                        update=update)
        return
    await send_replies(context.bot, chat.id, handled.replies)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None:
        return
    await query.answer()
    handled = _conversations(context).handle(update.update_id, chat.id, to_input(update))
    if handled is not None:
        await send_replies(context.bot, chat.id, handled.replies)


async def on_language_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    if update.callback_query is not None:
        await update.callback_query.answer()
    handled = _conversations(context).language_menu(update.update_id, chat.id)
    if handled is not None:
        await send_replies(context.bot, chat.id, handled.replies)


async def on_language_choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None:
        return
    await query.answer()
    language = (query.data or "").removeprefix("l.")
    handled = _conversations(context).set_language(update.update_id, chat.id, language)
    if handled is not None:
        await send_replies(context.bot, chat.id, handled.replies)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure and tell the person, in their language, to try again; never stay silent."""
    log.error("update failed", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    language, _ = _conversations(context).peek(update.effective_chat.id)
    text = get_translator(language).gettext("Sorry, something went wrong on our side. Please try again.")
    await context.bot.send_message(update.effective_chat.id, text)

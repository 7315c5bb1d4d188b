"""Telegram entry points for case lookup: /tracuu CODE, the menu's lookup and "my cases"
buttons, a case's button, and the receipt's QR link. The answers come from `bot.lookup`."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.lookup import CASE_PREFIX, CaseLookup
from handlers.render import send_replies
from storage.db import row_id

LOOKUP = "lookup"


def _lookup(context: ContextTypes.DEFAULT_TYPE) -> CaseLookup:
    return context.bot_data[LOOKUP]


def _language(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> str:
    language, _ = context.bot_data["conversations"].peek(chat_id)
    return language


async def on_lookup_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/tracuu CODE shows the case; /tracuu alone explains how and lists the chat's cases."""
    chat = update.effective_chat
    if chat is None:
        return
    code = " ".join(context.args or ())
    language = _language(context, chat.id)
    if code:
        reply = _lookup(context).show(chat.id, code, language)
    else:
        reply = _lookup(context).prompt(chat.id, language)
    await send_replies(context.bot, chat.id, [reply])


async def on_lookup_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    await query.answer()
    reply = _lookup(context).prompt(chat.id, _language(context, chat.id))
    await send_replies(context.bot, chat.id, [reply])


async def on_my_cases(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    await query.answer()
    reply = _lookup(context).mine(chat.id, _language(context, chat.id))
    await send_replies(context.bot, chat.id, [reply])


async def on_case_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """k.<id>: a malformed id is answered like a case of another chat (ids start at 1)."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    await query.answer()
    case_id = row_id((query.data or "").removeprefix(CASE_PREFIX))
    reply = _lookup(context).show_by_id(chat.id, case_id, _language(context, chat.id))
    await send_replies(context.bot, chat.id, [reply])


async def show_case_from_link(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
    """/start c_<CODE>, from the QR code on the receipt; `code` is the part after 'c_'."""
    chat = update.effective_chat
    if chat is None:
        return
    reply = _lookup(context).show(chat.id, code, _language(context, chat.id))
    await send_replies(context.bot, chat.id, [reply])


async def on_case_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """CommandHandler for '/start c_<CODE>' (register it with a filter on that prefix)."""
    payload = context.args[0] if context.args else ""
    await show_case_from_link(update, context, payload.removeprefix("c_"))

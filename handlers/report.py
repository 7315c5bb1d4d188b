"""Telegram entry point for the office's figures: /thongke [FROM [TO]] for the desk's staff.
The figures, the chart and the refusal for anyone else come from `bot.report.Reports`."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import ContextTypes

from bot.report import Reports
from handlers.render import send_replies

REPORTS = "reports"


async def on_report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    if user is None:
        return
    language, _ = context.bot_data["conversations"].peek(user.id)
    service: Reports = context.bot_data[REPORTS]
    # Reading the cases and drawing the chart block for a moment: keep other chats moving.
    replies = await asyncio.to_thread(service.answer, user.id, list(context.args or []), language)
    await send_replies(context.bot, user.id, replies)

"""Entry point for the office's figures: /thongke [FROM [TO]] for the desk's staff."""

from __future__ import annotations

import asyncio

from dialogs.output import Outcome
from handlers.desk import Desk, Request


async def on_report(desk: Desk, request: Request) -> Outcome:
    language = await asyncio.to_thread(desk.turns.language, request.sender_id)
    # Reading the cases and drawing the chart take a moment: in a thread, other chats go on.
    replies = await asyncio.to_thread(desk.reports.answer, request.sender_id, request.input.command_args.split(),
                                      language)
    return Outcome(replies)

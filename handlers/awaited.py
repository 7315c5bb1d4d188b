"""A message the bot waits for from a staff member: the text an officer's action asked for, or
the announcement they are writing.

Every message a citizen types passes this check before the dialog, so both questions go to the
database thread in one trip, on one connection: a trip costs more than either query.
"""

from __future__ import annotations

import asyncio
from enum import Enum, auto

from dialogs.output import Outcome
from handlers import announcements, officers
from handlers.desk import Desk, Request


class Awaited(Enum):
    PROMPT = auto()
    DRAFT = auto()


def _awaited(desk: Desk, telegram_id: int) -> Awaited | None:
    """An action's prompt comes before a draft: the officer chose the action last."""
    with desk.turns.db.connect() as connection:
        if desk.workflow.has_prompt(telegram_id, connection):
            return Awaited.PROMPT
        if desk.broadcasts.is_composing(telegram_id, connection):
            return Awaited.DRAFT
    return None


async def is_awaited(desk: Desk, request: Request) -> bool:
    return await asyncio.to_thread(_awaited, desk, request.sender_id) is not None


async def on_awaited(desk: Desk, request: Request) -> Outcome | None:
    """Asks again (only staff get here): the prompt or draft may have ended in between, from
    another device, and the prompt's handler then says the action was cancelled, as before."""
    if await asyncio.to_thread(_awaited, desk, request.sender_id) is Awaited.DRAFT:
        return await announcements.on_draft(desk, request)
    return await officers.on_prompt_reply(desk, request)

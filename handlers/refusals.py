"""The one answer to a button this bot did not make, on a route where it matters who pressed it:
the attempt is recorded and the person is told, in their language, that it is not allowed."""

from __future__ import annotations

import asyncio

from bot.staff.permissions import refuse_forged
from dialogs.output import Outcome
from handlers.desk import Desk, Request


async def refuse(desk: Desk, request: Request) -> Outcome:
    text = await asyncio.to_thread(refuse_forged, desk.turns, request.update_id, request.sender_id,
                                   request.payload or "")
    return Outcome(alert=text)

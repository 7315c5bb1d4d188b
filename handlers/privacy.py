"""Entry points of the citizen's data rights: /dulieu and the buttons of its screen (see
`bot.privacy.rights`). The same on Telegram and Zalo."""

from __future__ import annotations

import asyncio

from bot.privacy.presses import DataAction, DataPress
from dialogs.output import Outcome
from handlers.desk import Desk, Request


async def on_command(desk: Desk, request: Request) -> Outcome:
    return Outcome([await asyncio.to_thread(desk.rights.overview, request.chat_id)])


async def on_press(desk: Desk, request: Request) -> Outcome | None:
    assert isinstance(request.input.press, DataPress)
    rights, chat_id, action = desk.rights, request.chat_id, request.input.press.action
    if action is DataAction.EXPORT:
        return Outcome([await asyncio.to_thread(rights.export, chat_id)])
    if action in (DataAction.WITHDRAW, DataAction.ERASE):
        return Outcome([await asyncio.to_thread(rights.confirm, chat_id, action)])
    if action is DataAction.WITHDRAW_CONFIRMED:
        reply = await asyncio.to_thread(rights.withdraw, request.update_id, chat_id)
    elif action is DataAction.ERASE_CONFIRMED:
        reply = await asyncio.to_thread(rights.erase, request.update_id, chat_id)
    else:
        return await on_command(desk, request)
    if reply is None:
        return None
    return Outcome([reply], close_buttons=True)

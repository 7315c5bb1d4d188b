"""Telegram updates of one chat in order, of different chats side by side.

python-telegram-bot's `concurrent_updates=True` runs every update at once and so can answer a
chat's second message before its first; the default runs one update at a time, so one chat's
slow step (a download, a flood pause) holds every other citizen. This processor puts each
update in its chat's lane (see `handlers.lanes.ChatLanes`) and returns at once, so the
application's own limit never waits on a busy chat; `RUNNING` bounds how many updates do work
(database, downloads) at the same time. `finished` hears of each update once it is handled,
with the time it took from its arrival (a webhook request waits for it; the metrics count it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from handlers.lanes import ChatLanes

RUNNING = 32
ACCEPTED = 1024


Finished = Callable[[object, float], None]


class PerChatUpdates(BaseUpdateProcessor):
    def __init__(self, running: int = RUNNING, finished: Finished = lambda update, seconds: None) -> None:
        super().__init__(ACCEPTED)
        self.lanes = ChatLanes()
        self.finished = finished
        self._running = asyncio.Semaphore(running)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        arrived = time.monotonic()
        self.lanes.run(_chat_of(update), lambda: self._bounded(update, coroutine, arrived))

    async def _bounded(self, update: object, coroutine: Awaitable[Any], arrived: float) -> None:
        try:
            async with self._running:
                await coroutine
        finally:
            self.finished(update, time.monotonic() - arrived)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Let the updates already accepted finish."""
        await self.lanes.drain()


def _chat_of(update: object) -> object:
    """The lane: the person who pressed a button (their answer goes to their private chat, whose
    id is theirs), else the chat of a message; the update itself for anything else."""
    if isinstance(update, Update):
        if update.callback_query is not None:
            return update.callback_query.from_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return ("update", id(update))

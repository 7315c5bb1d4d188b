"""Telegram updates of one chat in order, of different chats side by side.

python-telegram-bot's `concurrent_updates=True` runs every update at once and so can answer a
chat's second message before its first; the default runs one update at a time, so one chat's
slow step (a download, a flood pause) holds every other citizen. This processor puts each
update in its chat's lane (see `handlers.lanes.ChatLanes`) and returns at once, so a busy chat
never holds up the others; `RUNNING` bounds how many updates do work (database, downloads) at
the same time.

`WAITING` bounds how many updates are taken in and not yet handled. Beyond it the processor
stops taking updates, the application's queue (`QUEUED`, see `bot.runtime.app`) fills and the
bot stops asking Telegram for more: a burst of 10,000 messages (everyone answering a storm
warning) waits at Telegram, in order, instead of in the bot's memory (bench/RESULTS.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from handlers.lanes import ChatLanes

RUNNING = 32
WAITING = 256
QUEUED = 100
"""Updates fetched from Telegram and not yet taken in: one getUpdates answer."""


class PerChatUpdates(BaseUpdateProcessor):
    def __init__(self, running: int = RUNNING, waiting: int = WAITING) -> None:
        # One at a time: the application then waits for each update to be taken in (at once,
        # unless WAITING are in hand) before it takes the next from its queue.
        super().__init__(1)
        self.lanes = ChatLanes()
        self._running = asyncio.Semaphore(running)
        self._waiting = asyncio.Semaphore(waiting)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await self._waiting.acquire()
        task = self.lanes.run(_chat_of(update), lambda: self._bounded(coroutine))
        task.add_done_callback(lambda _: self._waiting.release())

    async def _bounded(self, coroutine: Awaitable[Any]) -> None:
        async with self._running:
            await coroutine

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

"""Telegram updates of one chat in order, of different chats side by side, within each chat's budget.

python-telegram-bot's `concurrent_updates=True` runs every update at once and so can answer a
chat's second message before its first; the default runs one update at a time, so one chat's
slow step (a download, a flood pause) holds every other citizen. This processor puts each
update in its chat's lane (see `handlers.lanes.ChatLanes`) and returns at once, so a busy chat
never holds up the others; `RUNNING` bounds how many updates do work (database, downloads) at
the same time. An update over its chat's budget (`handlers.flood`) never enters the lane: it is
dropped, and the chat is asked once to wait. `finished` hears of each update once it is handled
or dropped, with the time it took from its arrival (a webhook request waits for it; the metrics
count it).

`WAITING` bounds how many updates are taken in and not yet handled. Beyond it the processor
stops taking updates, the application's queue (`QUEUED`, see `bot.runtime.app`) fills and the
bot stops asking Telegram for more: a burst of 10,000 messages (everyone answering a storm
warning) waits at Telegram, in order, instead of in the bot's memory (bench/RESULTS.md).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Chat, Update
from telegram.ext import BaseUpdateProcessor

from handlers.flood import Admission, FloodGate
from handlers.lanes import ChatLanes

RUNNING = 32
WAITING = 256
QUEUED = 100
"""Updates fetched from Telegram and not yet taken in: one getUpdates answer."""


Finished = Callable[[object, float], None]


class PerChatUpdates(BaseUpdateProcessor):
    def __init__(self, gate: FloodGate, running: int = RUNNING, waiting: int = WAITING,
                 finished: Finished = lambda update, seconds: None) -> None:
        # One at a time: the application then waits for each update to be taken in (at once,
        # unless WAITING are in hand) before it takes the next from its queue.
        super().__init__(1)
        self.lanes = ChatLanes()
        self.gate = gate
        self.finished = finished
        self._running = asyncio.Semaphore(running)
        self._waiting = asyncio.Semaphore(waiting)
        self._ask_to_wait: Callable[[int], Awaitable[None]] | None = None

    def connect(self, ask_to_wait: Callable[[int], Awaitable[None]]) -> None:
        """How a flooding chat is asked to wait (the channel exists only after the application)."""
        self._ask_to_wait = ask_to_wait

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        arrived = time.monotonic()
        chat = _chat_of(update)
        admission = Admission.TAKE
        if isinstance(update, Update):
            album = update.message.media_group_id if update.message is not None else None
            admission = self.gate.admit(update.update_id, chat, album)
        work = coroutine
        if admission is not Admission.TAKE:
            if inspect.iscoroutine(coroutine):
                coroutine.close()
            private = _private_chat(update)
            if admission is not Admission.WARN or private is None or self._ask_to_wait is None:
                self.finished(update, time.monotonic() - arrived)
                return
            work = self._ask_to_wait(private)
        await self._waiting.acquire()
        task = self.lanes.run(chat, lambda: self._bounded(update, work, arrived))
        task.add_done_callback(lambda _: self._waiting.release())

    async def _bounded(self, update: object, coroutine: Awaitable[Any], arrived: float) -> None:
        try:
            async with self._running:
                await coroutine
        finally:
            self.finished(update, time.monotonic() - arrived)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def drain(self) -> None:
        """Let the updates already accepted finish, and the dropped ones be marked. `serve` calls
        it at stop while the bot can still send: python-telegram-bot closes the bot's HTTP layer
        before it shuts the processor down, and an answer sent after that would be lost."""
        await self.lanes.drain()
        await self.gate.drain()

    async def shutdown(self) -> None:
        """`serve` has drained it at stop already; this drains an application stopped otherwise."""
        await self.drain()


def _chat_of(update: object) -> object:
    """The lane: the person who pressed a button (their answer goes to their private chat, whose
    id is theirs), else the chat of a message; the update itself for anything else."""
    if isinstance(update, Update):
        if update.callback_query is not None:
            return update.callback_query.from_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return ("update", id(update))


def _private_chat(update: object) -> int | None:
    """Where "please wait" may go: the private chat of whoever pressed or wrote; never a group."""
    if not isinstance(update, Update):
        return None
    if update.callback_query is not None:
        return update.callback_query.from_user.id
    chat = update.effective_chat
    return chat.id if chat is not None and chat.type == Chat.PRIVATE else None

"""Keeps every message this process sends within each messenger's flood limits.

Telegram allows about 30 messages a second overall and about one a second to the same chat,
counted over rolling windows. All sending goes through python-telegram-bot's rate-limiter hook,
so direct replies and outbox messages share one overall budget. Outbox messages (marked with
`rate_limit_args=True`) also keep a second between two messages to one chat; a direct reply to
what someone just did is never delayed for that, since Telegram tolerates such short bursts.
Zalo's Official Account API gets a budget of its own (`SendBudget`), used by its channel.

A flood answer (429, `RetryAfter`) is handled here and only here: the chat it concerns pauses
for the time Telegram asks (other chats' messages go on); a direct reply is then tried again,
an outbox message is handed back to the outbox, which schedules it for that time.

Several processes of one bot share the messenger's overall limit, so on PostgreSQL the overall
window is kept in the database (`SharedWindow`, one row per send of the last second, counted
under a lock): every process's direct replies and the leader's outbox draw on one budget,
exactly, however many processes run and whichever of them is busy. A share per process (the
rate divided by the live processes) would cost no database call, but would slow a broadcast to
a third with three processes even while the other two are idle, and would need a heartbeat to
count the processes; a send costs a few milliseconds of database time at most 30 times a second.
The one-second spacing per chat stays in the process: only the leader sends the outbox, and it
is the outbox that sends several messages to one chat in a row.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from functools import partial

from sqlalchemy import Engine
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from storage.locks import is_postgresql
from storage.send_budget import take_send_slot

PER_CHAT_INTERVAL = 1.05
WINDOW = 1.1
REPLY_ATTEMPTS = 3


class Window(Protocol):
    """The overall limit: at most `rate` sends in any rolling `WINDOW`."""

    async def take(self) -> None:
        """Return once one more send fits, counting it."""
        ...


class LocalWindow:
    """The overall window of one process, in memory (SQLite, where only one process runs)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def take(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._lock:
            while True:
                now = loop.time()
                while self._starts and now - self._starts[0] >= WINDOW:
                    self._starts.popleft()
                if len(self._starts) < self.rate:
                    break
                await asyncio.sleep(self._starts[0] + WINDOW - now)
            self._starts.append(now)


class SharedWindow:
    """The overall window kept in the database for every process of the bot (see the module's
    docstring); `take_slot` counts a send and returns 0, or returns how long to wait."""

    def __init__(self, take_slot: Callable[[], float]) -> None:
        self._take_slot = take_slot

    async def take(self) -> None:
        while (wait := await asyncio.to_thread(self._take_slot)) > 0:
            await asyncio.sleep(wait)


def window_for(db: Engine, channel: str, rate: int) -> Window:
    """In the database when several processes may send (PostgreSQL), else in memory."""
    if is_postgresql(db):
        return SharedWindow(partial(take_send_slot, db, channel, rate, WINDOW))
    return LocalWindow(rate)


class SendBudget:
    """At most `rate` sends in any rolling `WINDOW` (`window`, shared by every chat), and, for
    bulk sends, a second between two messages to one chat. A chat the messenger asked to slow
    down (`pause`) waits alone: the other chats' messages go on."""

    def __init__(self, rate: int, window: Window | None = None) -> None:
        self.rate = rate
        self.window = window or LocalWindow(rate)
        self._last_to_chat: dict[int | str, float] = {}
        self._paused: dict[int | str | None, float] = {}

    def busy_chats(self) -> set[int | str]:
        """Chats that got a message less than a second ago, or are paused: the outbox leaves them for later."""
        now = asyncio.get_running_loop().time()
        self._last_to_chat = {chat: at for chat, at in self._last_to_chat.items() if now - at < PER_CHAT_INTERVAL}
        self._paused = {chat: until for chat, until in self._paused.items() if until > now}
        return set(self._last_to_chat) | {chat for chat in self._paused if chat is not None}

    def pause(self, chat: int | str | None, seconds: float) -> None:
        until = asyncio.get_running_loop().time() + seconds
        self._paused[chat] = max(self._paused.get(chat, 0.0), until)

    async def slot(self, chat: int | str | None, *, bulk: bool) -> None:
        loop = asyncio.get_running_loop()
        while True:  # this chat's own waits, without holding up anyone else
            now = loop.time()
            wait = self._paused.get(chat, 0.0) - now
            if bulk and chat in self._last_to_chat:
                wait = max(wait, self._last_to_chat[chat] + PER_CHAT_INTERVAL - now)
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        await self.window.take()
        if chat is not None:
            self._last_to_chat[chat] = loop.time()


class Pacing(BaseRateLimiter[bool]):
    """python-telegram-bot's rate limiter over one `SendBudget`."""

    def __init__(self, budget: SendBudget) -> None:
        self.budget = budget

    async def initialize(self) -> None:
        """Nothing to set up: the limits live in memory and restart empty, which is safe because
        a restart takes longer than the one-second windows they cover."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: bool | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        paced = endpoint.startswith(("send", "copy", "forward")) and endpoint != "sendChatAction"
        bulk = bool(rate_limit_args)
        for attempt in range(REPLY_ATTEMPTS):
            if paced:
                await self.budget.slot(data.get("chat_id"), bulk=bulk)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                delay = exc.retry_after if isinstance(exc.retry_after, (int, float)) else exc.retry_after.total_seconds()
                self.budget.pause(data.get("chat_id"), float(delay))
                if bulk or attempt == REPLY_ATTEMPTS - 1:
                    raise
                if not paced:
                    await asyncio.sleep(float(delay))
        raise AssertionError("unreachable")

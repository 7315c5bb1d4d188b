"""Keeps every message this process sends within each messenger's flood limits.

Telegram allows about 30 messages a second overall and about one a second to the same chat,
counted over rolling windows; a message sent with `allow_paid_broadcast` (an urgent
announcement, when the office enabled paid broadcasts) ignores the 30 and counts only toward
Telegram's 1000 a second for paid broadcasts, which every message counts toward
(`bot.announcements.urgency`). All sending goes through python-telegram-bot's rate-limiter hook,
so direct replies and outbox messages share one overall budget. Outbox messages (marked with
`rate_limit_args=True`) also keep a second between two messages to one chat; a direct reply to
what someone just did is never delayed for that, since Telegram tolerates such short bursts.
Zalo's Official Account API gets a budget of its own (`SendBudget`), used by its channel.

A flood answer (429, `RetryAfter`) is handled here and only here: the chat it concerns pauses
for the time Telegram asks (other chats' messages go on); a direct reply is then tried again,
an outbox message is handed back to the outbox, which schedules it for that time.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.announcements.urgency import PAID_RATE

PER_CHAT_INTERVAL = 1.05
WINDOW = 1.07
"""The rolling window the limits are counted over: Telegram counts per second; the extra 70 ms
absorb differences in network delay between two requests, so that 30 sends here are never 31
within one second at Telegram (bench/RESULTS.md: 10,000 messages at 28 a second, no 429)."""
REPLY_ATTEMPTS = 3


class RollingWindows:
    """When the next send may start: at most `free` sends without payment and at most `paid`
    sends of any kind in any rolling `window`."""

    def __init__(self, free: int, paid: int, window: float = WINDOW) -> None:
        self.free, self.paid, self.window = free, paid, window
        self._free: deque[float] = deque()
        self._all: deque[float] = deque()

    def wait(self, now: float, *, paid: bool) -> float:
        """0 when a send may start at `now` (it is then counted), else the seconds to wait."""
        for starts in (self._free, self._all):
            while starts and now - starts[0] >= self.window:
                starts.popleft()
        wait = self._all[0] + self.window - now if len(self._all) >= self.paid else 0.0
        if not paid and len(self._free) >= self.free:
            wait = max(wait, self._free[0] + self.window - now)
        if wait > 0:
            return wait
        self._all.append(now)
        if not paid:
            self._free.append(now)
        return 0.0


class SendBudget:
    """At most `rate` sends in any rolling `WINDOW` (`paid_rate` for sends Telegram charges
    for), and, for bulk sends, a second between two messages to one chat. A chat the messenger
    asked to slow down (`pause`) waits alone: the other chats' messages go on."""

    def __init__(self, rate: int, paid_rate: int = PAID_RATE) -> None:
        self.rate = rate
        self.windows = RollingWindows(rate, paid_rate)
        self._last_to_chat: dict[int | str, float] = {}
        self._paused: dict[int | str | None, float] = {}
        self._locks = {False: asyncio.Lock(), True: asyncio.Lock()}

    def busy_chats(self) -> set[int | str]:
        """Chats that got a message less than a second ago, or are paused: the outbox leaves them for later."""
        now = asyncio.get_running_loop().time()
        self._last_to_chat = {chat: at for chat, at in self._last_to_chat.items() if now - at < PER_CHAT_INTERVAL}
        self._paused = {chat: until for chat, until in self._paused.items() if until > now}
        return set(self._last_to_chat) | {chat for chat in self._paused if chat is not None}

    def pause(self, chat: int | str | None, seconds: float) -> None:
        until = asyncio.get_running_loop().time() + seconds
        self._paused[chat] = max(self._paused.get(chat, 0.0), until)

    async def slot(self, chat: int | str | None, *, bulk: bool, paid: bool = False) -> None:
        loop = asyncio.get_running_loop()
        while True:  # this chat's own waits, without holding up anyone else
            now = loop.time()
            wait = self._paused.get(chat, 0.0) - now
            if bulk and chat in self._last_to_chat:
                wait = max(wait, self._last_to_chat[chat] + PER_CHAT_INTERVAL - now)
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        # The overall windows, which every chat shares; paid sends queue apart, so that they
        # never wait behind a free send waiting for the free window.
        async with self._locks[paid]:
            while (wait := self.windows.wait(now := loop.time(), paid=paid)) > 0:
                await asyncio.sleep(wait)
            if chat is not None:
                self._last_to_chat[chat] = now


class Pacing(BaseRateLimiter[bool]):
    """python-telegram-bot's rate limiter over one `SendBudget`."""

    def __init__(self, rate: int) -> None:
        self.budget = SendBudget(rate)

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
        paid = data.get("allow_paid_broadcast") is True
        for attempt in range(REPLY_ATTEMPTS):
            if paced:
                await self.budget.slot(data.get("chat_id"), bulk=bulk, paid=paid)
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

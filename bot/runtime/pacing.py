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

Several processes of one bot share the messenger's overall limit, so on PostgreSQL the overall
window is also kept in the database (`SharedWindow`, one row per send of the last second, counted
under a lock): every process's direct replies and the leader's outbox draw on one budget,
exactly, however many processes run and whichever of them is busy. A share per process (the
rate divided by the live processes) would cost no database call, but would slow a broadcast to
a third with three processes even while the other two are idle, and would need a heartbeat to
count the processes; a send costs a few milliseconds of database time at most 30 times a second.
The database counts sends from their start, not until Telegram answered, so its window is
longer (`SHARED_WINDOW`) to leave room for network delay. The one-second spacing per chat stays
in the process: only the leader sends the outbox, and it is the outbox that sends several
messages to one chat in a row.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.announcements.urgency import PAID_RATE
from storage.locks import is_postgresql
from storage.send_budget import take_send_slot

PER_CHAT_INTERVAL = 1.05
WINDOW = 1.02
"""The rolling window the limits are counted over: Telegram counts per second, plus a margin."""
SHARED_WINDOW = 1.1
"""The database's window, counted by start times only: a tenth of a second for network delay."""
IN_FLIGHT_POLL = 0.005
REPLY_ATTEMPTS = 3


@dataclass(eq=False)
class Send:
    """One send as the windows count it: from its start until `window` after it ended (a send
    whose end is not reported counts from its start)."""

    at: float
    chat: int | str | None = None
    in_flight: bool = False


class RollingWindows:
    """When the next send may start: at most `free` sends without payment and at most `paid`
    sends of any kind in any rolling `window`.

    A send reported with `ended` leaves the window only `window` after its answer came back, not
    after it started: Telegram received it before answering and receives the next one after it
    starts, so two sends `free` places apart reach Telegram at least `window` apart however long
    each took on the way (bench/RESULTS.md: at under 27 a second by start times, a loaded machine
    made 131 of 10,000 arrive 31 to a second)."""

    def __init__(self, free: int, paid: int, window: float = WINDOW) -> None:
        self.free, self.paid, self.window = free, paid, window
        self._free: deque[Send] = deque()
        self._all: deque[Send] = deque()

    def wait(self, now: float, *, paid: bool, until_ended: bool = False) -> Send | float:
        """The send, counted, when one may start at `now`; else the seconds to wait."""
        for sends in (self._free, self._all):
            while sends and not sends[0].in_flight and now - sends[0].at >= self.window:
                sends.popleft()
        wait = self._room(self._all, self.paid, now)
        if not paid:
            wait = max(wait, self._room(self._free, self.free, now))
        if wait > 0:
            return wait
        send = Send(now, in_flight=until_ended)
        self._all.append(send)
        if not paid:
            self._free.append(send)
        return send

    def ended(self, send: Send, now: float) -> None:
        send.at, send.in_flight = now, False

    def forget(self, send: Send) -> None:
        """A send counted but never made."""
        for sends in (self._free, self._all):
            if send in sends:
                sends.remove(send)

    def _room(self, sends: deque[Send], limit: int, now: float) -> float:
        if len(sends) < limit:
            return 0.0
        return IN_FLIGHT_POLL if sends[0].in_flight else sends[0].at + self.window - now


class SharedWindow:
    """The overall window kept in the database for every process of the bot (see the module's
    docstring), with the same two limits as `RollingWindows`: every send counts toward the paid
    limit, only unpaid ones toward `rate`."""

    def __init__(self, db: Engine, channel: str, rate: int, paid_rate: int = PAID_RATE) -> None:
        self.db, self.channel, self.rate, self.paid_rate = db, channel, rate, paid_rate

    async def take(self, *, paid: bool) -> None:
        """Return once one more send fits in every process's window, counting it."""
        while (wait := await asyncio.to_thread(take_send_slot, self.db, self.channel, free=self.rate,
                                               paid=self.paid_rate, window_seconds=SHARED_WINDOW, is_paid=paid)) > 0:
            await asyncio.sleep(wait)


def shared_window_for(db: Engine, channel: str, rate: int) -> SharedWindow | None:
    """In the database when several processes may send (PostgreSQL); SQLite runs one process."""
    return SharedWindow(db, channel, rate) if is_postgresql(db) else None


class SendBudget:
    """At most `rate` sends in any rolling `WINDOW` (`paid_rate` for sends Telegram charges
    for), and, for bulk sends, a second between two messages to one chat. A chat the messenger
    asked to slow down (`pause`) waits alone: the other chats' messages go on."""

    def __init__(self, rate: int, paid_rate: int = PAID_RATE, shared: SharedWindow | None = None) -> None:
        self.rate = rate
        self.windows = RollingWindows(rate, paid_rate)
        self.shared = shared
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

    async def slot(self, chat: int | str | None, *, bulk: bool, paid: bool = False,
                   until_ended: bool = False) -> Send:
        """Wait until a message to `chat` may start; with `until_ended`, it counts until `ended`."""
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
            while not isinstance(send := self.windows.wait(loop.time(), paid=paid, until_ended=until_ended), Send):
                await asyncio.sleep(send)
            if self.shared is not None:
                try:
                    await self.shared.take(paid=paid)
                except BaseException:
                    self.windows.forget(send)  # never sent: it must not stay in flight in the window
                    raise
                send.at = loop.time()
            send.chat = chat
            if chat is not None:
                self._last_to_chat[chat] = send.at
            return send

    def ended(self, send: Send) -> None:
        """The answer to `send` came back: the windows and its chat count it from now."""
        now = asyncio.get_running_loop().time()
        self.windows.ended(send, now)
        if send.chat is not None and send.chat in self._last_to_chat:
            self._last_to_chat[send.chat] = max(self._last_to_chat[send.chat], now)


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
        paid = data.get("allow_paid_broadcast") is True
        for attempt in range(REPLY_ATTEMPTS):
            send = await self.budget.slot(data.get("chat_id"), bulk=bulk, paid=paid, until_ended=True) if paced else None
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                delay = exc.retry_after if isinstance(exc.retry_after, (int, float)) else exc.retry_after.total_seconds()
                self.budget.pause(data.get("chat_id"), float(delay))
                if bulk or attempt == REPLY_ATTEMPTS - 1:
                    raise
                if not paced:
                    await asyncio.sleep(float(delay))
            finally:
                if send is not None:
                    self.budget.ended(send)
        raise AssertionError("unreachable")

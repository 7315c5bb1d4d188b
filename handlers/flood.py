"""No chat can slow or fill the service for the others: a budget of updates per chat.

A person types, taps and sends pages at a human pace. A chat that sends more than `updates`
updates within `seconds` (a script, a stuck client, a finger on a key) is turned away: its excess
is not queued in its lane, where each update would cost a database turn and a reply, and the
replies would spend the send budget every chat shares, but dropped and marked processed, so a
restart or a channel's re-delivery does not act on it later. Once per flood the chat is told, in
its language, to wait and send again, after the answers to what was read. Every update counts,
the dropped ones too, so a chat that keeps flooding stays turned away until it slows down and
gets one "please wait", not one per window.

An album counts once: a phone sends each photo picked together (up to ten) as an update of its
own, and a citizen sending the pages of a long document at once is not flooding; the later
photos of an album share the fate of its first.

Officers and office staff have the same budget: twenty actions in ten seconds is beyond what a
person does while reading case cards, and a scripted or stuck staff account must not hold up the
citizens either.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from enum import Enum

from bot.conversation.turns import Turns
from dialogs.output import Reply, Rich
from locales import N_, get_translator

log = logging.getLogger(__name__)

PLEASE_WAIT = N_("You are sending messages faster than I can read them, so I did not read the last ones. "
                 "Please wait a few seconds, then send again what you need.")
TIDY_EVERY = 1024
"""Chats remembered before the quiet ones are forgotten."""


class Admission(Enum):
    TAKE = "take"
    DROP = "drop"
    WARN = "warn"
    """Dropped, and the first of this flood: the chat is told to wait."""


@dataclass
class _Flow:
    arrivals: deque[float]
    albums: dict[str, tuple[float, bool]] = field(default_factory=dict)
    warned: bool = False


class FloodBudget:
    """The decision alone, in memory (a flood is over in seconds, so a restart may forget it)."""

    def __init__(self, updates: int, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.updates = updates
        self.seconds = seconds
        self.clock = clock
        self._flows: dict[Hashable, _Flow] = {}
        self._tidy_at = TIDY_EVERY

    def admit(self, chat: Hashable, album: str | None = None) -> Admission:
        now = self.clock()
        flow = self._flows.get(chat)
        if flow is None:
            flow = self._flows[chat] = _Flow(deque(maxlen=self.updates))
            self._tidy(now)
        flow.albums = {key: seen for key, seen in flow.albums.items() if now - seen[0] < self.seconds}
        if album is not None and album in flow.albums:
            return Admission.TAKE if flow.albums[album][1] else Admission.DROP
        flooding = len(flow.arrivals) == self.updates and now - flow.arrivals[0] < self.seconds
        flow.arrivals.append(now)
        if album is not None:
            flow.albums[album] = (now, not flooding)
        if not flooding:
            flow.warned = False
            return Admission.TAKE
        if flow.warned:
            return Admission.DROP
        flow.warned = True
        return Admission.WARN

    def _tidy(self, now: float) -> None:
        """Forget the chats that sent nothing for a window, now and then, so memory follows the
        chats active now rather than every chat ever seen."""
        if len(self._flows) <= self._tidy_at:
            return
        self._flows = {chat: flow for chat, flow in self._flows.items()
                       if flow.arrivals and now - flow.arrivals[-1] < self.seconds}
        self._tidy_at = max(TIDY_EVERY, 2 * len(self._flows))


class FloodGate:
    """The budget, and what turning an update away means for the desk: its id is marked processed
    (in batches, off the event loop, so a flood costs one transaction now and then rather than
    one per update) and, once per flood, the chat is asked to wait."""

    def __init__(self, budget: FloodBudget, turns: Turns) -> None:
        self.budget = budget
        self.turns = turns
        self._dropped: list[int] = []
        self._marking: asyncio.Task[None] | None = None

    def admit(self, update_id: int, chat: Hashable, album: str | None = None) -> Admission:
        admission = self.budget.admit(chat, album)
        if admission is not Admission.TAKE:
            self._dropped.append(update_id)
            if self._marking is None or self._marking.done():
                self._marking = asyncio.create_task(self._mark())
        return admission

    async def ask_to_wait(self, chat_id: int, send: Callable[[int, list[Reply]], Awaitable[None]]) -> None:
        language = await asyncio.to_thread(self.turns.language, chat_id)
        await send(chat_id, [Reply(Rich.plain(get_translator(language).gettext(PLEASE_WAIT)))])

    async def drain(self) -> None:
        """At shutdown: the dropped updates are marked before the process ends."""
        if self._marking is not None:
            await self._marking

    async def _mark(self) -> None:
        while self._dropped:
            batch, self._dropped = self._dropped, []
            try:
                await asyncio.to_thread(self.turns.set_aside, batch)
            except Exception:  # noqa: BLE001 - the next batch is tried; at worst an update is acted on after a restart
                log.exception("could not mark %d dropped updates as processed", len(batch))

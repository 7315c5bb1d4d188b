"""Updates of one chat handled one after another, different chats side by side.

A webhook may deliver a chat's next message before the previous one is handled; each chat has
a lane, a chain of tasks, so the dialog sees its messages in order while other chats go on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable

log = logging.getLogger(__name__)


class ChatLanes:
    def __init__(self) -> None:
        self._tails: dict[Hashable, asyncio.Task[None]] = {}

    def run(self, chat: Hashable, work: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Start `work` once everything queued before it for `chat` is done."""
        previous = self._tails.get(chat)

        async def after_previous() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            try:
                await work()
            except Exception:  # noqa: BLE001 - one failed update must not block the chat's next ones
                log.exception("an update failed")

        task = asyncio.create_task(after_previous())
        self._tails[chat] = task
        task.add_done_callback(lambda done: self._tails.pop(chat, None) if self._tails.get(chat) is done else None)
        return task

    async def drain(self) -> None:
        """Wait for every queued update (at shutdown)."""
        while self._tails:
            await asyncio.gather(*list(self._tails.values()), return_exceptions=True)

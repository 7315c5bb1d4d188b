"""Several photos sent at once arrive as separate updates sharing a media_group_id. Each one is
processed (and saved) at once, but the replies are held for a moment and merged, so the citizen
gets one answer per album instead of one per photo."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from dialogs.output import Reply, Rich

Sender = Callable[[list[Reply]], Awaitable[None]]


@dataclass
class _Pending:
    generation: int = 0
    notes: list[Rich] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)


class AlbumReplies:
    def __init__(self, wait_seconds: float) -> None:
        self.wait_seconds = wait_seconds
        self._pending: dict[tuple[int, str], _Pending] = {}

    def hold(self, chat_id: int, media_group_id: str, replies: list[Reply]) -> int:
        pending = self._pending.setdefault((chat_id, media_group_id), _Pending())
        pending.generation += 1
        for reply in replies:
            pending.notes += [note for note in reply.notes if note not in pending.notes]
        pending.replies = replies
        return pending.generation

    async def flush_later(self, chat_id: int, media_group_id: str, generation: int, send: Sender) -> None:
        """Send the merged reply once no newer photo of the album arrived during the wait."""
        await asyncio.sleep(self.wait_seconds)
        key = (chat_id, media_group_id)
        pending = self._pending.get(key)
        if pending is None or pending.generation != generation:
            return
        del self._pending[key]
        if not pending.replies:
            return
        await send([*pending.replies[:-1], pending.replies[-1].with_notes(tuple(pending.notes))])

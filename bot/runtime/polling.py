"""How often the bot asks Telegram for updates when it polls (the default; with a webhook,
Telegram posts each update and there is nothing to ask).

A getUpdates call costs the bot about as much CPU as sending a message (python-telegram-bot's
HTTP stack, then the answer turned into objects), and a long poll returns as soon as one update
is there. With 30 citizens writing a second, each call brought one or two updates, and the calls
took a quarter of the bot's time (bench/RESULTS.md, "Full flow"). So while updates fetched
earlier are still being handled, the next call waits for them, up to `POLL_GAP` from the start
of the last one, and what arrives meanwhile comes in one answer.

A call never waits without a reason: once every update in hand is handled it starts at once, so
a person, or a test typing faster than any person, gets each answer as soon as before. After a
full answer (`FULL_ANSWER` updates) more are waiting at Telegram: the next call starts at once,
so a flood of a thousand messages from one chat is read through as fast as before and never
holds up the chats queued behind it.

Each answer is also handed to `keep` (`bot.runtime.inbox`) before python-telegram-bot reads it,
so that an update it confirms to Telegram at its next call is already in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from telegram.error import NetworkError
from telegram.request import HTTPXRequest, RequestData

POLL_GAP = 0.3
"""Seconds from the start of one getUpdates call to the start of the next, at most, while
updates fetched earlier are being handled. With citizens writing as fast as the bot may answer
(30 replies a second), 0.1 s brought about 6 updates per call and 0.3 s about 10, with the same
median reply time: the updates held back would have waited for the pacing of the replies anyway
(bench/RESULTS.md). One person alone never waits for it (see above)."""
FULL_ANSWER = 100
"""Telegram's most updates in one answer (the bot does not ask for fewer)."""
Keep = Callable[[list[dict[str, Any]]], Awaitable[None]]
"""Called with every answer's updates (none, after a long poll's wait) before they are returned;
when it raises, the answer is not returned."""


class SpacedPolls(HTTPXRequest):
    """python-telegram-bot's HTTP layer for getUpdates (its `get_updates_request`). The update
    processor reports each update it has finished with (`finished`)."""

    def __init__(self, gap: float = POLL_GAP, keep: Keep | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gap = gap
        self.keep = keep
        self._next_start: float | None = None
        self._in_hand = 0
        self._all_handled = asyncio.Event()
        self._all_handled.set()

    def finished(self) -> None:
        """One update is handled, or dropped. (With a webhook nothing was counted in: the count
        stays at zero. Should it ever run ahead, say an answer fetched again because
        python-telegram-bot could not read it, the next empty answer sets it back.)"""
        self._in_hand = max(self._in_hand - 1, 0)
        if self._in_hand == 0:
            self._all_handled.set()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        loop = asyncio.get_running_loop()
        if self._next_start is not None and (wait := self._next_start - loop.time()) > 0:
            # (Not `wait_for`: on Python 3.11 it can swallow the cancellation that stops polling.)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._all_handled.wait()
        started = loop.time()
        code, payload = await super().do_request(url, method, request_data, *args, **kwargs)
        updates = _updates(code, payload)
        if self.keep is not None and code == HTTPStatus.OK:
            try:
                await self.keep(updates)
            except Exception as exc:
                # Dropped unread, so unconfirmed: python-telegram-bot waits and asks again.
                raise NetworkError(f"the updates fetched could not be kept: {exc!r}") from exc
        if count := len(updates):
            self._in_hand += count
            self._all_handled.clear()
        else:  # a long poll brought nothing: whatever is still counted in hand spaces no call
            self._in_hand = 0
            self._all_handled.set()
        self._next_start = None if count >= FULL_ANSWER else started + self.gap
        return code, payload


def _updates(code: int, payload: bytes) -> list[dict[str, Any]]:
    """The updates of an answer; none in an error or an answer python-telegram-bot will refuse."""
    if code != HTTPStatus.OK:
        return []
    try:
        result = json.loads(payload).get("result")
    except (ValueError, AttributeError):
        return []
    if not isinstance(result, list):
        return []
    return [update for update in result if isinstance(update, dict) and isinstance(update.get("update_id"), int)]

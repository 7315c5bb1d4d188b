"""Nothing fetched by long polling is lost when the process dies before handling it.

python-telegram-bot confirms the updates of one getUpdates answer at its next call, and that
call does not wait until they are handled: a flood, or one slow step, keeps updates in hand
across several calls. Telegram never sends a confirmed update again, so a process killed then
(kill -9, a power cut, the machine's own crash) would leave those citizens unanswered. The inbox
writes every answer's updates to the database before python-telegram-bot reads them
(`SpacedPolls.keep`), deletes each one once handled (in batches, with the next answer's write:
one transaction per getUpdates call), and hands what is left to the bot at the next start.

A handled update whose deletion had not been written yet is handed over again after such a
crash. Whatever it changed is not done twice (its id was claimed with the change,
`storage.db.claim_update`); an answer that changes nothing, such as a case looked up, may be
given twice. A webhook needs none of this: Telegram sends an update again until the bot answered
its request, which it does once the update is handled (`bot.runtime.webhook`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from telegram import Update
from telegram.error import NetworkError, TelegramError
from telegram.ext import Application

from storage.inbound import keep_polled, unhandled_polled

log = logging.getLogger(__name__)


class PolledInbox:
    def __init__(self, db: Engine, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock
        self._kept: set[int] = set()
        self._handled: list[int] = []

    async def keep(self, updates: list[dict[str, Any]]) -> None:
        """Before python-telegram-bot reads an answer. Raises when the database cannot keep it:
        the answer is then dropped unread and unconfirmed, and Telegram gives it again at the
        next call (python-telegram-bot waits a moment and calls again after a `NetworkError`)."""
        handled, self._handled = self._handled, []
        if not updates and not handled:
            return
        try:
            await asyncio.to_thread(keep_polled, self.db, updates, handled, self.clock())
        except Exception as exc:
            self._handled = handled + self._handled
            raise NetworkError(f"the updates fetched could not be kept in the database: {exc!r}") from exc
        self._kept.update(update["update_id"] for update in updates)

    def handled(self, update_id: int) -> None:
        """Its row is deleted with the next answer's write, or when the bot stops."""
        if update_id in self._kept:
            self._kept.discard(update_id)
            self._handled.append(update_id)

    async def close(self) -> None:
        """Once every update in hand is handled: what is left in the database is what is not."""
        await self.keep([])

    async def resume(self, application: Application, *, polling: bool) -> int:  # type: ignore[type-arg]
        """Hand the updates kept and never handled to the bot, before it fetches any; returns
        how many. When polling, Telegram is first told they are confirmed (one getUpdates call
        with the offset after them): those the dead process had fetched but not yet confirmed
        would otherwise come again and be handled twice."""
        payloads = await asyncio.to_thread(unhandled_polled, self.db)
        if not payloads:
            return 0
        if polling:
            try:
                await application.bot.get_updates(offset=max(p["update_id"] for p in payloads) + 1, limit=1, timeout=0)
            except TelegramError as exc:  # a webhook is set: its updates are claimed once whatever comes again
                log.warning("could not confirm the updates handed over again to Telegram: %s", exc)
        for payload in payloads:
            update = Update.de_json(payload, application.bot)
            self._kept.add(update.update_id)
            await application.update_queue.put(update)
        log.info("%d updates fetched before the last stop and never handled are handled now", len(payloads))
        return len(payloads)

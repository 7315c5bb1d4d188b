"""Nothing fetched by long polling is lost when the process dies before handling it.

python-telegram-bot confirms the updates of one getUpdates answer at its next call, and that
call does not wait until they are handled: a flood, or one slow step, keeps updates in hand
across several calls. Telegram never sends a confirmed update again, so a process killed then
(kill -9, a power cut, the machine's own crash) would leave those citizens unanswered. The inbox
writes every answer's updates to the database before python-telegram-bot reads them
(`SpacedPolls.keep`), deletes each one once handled (in batches, with the next answer's write:
one transaction per getUpdates call), and hands what is left to the bot at the next start.

What an update changed is never done twice, whatever is handed over again: its id was claimed
with the change (`storage.db.claim_update`). An answer that changes nothing, such as a case
looked up, may be given twice: for a handled update whose deletion was not written yet when the
process died, and when the confirmation at start fails (Telegram unreachable, or a webhook set
since), since Telegram then gives again those the dead process had fetched but not confirmed.
Started with a webhook after such a crash, every process hands the rows over, and the same holds.
A webhook needs none of this otherwise: Telegram posts an update again until the bot has answered
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
from telegram.error import TelegramError
from telegram.ext import Application

from storage.inbound import MAX_HANDOVERS, hand_over_polled, keep_polled

log = logging.getLogger(__name__)


class PolledInbox:
    """The updates of this process's getUpdates answers, from their fetch until handled; which of
    them are handled and not yet deleted is kept in memory until the next write."""

    def __init__(self, db: Engine, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock
        self._kept: set[int] = set()
        self._handled: list[int] = []

    async def keep(self, updates: list[dict[str, Any]]) -> None:
        """Before python-telegram-bot reads an answer. Raises when the database cannot keep it;
        the handled updates are then deleted at the next write (deleting twice changes nothing)."""
        handled, self._handled = self._handled, []
        if not updates and not handled:
            return
        try:
            await asyncio.to_thread(keep_polled, self.db, updates, handled, self.clock())
        except BaseException:  # cancelled too (polling stopped): the write may not have happened
            self._handled = handled + self._handled
            raise
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
        would otherwise come again and be handled twice. An update handed over at
        `MAX_HANDOVERS` starts already is dropped and logged: it is what kills the process."""
        handover = await asyncio.to_thread(hand_over_polled, self.db)
        for update_id in handover.given_up:
            log.error("update %d was handed over at %d starts and never handled: it is dropped, since it most "
                      "likely stops the process", update_id, MAX_HANDOVERS)
        payloads = handover.items
        kept = [payload["update_id"] for payload in payloads] + handover.given_up
        if not kept:
            return 0
        if polling:  # the dropped ones too: Telegram must not give them again
            try:
                await application.bot.get_updates(offset=max(kept) + 1, limit=1, timeout=0)
            except TelegramError as exc:
                log.warning("could not confirm to Telegram the updates handed over again (%s): a few may be "
                            "answered twice", exc)
        for payload in payloads:
            try:
                update = Update.de_json(payload, application.bot)
            except Exception:  # noqa: BLE001 - one unreadable row must not stop every start
                log.exception("a kept update could not be read; it is dropped")
                self._handled.append(payload["update_id"])
                continue
            self._kept.add(update.update_id)
            await application.update_queue.put(update)
        log.info("%d updates fetched before the last stop and never handled are handled now", len(payloads))
        return len(payloads)

"""Work that runs beside update handling: the outbox worker, the scheduled notices (digests,
reminders), the daily purge of personal data kept long enough, and the progress message of
each running announcement."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from telegram.error import BadRequest, TelegramError

from bot.cases.due_dates import WorkCalendar
from bot.cases.reminders import run_jobs
from bot.privacy.purge import Purge
from bot.runtime.outbox_sender import Deliver, OutboxWorker
from bot.settings import Settings
from handlers.desk import Desk
from handlers.telegram.channel import TelegramChannel
from handlers.telegram.render import html
from locales import get_translator

log = logging.getLogger(__name__)
JOBS_INTERVAL_SECONDS = 60
PROGRESS_INTERVAL_SECONDS = 3
ORPHANS_AFTER = timedelta(minutes=2)
"""An event recorded this long ago and still unhandled lost its process (handling takes seconds)."""


class Background:
    def __init__(self, desk: Desk, settings: Settings, clock: Callable[[], datetime]) -> None:
        self.desk = desk
        self.settings = settings
        self.clock = clock
        self.channel: TelegramChannel | None = None
        self.worker: OutboxWorker | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.purge = Purge(desk.turns.db, desk.files, settings)
        self.orphans: Callable[[datetime], Awaitable[None]] | None = None
        """Hands over webhook events a dead process recorded but never handled (Zalo's)."""

    def connect(self, deliver: Deliver, busy_chats: Callable[[], set[int | str]], telegram: TelegramChannel) -> None:
        """The outbox sends through `deliver` (the channel of each chat); progress is shown on Telegram."""
        self.channel = telegram
        self.worker = OutboxWorker(self.desk.turns.db, deliver, self.clock, busy_chats,
                                   paid_broadcast=self.settings.allow_paid_broadcast)

    async def send_held(self, chat_id: int) -> None:
        if self.worker is not None:
            await self.worker.send_held(chat_id)

    def start(self) -> None:
        assert self.worker is not None
        self.tasks = [asyncio.create_task(self.worker.run()), asyncio.create_task(self._jobs_forever()),
                      asyncio.create_task(self._progress_forever())]

    async def stop(self) -> None:
        if self.worker is not None:
            await self.worker.stop()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _jobs_forever(self) -> None:
        catalog = self.desk.dialogs.engine.catalog
        calendar = WorkCalendar.of(self.settings)
        while True:
            try:
                await asyncio.to_thread(run_jobs, self.desk.turns.db, catalog, self.settings, calendar, self.clock())
                if self.orphans is not None:
                    await self.orphans(self.clock() - ORPHANS_AFTER)
            except Exception:  # noqa: BLE001 - a failed round is retried at the next one
                log.exception("scheduled jobs failed")
            try:
                await asyncio.to_thread(self.purge.daily, self.clock())
            except Exception:  # noqa: BLE001 - retried at the next round, the day is not marked done
                log.exception("daily purge failed")
            await asyncio.sleep(JOBS_INTERVAL_SECONDS)

    async def _progress_forever(self) -> None:
        """Keep each running announcement's progress message up to date for its author."""
        while True:
            try:
                await self._report_progress()
            except Exception:  # noqa: BLE001 - progress display must not stop
                log.exception("broadcast progress failed")
            await asyncio.sleep(PROGRESS_INTERVAL_SECONDS)

    async def _report_progress(self) -> None:
        """Edit each running broadcast's progress message; on completion, also send the final report."""
        assert self.channel is not None
        bot = self.channel.bot
        broadcasts = self.desk.broadcasts
        for broadcast, progress in await asyncio.to_thread(broadcasts.sending):
            tr = get_translator(await asyncio.to_thread(self.desk.turns.language, broadcast.author_id))
            text = html(broadcasts.report(broadcast, progress, tr))
            try:
                if broadcast.progress_message_id is not None:
                    await bot.edit_message_text(text, chat_id=broadcast.author_id,
                                                message_id=broadcast.progress_message_id, parse_mode="HTML")
                if broadcast.status == "done":
                    await bot.send_message(broadcast.author_id, text, parse_mode="HTML")
            except BadRequest:
                pass
            except TelegramError as exc:
                log.warning("progress of broadcast %s not shown: %s", broadcast.id, exc)

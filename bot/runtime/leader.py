"""One process of the bot leads: it sends the outbox, runs the scheduled jobs and keeps the
broadcasts' progress messages up to date; every process handles updates.

On PostgreSQL the leader is whoever holds the `LEADER` advisory lock. The others try again every
few seconds, so when the leader stops or dies (the server then releases its lock) another takes
over within that time and sends what was left; a leader that loses its database connection stops
leading at once. Nothing depends on there being exactly one leader at every instant: outbox rows
are claimed under row locks, each scheduled notice under its `JobRun` key, and the send budget is
in the database, so a moment with two leaders repeats nothing. One sender keeps a chat's outbox
messages in order and a second apart, and spares the database every process polling the queue.

SQLite runs one process, which leads from the start.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.runtime.background import Background
from storage.locks import LEADER, AdvisoryLock, is_postgresql

log = logging.getLogger(__name__)
RETRY_SECONDS = 2.0


class Leadership:
    def __init__(self, db: Engine, duties: Background, retry_seconds: float = RETRY_SECONDS) -> None:
        self.db = db
        self.duties = duties
        self.retry_seconds = retry_seconds
        self.leading = False
        self._lock = AdvisoryLock(db, LEADER) if is_postgresql(db) else None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._lock is None:
            self._lead()
        else:
            self._task = asyncio.create_task(self._contend())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.leading:
            await self.duties.stop()
            self.leading = False
        if self._lock is not None:
            await asyncio.to_thread(self._lock.release)

    def _lead(self) -> None:
        self.duties.start()
        self.leading = True

    async def _contend(self) -> None:
        assert self._lock is not None
        lock = self._lock
        while True:
            try:
                if not self.leading and await asyncio.to_thread(lock.try_acquire):
                    log.info("this process leads: it sends the outbox and runs the scheduled jobs")
                    self._lead()
                elif self.leading and not await asyncio.to_thread(lock.still_held):
                    log.warning("lost the database connection that made this process the leader; stepping down")
                    self.leading = False
                    await self.duties.stop()
            except SQLAlchemyError as exc:
                log.warning("leader election: the database does not answer (%s)", type(exc).__name__)
            await asyncio.sleep(self.retry_seconds)

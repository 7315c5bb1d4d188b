"""The messenger's overall send limit, counted in the database for every process of the bot.

One row per send in `send_slots`; a process that wants to send takes a transaction-level advisory
lock (so takers count one after another), forgets the rows older than the window, and adds its
row if fewer than `rate` remain. Times are the database server's clock, so processes on machines
whose clocks differ still share one window. PostgreSQL only: SQLite runs one process, which keeps
its window in memory (`bot.runtime.pacing.RollingWindows`).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, delete, func, insert, select, text

from storage.locks import NAMESPACE, SEND_BUDGET
from storage.models import SendSlot

slots = SendSlot.__table__  # type: ignore[attr-defined]


def take_send_slot(db: Engine, channel: str, rate: int, window_seconds: float) -> float:
    """0 when one more send fits in the window (it is then counted); else the seconds to wait."""
    with db.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:namespace, :key)"),
                           {"namespace": NAMESPACE, "key": SEND_BUDGET})
        now = connection.execute(select(func.clock_timestamp())).scalar_one()
        since = now - timedelta(seconds=window_seconds)
        connection.execute(delete(slots).where(slots.c.channel == channel, slots.c.at <= since))
        count, oldest = connection.execute(select(func.count(), func.min(slots.c.at))
                                           .where(slots.c.channel == channel)).one()
        if count < rate:
            connection.execute(insert(slots).values(channel=channel, at=now))
            return 0.0
        return max((oldest - since).total_seconds(), 0.001)

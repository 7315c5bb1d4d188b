"""The messenger's overall send limit, counted in the database for every process of the bot.

One row per send in `send_slots`; a process that wants to send takes a transaction-level advisory
lock (so takers count one after another), forgets the rows older than the window, and adds its
row if fewer than `rate` remain. Times are the database server's clock, so processes on machines
whose clocks differ still share one window. PostgreSQL only: SQLite runs one process, which keeps
its window in memory (`bot.runtime.pacing.RollingWindows`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, insert, select, text

from storage.locks import NAMESPACE, SEND_BUDGET
from storage.models import SendSlot

slots = SendSlot.__table__  # type: ignore[attr-defined]


def take_send_slot(db: Engine, channel: str, *, free: int, paid: int, window_seconds: float, is_paid: bool) -> float:
    """0 when one more send fits in the window (it is then counted); else the seconds to wait.
    Every send counts toward `paid` (Telegram's limit for paid broadcasts); only unpaid ones
    toward `free`, so a paid broadcast never holds up the replies of other processes."""
    with db.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:namespace, :key)"),
                           {"namespace": NAMESPACE, "key": SEND_BUDGET})
        now = connection.execute(select(func.clock_timestamp())).scalar_one()
        since = now - timedelta(seconds=window_seconds)
        connection.execute(delete(slots).where(slots.c.channel == channel, slots.c.at <= since))
        waits = [_wait(connection, channel, paid, since, None)]
        if not is_paid:
            waits.append(_wait(connection, channel, free, since, False))
        if max(waits) > 0:
            return max(waits)
        connection.execute(insert(slots).values(channel=channel, at=now, paid=is_paid))
        return 0.0


def _wait(connection: Connection, channel: str, limit: int, since: datetime, paid: bool | None) -> float:
    """0 while fewer than `limit` sends (of one kind, or of any when `paid` is None) are in the window."""
    query = select(func.count(), func.min(slots.c.at)).where(slots.c.channel == channel)
    if paid is not None:
        query = query.where(slots.c.paid == paid)
    count, oldest = connection.execute(query).one()
    return 0.0 if count < limit else max((oldest - since).total_seconds(), 0.001)

"""How long personal data is kept: the one rule the consent notice states, the purge applies and
the /dulieu screen shows.

A case's personal data is kept while the case is handled and `retention_months` months after it
is closed (MOTCUA_RETENTION_MONTHS, 12 by default); an application left unfinished is deleted
after `abandoned_dialog_days` days without a message (MOTCUA_ABANDONED_DIALOG_DAYS, 30). Delivery
bookkeeping (update ids already handled, events a messenger pushed, undelivered messages' content)
is kept a week, long enough for a messenger to deliver an update again and for the desk to see
why a message failed.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.settings import Settings

BOOKKEEPING_DAYS = 7


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the last day of a shorter month)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def months_after(moment: datetime, months: int) -> datetime:
    return months_before(moment, -months)


@dataclass(frozen=True)
class Retention:
    months: int
    abandoned_days: int

    @classmethod
    def of(cls, settings: Settings) -> Retention:
        return cls(settings.retention_months, settings.abandoned_dialog_days)

    def closed_before(self, now: datetime) -> datetime:
        """Cases closed before this moment have been kept as long as promised."""
        return months_before(now, self.months)

    def kept_until(self, closed_at: datetime) -> datetime:
        return months_after(closed_at, self.months)

    def abandoned_before(self, now: datetime) -> datetime:
        """An application not touched since this moment is deleted."""
        return now - timedelta(days=self.abandoned_days)

    @staticmethod
    def bookkeeping_before(now: datetime) -> datetime:
        return now - timedelta(days=BOOKKEEPING_DAYS)

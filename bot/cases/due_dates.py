"""Working days ("ngày làm việc") and every rule about a case's due date ("ngày hẹn trả"):
the day a dossier counts as received, the due date on the receipt, the new due date after a
supplement, the working days a case took, and the office time left before it is due.

Procedure time limits count working days: Monday to Friday, minus public holidays (Tết
included). The `holidays` package knows the Labour Code's rules, but the Prime Minister fixes
each year's Tết arrangement, the second Quốc khánh day and swapped days by notice, which the
package may lack or guess differently (research/procedures.md, "Extra 3"). The commune's
configuration therefore adds days off and make-up working days, and those always win.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from bot.settings import Settings
from dialogs.catalog import ClockRule

OFFICE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DESK_CUTOFF = time(15, 0)
# Shown for a configured day off that the package does not name ("day off by official notice").
EXTRA_HOLIDAY_NAME = "Ngày nghỉ theo thông báo"
_SATURDAY = 5


class WorkCalendar:
    """Which days the desk counts as working days when it computes a due date."""

    def __init__(
        self,
        *,
        extra_holidays: frozenset[date] = frozenset(),
        extra_workdays: frozenset[date] = frozenset(),
    ) -> None:
        both = extra_holidays & extra_workdays
        if both:
            days = ", ".join(sorted(day.isoformat() for day in both))
            raise ValueError(f"a day cannot be both an extra holiday and an extra working day: {days}")
        self.extra_holidays = extra_holidays
        self.extra_workdays = extra_workdays
        # Vietnamese names whatever the server's locale, which the package would otherwise follow.
        self._public_holidays = holidays.country_holidays("VN", language="vi")

    def is_working_day(self, day: date) -> bool:
        """Configured days come first, since they record the government's actual decisions."""
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        return day.weekday() < _SATURDAY and day not in self._public_holidays

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`, even when `day` is one itself."""
        candidate = day + timedelta(days=1)
        while not self.is_working_day(candidate):
            candidate += timedelta(days=1)
        return candidate

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after `day`; `day` itself never counts, and n = 0 returns it."""
        if n < 0:
            raise ValueError(f"n must be 0 or more, got {n}")
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def holiday_name(self, day: date) -> str | None:
        """The holiday's Vietnamese name, to tell a citizen why the desk is closed; None on other days.

        A configured make-up working day has no name even if the package lists a holiday on it.
        """
        if day in self.extra_workdays:
            return None
        name = self._public_holidays.get(day)
        if name is not None:
            return name
        if day in self.extra_holidays:
            return EXTRA_HOLIDAY_NAME
        return None

    @classmethod
    def of(cls, settings: Settings) -> WorkCalendar:
        return cls(extra_holidays=frozenset(settings.extra_holidays), extra_workdays=frozenset(settings.extra_workdays))


def reception_day(calendar: WorkCalendar, day: date) -> date:
    """A dossier that arrives on a day the desk does not count is taken as received on the next one."""
    return day if calendar.is_working_day(day) else calendar.next_working_day(day)


def due_date(
    calendar: WorkCalendar,
    received_at: datetime,
    working_days: int,
    *,
    cutoff: time = DESK_CUTOFF,
    tz: ZoneInfo = OFFICE_TZ,
) -> date:
    """The return date for a dossier received at `received_at`.

    A dossier received at or after the cut-off, or on a day the desk does not count, is handled
    as received on the next working day; the day and hour are those of the office's zone,
    since a server in UTC would otherwise move evening submissions to the wrong day.
    """
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError("received_at must be timezone-aware")
    local = received_at.astimezone(tz)
    reception = reception_day(calendar, local.date())
    if reception == local.date() and local.time() >= cutoff:
        reception = calendar.next_working_day(reception)
    return calendar.add_working_days(reception, working_days)


def due_after_supplement(calendar: WorkCalendar, rule: ClockRule, *, working_days: int, old_due: date,
                         waiting_since: datetime | None, now: datetime, cutoff: time, tz: ZoneInfo) -> date:
    """'restart': the time limit counts again from the day the dossier became complete;
    'pause': the working days spent waiting for the citizen are added to the old due date."""
    if rule is ClockRule.RESTART or waiting_since is None:
        return due_date(calendar, now, working_days, cutoff=cutoff, tz=tz)
    day, today, waited = waiting_since.astimezone(tz).date(), now.astimezone(tz).date(), 0
    while day < today:
        day = calendar.next_working_day(day)
        waited += 1 if day <= today else 0
    return calendar.add_working_days(old_due, waited)


def working_days_taken(calendar: WorkCalendar, received: date, closed: date) -> int:
    """Working days after the day of receipt up to and including the day of closing, so a case
    closed on the day it was received took 0."""
    day, count = reception_day(calendar, received), 0
    while day < closed:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            count += 1
    return count


def working_time_left(now: datetime, due: date, settings: Settings, calendar: WorkCalendar) -> timedelta:
    """Office time from `now` until closing time on `due`, on working days only: officers cannot
    act at night or on a holiday, so a case due Monday is not safe on Friday afternoon."""
    start = now.astimezone(settings.tz)
    left = 0.0
    day = start.date()
    while day <= due:
        if calendar.is_working_day(day):
            opens = datetime.combine(day, settings.office_opens, tzinfo=settings.tz)
            closes = datetime.combine(day, settings.office_closes, tzinfo=settings.tz)
            # Timestamps, not aware-datetime subtraction, which ignores an offset change within a zone.
            left += max(0.0, closes.timestamp() - max(opens, start).timestamp())
        day += timedelta(days=1)
    return timedelta(seconds=left)

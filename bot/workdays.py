"""Working days ("ngày làm việc") and the due date ("ngày hẹn trả") written on a receipt.

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
    reception = local.date()
    if not (calendar.is_working_day(reception) and local.time() < cutoff):
        reception = calendar.next_working_day(reception)
    return calendar.add_working_days(reception, working_days)

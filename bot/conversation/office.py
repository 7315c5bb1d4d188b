"""The desk as citizens ask about it at a given moment: where it is, its hours, its phone, and
whether it is open today (the working-day calendar that due dates use decides)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from bot.cases.due_dates import WorkCalendar
from bot.settings import Settings
from dialogs.model import Office


def office_at(now: datetime, settings: Settings, calendar: WorkCalendar) -> Office:
    local = now.astimezone(settings.tz)
    day = local.date()
    today: Literal["open", "over", "closed"]
    if not calendar.is_working_day(day):
        today = "closed"
    else:
        today = "open" if local.time() < settings.office_closes else "over"
    return Office(
        name=settings.office_name,
        address=settings.office_address,
        phone=settings.office_phone,
        opens=settings.office_opens.strftime("%H:%M"),
        closes=settings.office_closes.strftime("%H:%M"),
        today=today,
        closed_because=calendar.holiday_name(day) if today == "closed" else None,
        next_open=calendar.next_working_day(day),
    )

"""Due dates on real calendar dates, including the holidays `holidays` 0.109 gives for Vietnam.

The Tết and Quốc khánh days below are the package's; if an upgrade changes them these tests
fail on purpose, because every receipt's return date would change with them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from bot.cases.due_dates import EXTRA_HOLIDAY_NAME, OFFICE_TZ, WorkCalendar, due_date

UTC = timezone.utc


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar()


def hanoi(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment at the desk, in the office's own zone."""
    return datetime(year, month, day, hour, minute, tzinfo=OFFICE_TZ)


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


# --- weekends and the cut-off ---------------------------------------------------------------


def test_friday_morning_plus_one_working_day_is_monday(calendar: WorkCalendar) -> None:
    assert due_date(calendar, hanoi(2026, 11, 27, 9), 1) == date(2026, 11, 30)


def test_same_day_procedure_after_cutoff_on_friday_is_due_monday(calendar: WorkCalendar) -> None:
    assert due_date(calendar, hanoi(2026, 11, 27, 16), 0) == date(2026, 11, 30)


def test_saturday_submission_counts_from_monday(calendar: WorkCalendar) -> None:
    assert due_date(calendar, hanoi(2026, 11, 28, 9), 0) == date(2026, 11, 30)
    assert due_date(calendar, hanoi(2026, 11, 28, 9), 1) == date(2026, 12, 1)


def test_cutoff_hour_for_a_same_day_procedure(calendar: WorkCalendar) -> None:
    assert due_date(calendar, hanoi(2026, 12, 1, 14, 59), 0) == date(2026, 12, 1)
    assert due_date(calendar, hanoi(2026, 12, 1, 15, 0), 0) == date(2026, 12, 2)


def test_cutoff_hour_for_a_three_day_procedure(calendar: WorkCalendar) -> None:
    # Tuesday before the cut-off: Wed, Thu, Fri; at the cut-off it starts on Wednesday: Thu, Fri, Mon.
    assert due_date(calendar, hanoi(2026, 12, 1, 14, 59), 3) == date(2026, 12, 4)
    assert due_date(calendar, hanoi(2026, 12, 1, 15, 0), 3) == date(2026, 12, 7)


def test_cutoff_is_configurable(calendar: WorkCalendar) -> None:
    assert due_date(calendar, hanoi(2026, 12, 1, 16, 30), 0, cutoff=time(17, 0)) == date(2026, 12, 1)


# --- time zones -----------------------------------------------------------------------------


def test_utc_late_evening_is_already_next_morning_in_vietnam(calendar: WorkCalendar) -> None:
    received = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)  # Wednesday 05:00 in Hà Nội
    assert due_date(calendar, received, 0) == date(2026, 12, 2)
    assert due_date(calendar, received, 3) == date(2026, 12, 7)


def test_utc_friday_evening_is_saturday_in_vietnam(calendar: WorkCalendar) -> None:
    received = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)  # Saturday 03:00 in Hà Nội
    assert due_date(calendar, received, 1) == date(2026, 12, 8)


def test_cutoff_applies_to_office_hours_not_utc_hours(calendar: WorkCalendar) -> None:
    received = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)  # 15:30 in Hà Nội
    assert due_date(calendar, received, 0) == date(2026, 12, 2)


def test_naive_datetime_is_refused(calendar: WorkCalendar) -> None:
    with pytest.raises(ValueError):
        due_date(calendar, datetime(2026, 12, 1, 9, 0), 0)


# --- public holidays ------------------------------------------------------------------------


def test_tet_2026_days_given_by_the_package(calendar: WorkCalendar) -> None:
    # Giao thừa Mon 16/2 to Mùng 4 Fri 20/2/2026, then the weekend.
    assert not any(calendar.is_working_day(day) for day in days_between(date(2026, 2, 14), date(2026, 2, 22)))
    assert calendar.is_working_day(date(2026, 2, 13))
    assert calendar.is_working_day(date(2026, 2, 23))
    assert calendar.holiday_name(date(2026, 2, 17)) == "Tết Nguyên Đán"


def test_due_date_jumps_over_tet_2026(calendar: WorkCalendar) -> None:
    assert due_date(calendar, hanoi(2026, 2, 13, 9), 1) == date(2026, 2, 23)
    assert due_date(calendar, hanoi(2026, 2, 12, 9), 3) == date(2026, 2, 24)


def test_tet_2027_days_given_by_the_package(calendar: WorkCalendar) -> None:
    # Mùng 1 is Saturday 6/2/2027: the package gives 29 Tết (Thu 4/2) for the Saturday and
    # Mùng 5 (Wed 10/2) for the Sunday, so Thursday 4/2 to Wednesday 10/2 are all days off.
    assert not any(calendar.is_working_day(day) for day in days_between(date(2027, 2, 4), date(2027, 2, 10)))
    assert calendar.is_working_day(date(2027, 2, 3))
    assert calendar.is_working_day(date(2027, 2, 11))
    assert calendar.holiday_name(date(2027, 2, 4)) == "29 Tết"
    assert calendar.holiday_name(date(2027, 2, 6)) == "Tết Nguyên Đán"
    assert calendar.holiday_name(date(2027, 2, 10)) == "Mùng năm Tết Nguyên Đán"


def test_due_date_jumps_over_tet_2027(calendar: WorkCalendar) -> None:
    assert due_date(calendar, hanoi(2027, 2, 3, 9), 1) == date(2027, 2, 11)
    assert due_date(calendar, hanoi(2027, 2, 3, 15, 30), 0) == date(2027, 2, 11)
    assert due_date(calendar, hanoi(2027, 2, 1, 9), 5) == date(2027, 2, 15)


def test_quoc_khanh_two_days(calendar: WorkCalendar) -> None:
    # 2027: 2/9 is a Thursday and the package adds Friday 3/9 as the second day.
    assert calendar.holiday_name(date(2027, 9, 2)) == "Quốc khánh"
    assert calendar.holiday_name(date(2027, 9, 3)) == "Quốc khánh"
    assert due_date(calendar, hanoi(2027, 9, 1, 9), 1) == date(2027, 9, 6)


def test_quoc_khanh_2026_with_the_swapped_monday(calendar: WorkCalendar) -> None:
    # 2026: Tue 1/9 and Wed 2/9, plus Mon 31/8 given off in exchange for Saturday 22/8.
    assert due_date(calendar, hanoi(2026, 8, 28, 9), 1) == date(2026, 9, 3)


def test_reunification_day_and_labour_day(calendar: WorkCalendar) -> None:
    # 2026: Thu 30/4 and Fri 1/5.
    assert due_date(calendar, hanoi(2026, 4, 29, 9), 1) == date(2026, 5, 4)
    # 2027: Fri 30/4 and Sat 1/5, the latter observed on Monday 3/5.
    assert calendar.holiday_name(date(2027, 5, 3)) == "Ngày Quốc tế Lao động (nghỉ bù)"
    assert due_date(calendar, hanoi(2027, 4, 29, 9), 1) == date(2027, 5, 4)


def test_ordinary_days_have_no_holiday_name(calendar: WorkCalendar) -> None:
    assert calendar.holiday_name(date(2026, 12, 1)) is None
    assert calendar.holiday_name(date(2026, 11, 28)) is None


# --- configured days ------------------------------------------------------------------------


def test_extra_holiday_takes_effect() -> None:
    calendar = WorkCalendar(extra_holidays=frozenset({date(2026, 12, 31)}))
    assert not calendar.is_working_day(date(2026, 12, 31))
    assert calendar.holiday_name(date(2026, 12, 31)) == EXTRA_HOLIDAY_NAME
    # Thu 31/12 configured, Fri 1/1 Tết Dương lịch, then the weekend.
    assert due_date(calendar, hanoi(2026, 12, 30, 9), 1) == date(2027, 1, 4)


def test_extra_workday_takes_effect() -> None:
    calendar = WorkCalendar(extra_workdays=frozenset({date(2026, 8, 22)}))
    assert calendar.is_working_day(date(2026, 8, 22))
    assert due_date(calendar, hanoi(2026, 8, 21, 9), 1) == date(2026, 8, 22)
    assert due_date(calendar, hanoi(2026, 8, 22, 9), 0) == date(2026, 8, 22)


def test_extra_workday_overrides_a_package_holiday() -> None:
    calendar = WorkCalendar(extra_workdays=frozenset({date(2027, 2, 4)}))
    assert calendar.is_working_day(date(2027, 2, 4))
    assert calendar.holiday_name(date(2027, 2, 4)) is None
    assert due_date(calendar, hanoi(2027, 2, 3, 9), 1) == date(2027, 2, 4)


def test_a_day_cannot_be_both_extra_holiday_and_extra_workday() -> None:
    both = frozenset({date(2027, 2, 4)})
    with pytest.raises(ValueError):
        WorkCalendar(extra_holidays=both, extra_workdays=both)


# --- arithmetic -----------------------------------------------------------------------------


def test_next_working_day_is_strictly_after(calendar: WorkCalendar) -> None:
    assert calendar.next_working_day(date(2026, 12, 1)) == date(2026, 12, 2)
    assert calendar.next_working_day(date(2026, 12, 4)) == date(2026, 12, 7)


def test_add_zero_working_days_returns_the_day(calendar: WorkCalendar) -> None:
    assert calendar.add_working_days(date(2026, 11, 28), 0) == date(2026, 11, 28)


def test_add_negative_working_days_is_refused(calendar: WorkCalendar) -> None:
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2026, 12, 1), -1)

"""The longest period /thongke and `motcua report` cover: two years, both ends included."""

from __future__ import annotations

from datetime import date

from bot.reports.figures import period_too_long


def test_two_years_are_allowed_and_a_day_more_is_not() -> None:
    assert not period_too_long(date(2024, 12, 1), date(2026, 11, 30))
    assert period_too_long(date(2024, 12, 1), date(2026, 12, 1))
    assert not period_too_long(date(2026, 11, 1), date(2026, 11, 1))


def test_a_period_from_29_february_may_end_on_28_february() -> None:
    assert not period_too_long(date(2024, 2, 29), date(2026, 2, 28))
    assert period_too_long(date(2024, 2, 29), date(2026, 3, 1))

"""The maths of announcements: the pacing's windows (free and paid), the expected time of a
broadcast and the cost of an urgent one sent as Telegram's paid broadcast."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.announcements.broadcasts import duration
from bot.announcements.urgency import (
    FREE_RATE,
    PAID_RATE,
    PAID_RATE_REACHED,
    Rates,
    estimate,
    paid_cost,
    split_duration,
)
from bot.runtime.pacing import IN_FLIGHT_POLL, WINDOW, RollingWindows, Send
from locales import get_translator

RATES = Rates(free=28.0, paid=900.0)


def _run(windows: RollingWindows, sends: list[bool], step: float = 0.001) -> list[tuple[float, bool]]:
    """Start each send (True: paid) as soon as the windows allow, in order, on a clock that
    advances by `step`; the start times."""
    now, started = 0.0, []
    for paid in sends:
        while not isinstance(windows.wait(now, paid=paid), Send):
            now += step
        started.append((now, paid))
    return started


def _admitted(windows: RollingWindows, now: float, *, paid: bool) -> bool:
    return isinstance(windows.wait(now, paid=paid), Send)


def _most_in_one_second(times: list[float]) -> int:
    """Most starts within any one second, as Telegram counts them."""
    first, most = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def test_free_sends_stay_under_30_in_any_second_at_over_27_a_second() -> None:
    started = [at for at, _ in _run(RollingWindows(30, PAID_RATE), [False] * 3000)]
    assert _most_in_one_second(started) == 30
    assert (len(started) - 1) / (started[-1] - started[0]) >= 27


def test_the_31st_free_send_waits_for_the_first_to_leave_the_window() -> None:
    windows = RollingWindows(30, PAID_RATE)
    assert all(_admitted(windows, 0.01 * n, paid=False) for n in range(30))
    assert windows.wait(0.5, paid=False) == pytest.approx(WINDOW - 0.5)
    assert _admitted(windows, WINDOW, paid=False)


def test_a_send_leaves_the_window_a_window_after_its_answer_came_back() -> None:
    """However long the first of 31 sends took, the 31st reaches Telegram a full window after it."""
    windows = RollingWindows(30, PAID_RATE, window=1.0)
    first = windows.wait(0.0, paid=False, until_ended=True)
    assert isinstance(first, Send)
    assert all(_admitted(windows, 0.001 * n, paid=False) for n in range(1, 30))
    assert windows.wait(1.5, paid=False) == IN_FLIGHT_POLL, "the first is still on its way"
    windows.ended(first, 1.6)
    assert windows.wait(2.0, paid=False) == pytest.approx(0.6)
    assert _admitted(windows, 2.6, paid=False)


def test_paid_sends_ignore_the_free_limit_but_count_toward_the_paid_one() -> None:
    windows = RollingWindows(3, 5, window=1.0)
    assert [_admitted(windows, 0.0, paid=False) for _ in range(4)] == [True, True, True, False]
    assert windows.wait(0.0, paid=False) == pytest.approx(1.0)
    assert [_admitted(windows, 0.1, paid=True) for _ in range(2)] == [True, True]
    assert windows.wait(0.2, paid=True) == pytest.approx(0.8), "3 free + 2 paid: the paid limit of 5 is reached"
    assert _admitted(windows, 1.0, paid=False) and _admitted(windows, 1.0, paid=True)


def test_paid_sends_reach_the_paid_rate_and_never_exceed_1000_in_a_second() -> None:
    started = _run(RollingWindows(30, PAID_RATE), [True] * 5000, step=0.0001)
    times = [at for at, _ in started]
    assert _most_in_one_second(times) <= PAID_RATE
    assert (len(times) - 1) / (times[-1] - times[0]) >= 0.9 * PAID_RATE


def test_free_sends_go_on_beside_a_paid_broadcast() -> None:
    """A case notification during an urgent paid broadcast is not held up by it."""
    sends = [True] * 500 + [False] * 20
    started = _run(RollingWindows(30, PAID_RATE), sends, step=0.0001)
    paid_done = max(at for at, paid in started if paid)
    assert max(at for at, paid in started if not paid) <= paid_done + 0.01


def test_the_estimate_of_a_normal_announcement() -> None:
    plan = estimate(10_000, 2_000, RATES, urgent=False)
    assert not plan.paid and plan.stars == 0
    assert plan.seconds == pytest.approx(12_000 / 28)


def test_an_urgent_announcement_without_paid_broadcasts_goes_at_the_normal_rate() -> None:
    plan = estimate(10_000, 0, Rates(free=28.0), urgent=True)
    assert not plan.paid and plan.stars == 0 and plan.seconds == pytest.approx(10_000 / 28)


def test_an_urgent_paid_announcement_costs_a_tenth_of_a_star_per_message_above_30_a_second() -> None:
    plan = estimate(10_000, 500, RATES, urgent=True)
    assert plan.paid and plan.seconds == pytest.approx(10_500 / PAID_RATE_REACHED), "at the rate the bot reaches"
    shared = estimate(10_000, 500, Rates(free=28.0, paid=900.0, paid_reached=80.0), urgent=True)
    assert shared.seconds == pytest.approx(10_500 / 80) and shared.stars == plan.stars
    free = FREE_RATE * 10_000 // 900  # the 10,000 take 11.1 s: 333 of them are free
    assert free == 333 and plan.stars == Decimal("966.7")
    assert plan.stars == paid_cost(10_000, 900), "the messages ahead cost this one nothing"


def test_costs() -> None:
    assert paid_cost(0, PAID_RATE) == 0
    assert paid_cost(1000, PAID_RATE) == Decimal("97.0")  # one second: 30 free, 970 × 0.1
    assert paid_cost(30, 30) == 0 and paid_cost(100, 20) == 0, "at 30 a second or less, all are free"


def test_durations_are_rounded_up_and_said_in_the_staff_members_language() -> None:
    assert split_duration(0.2) == (0, 0, 1)
    assert split_duration(357.1) == (0, 5, 58)
    assert split_duration(3 * 3600 + 59.5) == (3, 1, 0)
    vi, en = get_translator("vi"), get_translator("en")
    assert duration(357.1, vi) == "5 phút 58 giây" and duration(357.1, en) == "5 min 58 s"
    assert duration(7300, vi) == "2 giờ 2 phút" and duration(12, en) == "12 s"

"""The office's figures (thống kê): how many cases came in, how they were handled, how fast, and
how satisfied citizens were, for a period of office-local dates; as tables, CSV, XLSX, a chart,
and the /thongke message.

What is counted (decisions written down so the figures can be checked by hand):

- The cohort is the cases CREATED between `start` and `end` inclusive, in the office's time zone.
  Every figure below, ratings included, is about those cases, so re-running a past period gives
  that period's cases with what has happened to them since.
- "Resolved" (đã giải quyết) means delivered (Đã trả kết quả). Refused cases are counted apart
  and are not in the on-time rate or the processing times.
- On time: delivered and the office-local date of `closed_at` is on or before `due_date`; early:
  strictly before it; late: after it. The on-time rate is on time (early included) / resolved.
- Processing time is counted in WORKING days with the office's calendar: the number of working
  days after the day of receipt up to and including the day of closing, so a case closed on the
  day it was received takes 0. A case filed on a weekend or holiday is taken as received on the
  next working day, as its due date is (`bot.workdays.due_date`).
- Overdue now: a case of the cohort that is still open (neither delivered nor refused) and whose
  due date is before today at `now` (the same rule as the ⚠️ flag on officers' lists).
- Satisfaction: the ratings of the cohort's cases; rate = (Rất hài lòng + Hài lòng) / all ratings.
- Feedback (góp ý, phản ánh) has no case, so it is counted by its own date in the period.

The national index — Quyết định 766/QĐ-TTg (23/6/2022), "Bộ chỉ số chỉ đạo, điều hành và đánh
giá chất lượng phục vụ người dân, doanh nghiệp trong thực hiện thủ tục hành chính, dịch vụ công
theo thời gian thực trên môi trường điện tử" — has five groups: Công khai, minh bạch; Tiến độ,
kết quả giải quyết; Số hóa hồ sơ; Cung cấp dịch vụ trực tuyến; Mức độ hài lòng. The bot computes
only what its own data allows, under the index's names (see `Report.indicators`); it knows nothing
of paper filings at the desk, publication of procedures, or digitised dossiers, and its numbers
are not the official score of the commune, which the national portal computes from all its cases.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.cases.due_dates import WorkCalendar, working_days_taken
from bot.cases.status import CaseStatus
from dialogs.catalog import Catalog, Text
from locales import N_
from storage.models import Case, Feedback, Rating

SCORES = (3, 2, 1)
SCORE_LABELS = {3: N_("Very satisfied"), 2: N_("Satisfied"), 1: N_("Not satisfied")}


# ----- the figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """A share between 0 and 1; None when there is nothing to divide by."""

    value: float | None

    @classmethod
    def of(cls, part: int, whole: int) -> Rate:
        return cls(part / whole if whole else None)


@dataclass(frozen=True)
class Days:
    """A number of working days (an average or a median); None when no case was resolved."""

    value: float | None


@dataclass
class Handling:
    """What happened to a group of cases: the whole cohort, one procedure, or one week."""

    total: int = 0
    by_status: dict[str, int] = field(default_factory=lambda: {status.value: 0 for status in CaseStatus})
    early: int = 0
    on_time: int = 0  # early ones included
    days: list[int] = field(default_factory=list)  # working days taken by each delivered case

    @property
    def delivered(self) -> int:
        return self.by_status[CaseStatus.DELIVERED]

    @property
    def refused(self) -> int:
        return self.by_status[CaseStatus.REFUSED]

    @property
    def open(self) -> int:
        return self.total - self.delivered - self.refused

    @property
    def late(self) -> int:
        return self.delivered - self.on_time

    @property
    def on_time_rate(self) -> Rate:
        return Rate.of(self.on_time, self.delivered)

    @property
    def average_days(self) -> Days:
        return Days(statistics.fmean(self.days) if self.days else None)

    @property
    def median_days(self) -> Days:
        return Days(float(statistics.median(self.days)) if self.days else None)


@dataclass
class ProcedureFigures(Handling):
    procedure_id: str = ""
    title: Text = field(default_factory=lambda: Text(vi="?"))
    short_title: Text | None = None
    working_days: int | None = None  # the time limit of the procedure file, to compare with


@dataclass
class WeekFigures(Handling):
    year: int = 0
    week: int = 0

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def dates(self) -> tuple[date, date]:
        """Its Monday and Sunday."""
        monday = date.fromisocalendar(self.year, self.week, 1)
        return monday, monday + timedelta(days=6)


@dataclass(frozen=True)
class Indicator:
    group: str  # message ids; their Vietnamese translations are the index's own names
    name: str
    value: Rate | Days
    note: str


@dataclass
class Report:
    start: date
    end: date
    now: datetime
    today: date
    cases: Handling
    by_procedure: list[ProcedureFigures]
    weeks: list[WeekFigures]
    overdue_now: int
    ratings: dict[int, int]
    feedback: int
    feedback_answered: int

    @property
    def ratings_total(self) -> int:
        return sum(self.ratings.values())

    @property
    def satisfaction_rate(self) -> Rate:
        return Rate.of(self.ratings[3] + self.ratings[2], self.ratings_total)

    @property
    def online_rate(self) -> Rate:
        """Every case the bot knows was filed through it, online; desk filings are not in its data."""
        return Rate.of(self.cases.total, self.cases.total)

    @property
    def indicators(self) -> list[Indicator]:
        # The Vietnamese names (the msgids' translations) and groups are those of QĐ 766/QĐ-TTg:
        # "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn" and "Thời gian giải quyết thủ tục hành chính trung
        # bình theo từng thủ tục hành chính" (group "Tiến độ, kết quả giải quyết"), "Tỷ lệ hài lòng
        # trong tiếp nhận, giải quyết thủ tục hành chính" (group "Mức độ hài lòng"), and the group
        # "Cung cấp dịch vụ trực tuyến". "Tỷ lệ hồ sơ nộp trực tuyến" is the name the indicator is
        # commonly given in provincial reports; its exact wording in the decision was not checked.
        # The index's satisfaction formula counts the cases not rated "unsatisfied"; the bot
        # divides by the ratings it received, since most citizens never rate.
        return [
            Indicator(GROUP_PROGRESS, N_("Share of cases resolved early or on time"), self.cases.on_time_rate,
                      N_("delivered on or before the due date / delivered")),
            Indicator(GROUP_PROGRESS, N_("Average time to resolve a case, by procedure"), self.cases.average_days,
                      N_("working days, all procedures together; by procedure in its own table")),
            Indicator(GROUP_ONLINE, N_("Share of cases filed online"), self.online_rate,
                      N_("only the cases filed through this bot; paper filings at the desk are not counted")),
            Indicator(GROUP_SATISFACTION, N_("Satisfaction rate in receiving and resolving cases"),
                      self.satisfaction_rate, N_("(very satisfied + satisfied) / ratings received")),
        ]


GROUP_PROGRESS = N_("Progress and results")
GROUP_ONLINE = N_("Online services")
GROUP_SATISFACTION = N_("Satisfaction")


MAX_PERIOD_YEARS = 2
"""The longest period a report covers: every case of the period is read and its working days
counted, which over many years would keep the bot busy for long, for a figure nobody needs."""


def period_too_long(start: date, end: date) -> bool:
    """Whether `start`–`end` (both included) is longer than MAX_PERIOD_YEARS; a period from
    29 February may end on 28 February."""
    year = start.year + MAX_PERIOD_YEARS
    first_beyond = date(year, 3, 1) if (start.month, start.day) == (2, 29) else start.replace(year=year)
    return end >= first_beyond


def local_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of the office's midnight opening `start` and the one closing `end`."""
    low = datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return low, high


def _count(figures: Handling, case: Case, closed: date | None, taken: int | None) -> None:
    figures.total += 1
    figures.by_status[case.status] = figures.by_status.get(case.status, 0) + 1
    if case.status == CaseStatus.DELIVERED and closed is not None and taken is not None:
        figures.days.append(taken)
        if closed <= case.due_date:
            figures.on_time += 1
        if closed < case.due_date:
            figures.early += 1


def _weeks(start: date, end: date) -> list[WeekFigures]:
    monday = start - timedelta(days=start.weekday())
    weeks = []
    while monday <= end:
        year, week, _ = monday.isocalendar()
        weeks.append(WeekFigures(year=year, week=week))
        monday += timedelta(days=7)
    return weeks


def compute_report(session: Session, catalog: Catalog, calendar: WorkCalendar, tz: ZoneInfo, start: date,
                   end: date, now: datetime) -> Report:
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    low, high = local_bounds(start, end, tz)
    cases = session.exec(select(Case).where(Case.created_at >= low, Case.created_at < high)
                         .order_by(Case.created_at, Case.id)).all()  # type: ignore[arg-type]
    today = now.astimezone(tz).date()
    total = Handling()
    procedures = {p.id: ProcedureFigures(procedure_id=p.id, title=p.title, short_title=p.short_title,
                                         working_days=p.processing.working_days) for p in catalog}
    weeks = {(w.year, w.week): w for w in _weeks(start, end)}
    overdue = 0
    for case in cases:
        created = case.created_at.astimezone(tz).date()
        closed = case.closed_at.astimezone(tz).date() if case.closed_at is not None else None
        taken = working_days_taken(calendar, created, closed) if closed is not None else None
        procedure = procedures.setdefault(case.procedure_id, ProcedureFigures(
            procedure_id=case.procedure_id, title=Text(vi=case.procedure_id)))
        year, week, _ = created.isocalendar()
        for figures in (total, procedure, weeks[(year, week)]):
            _count(figures, case, closed, taken)
        if not CaseStatus(case.status).is_closed and case.due_date < today:
            overdue += 1
    ratings = dict.fromkeys(SCORES, 0)
    scores = session.exec(select(Rating.score).join(Case, Case.id == Rating.case_id)  # type: ignore[arg-type]
                          .where(Case.created_at >= low, Case.created_at < high)).all()
    for score in scores:
        if score in ratings:
            ratings[score] += 1
    feedback = session.exec(select(Feedback).where(Feedback.created_at >= low, Feedback.created_at < high)).all()
    return Report(start=start, end=end, now=now, today=today, cases=total, by_procedure=list(procedures.values()),
                  weeks=list(weeks.values()), overdue_now=overdue, ratings=ratings, feedback=len(feedback),
                  feedback_answered=sum(1 for item in feedback if item.answered_at is not None))

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

import csv
import io
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal, format_percent
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.case_status import CaseStatus
from bot.staff import active_member
from bot.workdays import WorkCalendar
from dialogs.catalog import Catalog, Text
from dialogs.model import Reply
from locales import N_, Translator, get_translator
from storage.models import Case, Feedback, Rating

CLOSED = (CaseStatus.DELIVERED, CaseStatus.REFUSED)
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


def local_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of the office's midnight opening `start` and the one closing `end`."""
    low = datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return low, high


def reception_day(calendar: WorkCalendar, day: date) -> date:
    return day if calendar.is_working_day(day) else calendar.next_working_day(day)


def working_days_taken(calendar: WorkCalendar, received: date, closed: date) -> int:
    """Working days after the day of receipt up to and including the day of closing."""
    day, count = reception_day(calendar, received), 0
    while day < closed:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            count += 1
    return count


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
        if case.status not in CLOSED and case.due_date < today:
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


# ----- tables --------------------------------------------------------------------------------

Value = int | str | Rate | Days | None


@dataclass(frozen=True)
class Section:
    """One table of the report: a sheet of the XLSX file, a table in the terminal."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Value]]

    def dicts(self, render: Callable[[Value], object]) -> list[dict[str, object]]:
        return [dict(zip(self.columns, (render(value) for value in row), strict=True)) for row in self.rows]


def report_sections(report: Report, tr: Translator | None = None) -> list[Section]:
    tr = tr or get_translator("vi")
    _ = tr.gettext
    cases = report.cases
    summary = [
        [_("Cases filed"), cases.total],
        [_("Resolved (result delivered)"), cases.delivered],
        [_("… of which early"), cases.early],
        [_("… of which on time or early"), cases.on_time],
        [_("… of which late"), cases.late],
        [_("Refused"), cases.refused],
        [_("Still open"), cases.open],
        [_("Open and overdue now"), report.overdue_now],
        [_("On-time rate"), cases.on_time_rate],
        [_("Average processing time (working days)"), cases.average_days],
        [_("Median processing time (working days)"), cases.median_days],
        [_("Ratings received"), report.ratings_total],
        [_("Satisfaction rate"), report.satisfaction_rate],
        [_("Feedback received"), report.feedback],
        [_("… of which answered"), report.feedback_answered],
    ]
    statuses = [[_(status.label), cases.by_status[status]] for status in CaseStatus]
    procedures = [
        [p.title.get(tr.language), p.total, p.delivered, p.refused, p.open, p.on_time, p.late, p.on_time_rate,
         p.working_days, p.average_days, p.median_days]
        for p in report.by_procedure
    ]
    satisfaction = [[_(SCORE_LABELS[score]), report.ratings[score], Rate.of(report.ratings[score],
                                                                             report.ratings_total)]
                    for score in SCORES]
    weeks = [[w.label, w.total, w.delivered, w.on_time, w.on_time_rate] for w in report.weeks]
    indicators = [[_(i.name), i.value, _(i.group), _(i.note)] for i in report.indicators]
    return [
        Section("summary", _("Summary"), [_("Figure"), _("Value")], summary),
        Section("index", _("Index of QĐ 766"), [_("Indicator"), _("Value"), _("Group"), _("How it is computed")],
                indicators),
        Section("procedures", _("By procedure"),
                [_("Procedure"), _("Filed"), _("Delivered"), _("Refused"), _("Open"), _("On time"), _("Late"),
                 _("On-time rate"), _("Time limit (working days)"), _("Average (working days)"),
                 _("Median (working days)")], procedures),
        Section("statuses", _("By status"), [_("Status"), _("Cases")], statuses),
        Section("satisfaction", _("Satisfaction"), [_("Rating"), _("Ratings"), _("Share")], satisfaction),
        Section("weeks", _("By week"), [_("ISO week"), _("Filed"), _("Delivered"), _("On time"), _("On-time rate")],
                weeks),
    ]


def plain(value: Value) -> object:
    """A value for machines: rates in percent and days rounded, None as an empty cell."""
    if isinstance(value, Rate):
        return None if value.value is None else round(value.value * 100, 1)
    if isinstance(value, Days):
        return None if value.value is None else round(value.value, 2)
    return value


def text(value: Value) -> str:
    """A value for the terminal table."""
    if isinstance(value, Rate):
        return "—" if value.value is None else f"{value.value * 100:.1f}%"
    if isinstance(value, Days):
        return "—" if value.value is None else f"{value.value:.2f}"
    return "—" if value is None else str(value)


def report_rows(report: Report, tr: Translator | None = None) -> list[dict[str, object]]:
    """Every figure as one long table (section, row, column, value), as the CSV file holds it.
    Rates are in percent, times in working days, and an empty value means there was nothing to
    compute (no resolved case, no rating). Text cells (an indicator's group and definition) are
    left out: they describe figures and are in the other formats."""
    tr = tr or get_translator("vi")
    _ = tr.gettext
    rows: list[dict[str, object]] = []
    for section in report_sections(report, tr):
        for row in section.rows:
            label, *values = row
            for column, value in zip(section.columns[1:], values, strict=True):
                if isinstance(value, str):
                    continue
                rows.append({_("Section"): section.title, _("Row"): label, _("Column"): column,
                             _("Value"): plain(value), _("Unit"): _unit(value, tr)})
    return rows


def _unit(value: Value, tr: Translator) -> str:
    if isinstance(value, Rate):
        return "%"
    if isinstance(value, Days):
        return tr.gettext("working days")
    return ""


def report_csv(report: Report, tr: Translator | None = None) -> str:
    rows = report_rows(report, tr)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0].keys()), lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: "" if value is None else value for key, value in row.items()} for row in rows)
    return buffer.getvalue()


def sheet_title(title: str) -> str:
    """Excel forbids []:*?/\\ in sheet names and allows 31 characters."""
    for character in "[]:*?/\\":
        title = title.replace(character, "-")
    return title[:31]


def report_xlsx(report: Report, tr: Translator | None = None) -> bytes:
    from openpyxl import Workbook  # noqa: PLC0415 - only the CLI's xlsx format needs it
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    tr = tr or get_translator("vi")
    workbook = Workbook()
    workbook.remove(workbook.active)
    for section in report_sections(report, tr):
        sheet = workbook.create_sheet(sheet_title(section.title))
        sheet.append(section.columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in section.rows:
            sheet.append([_xlsx_value(value) for value in row])
            for cell, value in zip(sheet[sheet.max_row], row, strict=True):
                if isinstance(value, Rate):
                    cell.number_format = "0.0%"
                elif isinstance(value, Days):
                    cell.number_format = "0.00"
        for index, column in enumerate(section.columns, start=1):
            width = max([len(column)] + [len(text(row[index - 1])) for row in section.rows])
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 10), 60)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: Value) -> object:
    if isinstance(value, (Rate, Days)):
        return value.value
    return value


# ----- chart ---------------------------------------------------------------------------------


def report_chart(report: Report, tr: Translator | None = None) -> bytes:
    """Cases filed per ISO week (bars) and the on-time rate of each week's cases (line, right
    axis, 0–100%), as PNG bytes. Drawn on a bare Figure with the Agg canvas: no display and no
    pyplot global state, so the bot can draw from a worker thread."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415 - slow import, used rarely
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    tr = tr or get_translator("vi")
    _ = tr.gettext
    many = len(report.weeks) > 12  # a quarter or more: week numbers only, upright
    labels = [w.label if many else f"{w.label}\n{w.dates[0]:%d/%m}–{w.dates[1]:%d/%m}" for w in report.weeks]
    positions = list(range(len(labels)))
    figure = Figure(figsize=(max(8.0, min(16.0, 0.3 * len(labels))), 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bars = axes.bar(positions, [w.total for w in report.weeks], color="#4C78A8", label=_("Cases filed"))
    axes.bar_label(bars, labels=[str(w.total) if w.total or not many else "" for w in report.weeks], fontsize=8)
    axes.set_xticks(positions, labels, rotation=90 if many else 0, fontsize=7 if many else 8)
    axes.set_xlabel(_("ISO week"))
    axes.set_ylabel(_("Cases filed"))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(0, max([w.total for w in report.weeks] + [1]) * 1.2)
    rates = axes.twinx()
    values = [float("nan") if w.on_time_rate.value is None else w.on_time_rate.value * 100 for w in report.weeks]
    line = rates.plot(positions, values, color="#E45756", marker="o", label=_("On-time rate"))
    rates.set_ylim(0, 105)
    rates.yaxis.set_major_formatter(PercentFormatter(100))
    rates.set_ylabel(_("On-time rate (%)"))
    figure.legend(handles=[bars, *line], loc="lower center", ncol=2, fontsize=8, frameon=False)
    axes.set_title(_("Cases filed per week, {start} – {end}").format(start=tr.date(report.start),
                                                                      end=tr.date(report.end)), fontsize=10)
    figure.tight_layout(rect=(0, 0.06, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


# ----- the /thongke message ------------------------------------------------------------------


def _number(value: float, tr: Translator) -> str:
    return format_decimal(value, format="#,##0.#", locale=tr.language)


def _rate(rate: Rate, tr: Translator) -> str:
    return "—" if rate.value is None else format_percent(rate.value, format="#,##0.#%", locale=tr.language)


def _days(days: Days, tr: Translator) -> str:
    return "—" if days.value is None else _number(days.value, tr)


def report_message(report: Report, tr: Translator, office: str | None = None) -> str:
    """The figures as one Telegram message (HTML; every dynamic part escaped)."""
    _ = tr.gettext
    cases = report.cases
    period = f"{tr.date(report.start)} – {tr.date(report.end)}"
    lines = ["📊 " + _("<b>Figures of the one-stop desk</b>, {period}").format(period=escape(period))]
    if office:
        lines.append(escape(office))
    if cases.total == 0:
        lines += ["", escape(_("No case was filed through the bot in this period."))]
    else:
        lines += ["", _("Cases filed: <b>{n}</b>").format(n=cases.total)]
        lines += [f"• {escape(_(status.label))}: {cases.by_status[status]}" for status in CaseStatus
                  if cases.by_status[status]]
        lines += ["", escape(_("Of the {n} delivered: early {early}, on time {on_time}, late {late}").format(
            n=cases.delivered, early=cases.early, on_time=cases.on_time - cases.early, late=cases.late))]
        overdue = _("Open and overdue now: {n}").format(n=report.overdue_now)
        lines.append(("⚠️ " if report.overdue_now else "") + escape(overdue))
        lines.append(escape(_("Processing time: average {average}, median {median} working days").format(
            average=_days(cases.average_days, tr), median=_days(cases.median_days, tr))))
    if report.ratings_total:
        lines += ["", escape(_("Ratings: {n} — {details}; satisfaction rate {rate}").format(
            n=report.ratings_total, rate=_rate(report.satisfaction_rate, tr),
            details=", ".join(f"{_(SCORE_LABELS[s])} {report.ratings[s]}" for s in SCORES)))]
    else:
        lines += ["", escape(_("Ratings: none in this period"))]
    lines.append(escape(_("Feedback received: {n} (answered {answered})").format(
        n=report.feedback, answered=report.feedback_answered)))
    if cases.total:
        lines += ["", "<b>" + escape(_("Indicators of Decision 766/QĐ-TTg")) + "</b>"]
        for indicator in report.indicators:
            if isinstance(indicator.value, Rate):
                value = f"<b>{escape(_rate(indicator.value, tr))}</b>"
            else:
                value = f"<b>{escape(_days(indicator.value, tr))}</b> " + escape(
                    _("working days (all procedures together; each procedure below)"))
            lines.append(f"• {escape(_(indicator.name))}: {value}")
        lines += ["", "<b>" + escape(_("By procedure")) + "</b>"]
        for p in sorted(report.by_procedure, key=lambda p: -p.total):
            if not p.total:
                continue
            limit = "—" if p.working_days is None else _("same day") if p.working_days == 0 else \
                tr.ngettext("{n} working day", "{n} working days", p.working_days).format(n=p.working_days)
            if p.delivered:
                detail = _("{n} filed, {delivered} delivered, on time {rate}, average {days} working days").format(
                    n=p.total, delivered=p.delivered, rate=_rate(p.on_time_rate, tr), days=_days(p.average_days, tr))
            else:
                detail = _("{n} filed, none delivered yet").format(n=p.total)
            if p.refused:
                detail += ", " + _("{n} refused").format(n=p.refused)
            detail += "; " + _("time limit: {limit}").format(limit=limit)
            title = (p.short_title or p.title).get(tr.language)
            lines.append(f"• {escape(title)}: {escape(detail)}")
    return "\n".join(lines)


def month_start(day: date) -> date:
    return day.replace(day=1)


def parse_day(value: str) -> date | None:
    """2026-11-01 or 01/11/2026 (as people in Vietnam write dates)."""
    value = value.strip()
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError:
        return None


class Reports:
    """/thongke: the figures for the desk's staff (officers, office staff and admins alike, since
    the figures name no citizen)."""

    def __init__(self, db: Engine, catalog: Catalog, calendar: WorkCalendar, tz: ZoneInfo,
                 clock: Callable[[], datetime], office: str | None = None) -> None:
        self.db, self.catalog, self.calendar, self.tz, self.clock = db, catalog, calendar, tz, clock
        self.office = office

    def answer(self, telegram_id: int, args: list[str], language: str) -> list[Reply]:
        tr = get_translator(language)
        _ = tr.gettext
        now = self.clock()
        today = now.astimezone(self.tz).date()
        with Session(self.db) as session:
            if active_member(session, telegram_id) is None:
                return [Reply(escape(_("This command is for the staff of the one-stop desk.")))]
            period = self._period(args, today)
            if period is None:
                usage = _("Usage: /thongke for this month, or /thongke FROM TO with dates like {example}.").format(
                    example=f"{month_start(today).isoformat()} {today.isoformat()}")
                return [Reply(escape(usage))]
            report = compute_report(session, self.catalog, self.calendar, self.tz, *period, now)
        replies = [Reply(report_message(report, tr, self.office))]
        if report.cases.total:
            caption = _("Cases filed per week (bars) and on-time rate (line)")
            replies.append(Reply("", image=report_chart(report, tr), image_caption=escape(caption)))
        return replies

    @staticmethod
    def _period(args: list[str], today: date) -> tuple[date, date] | None:
        if not args:
            return month_start(today), today
        if len(args) > 2:
            return None
        days = [parse_day(arg) for arg in args]
        if any(day is None for day in days):
            return None
        start = days[0]
        end = days[1] if len(days) == 2 else today
        assert start is not None and end is not None
        return (start, end) if start <= end else None

"""/thongke: the figures as one message, with the chart, for the desk's staff."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.numbers import format_percent
from sqlalchemy import Engine
from sqlmodel import Session

from bot.cases.due_dates import WorkCalendar
from bot.cases.status import CaseStatus
from bot.reports.chart import report_chart
from bot.reports.figures import (MAX_PERIOD_YEARS, SCORE_LABELS, SCORES, Days, Rate, Report, compute_report,
                                 period_too_long)
from bot.staff.permissions import active_member, may_see_figures
from dialogs.catalog import Catalog
from dialogs.output import Attachment, Reply, Rich
from locales import Translator, get_translator


def _rate(rate: Rate, tr: Translator) -> str:
    return "—" if rate.value is None else format_percent(rate.value, format="#,##0.#%", locale=tr.language)


def _days(days: Days, tr: Translator) -> str:
    return "—" if days.value is None else tr.number(days.value)


def report_message(report: Report, tr: Translator, office: str | None = None) -> Rich:
    """The figures as one chat message."""
    _ = tr.gettext
    cases = report.cases
    period = f"{tr.date(report.start)} – {tr.date(report.end)}"
    lines = [Rich.of("📊 " + _("**Figures of the one-stop desk**, {period}"), period=period)]
    if office:
        lines.append(Rich.plain(office))
    if cases.total == 0:
        lines += [Rich(), Rich.plain(_("No case was filed through the bot in this period."))]
    else:
        lines += [Rich(), Rich.of(_("Cases filed: **{n}**"), n=cases.total)]
        lines += [Rich.plain(f"• {_(status.label)}: {cases.by_status[status]}") for status in CaseStatus
                  if cases.by_status[status]]
        lines += [Rich(), Rich.plain(_("Of the {n} delivered: early {early}, on time {on_time}, late {late}").format(
            n=cases.delivered, early=cases.early, on_time=cases.on_time - cases.early, late=cases.late))]
        overdue = _("Open and overdue now: {n}").format(n=report.overdue_now)
        lines.append(Rich.plain(("⚠️ " if report.overdue_now else "") + overdue))
        lines.append(Rich.plain(_("Processing time: average {average}, median {median} working days").format(
            average=_days(cases.average_days, tr), median=_days(cases.median_days, tr))))
    if report.ratings_total:
        lines += [Rich(), Rich.plain(_("Ratings: {n} — {details}; satisfaction rate {rate}").format(
            n=report.ratings_total, rate=_rate(report.satisfaction_rate, tr),
            details=", ".join(f"{_(SCORE_LABELS[s])} {report.ratings[s]}" for s in SCORES)))]
    else:
        lines += [Rich(), Rich.plain(_("Ratings: none in this period"))]
    lines.append(Rich.plain(_("Feedback received: {n} (answered {answered})").format(
        n=report.feedback, answered=report.feedback_answered)))
    if cases.total:
        lines += [Rich(), Rich.bold(_("Indicators of Decision 766/QĐ-TTg"))]
        for indicator in report.indicators:
            if isinstance(indicator.value, Rate):
                value = Rich.bold(_rate(indicator.value, tr))
            else:
                value = Rich.bold(_days(indicator.value, tr)) + " " + _(
                    "working days (all procedures together; each procedure below)")
            lines.append(f"• {_(indicator.name)}: " + value)
        lines += [Rich(), Rich.bold(_("By procedure"))]
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
            lines.append(Rich.plain(f"• {title}: {detail}"))
    return Rich.join("\n", lines)


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
            if not may_see_figures(active_member(session, telegram_id)):
                return [Reply(Rich.plain(_("This command is for the staff of the one-stop desk.")))]
            period = self._period(args, today)
            if period is None:
                usage = _("Usage: /thongke for this month, or /thongke FROM TO with dates like {example}.").format(
                    example=f"{month_start(today).isoformat()} {today.isoformat()}")
                return [Reply(Rich.plain(usage))]
            if period_too_long(*period):
                text = tr.ngettext("A period can be at most {n} year long; {start} – {end} is longer. Please ask "
                                   "for a shorter one, for example /thongke {example}.",
                                   "A period can be at most {n} years long; {start} – {end} is longer. Please ask "
                                   "for a shorter one, for example /thongke {example}.", MAX_PERIOD_YEARS)
                example = f"{period[1].replace(day=1, month=1).isoformat()} {period[1].isoformat()}"
                return [Reply(Rich.plain(text.format(n=MAX_PERIOD_YEARS, start=tr.date(period[0]),
                                                     end=tr.date(period[1]), example=example)))]
            report = compute_report(session, self.catalog, self.calendar, self.tz, *period, now)
        replies = [Reply(report_message(report, tr, self.office))]
        if report.cases.total:
            caption = Rich.plain(_("Cases filed per week (bars) and on-time rate (line)"))
            chart = Attachment("photo", caption, data=report_chart(report, tr), file_name="thongke.png")
            replies.append(Reply(attachments=(chart,)))
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

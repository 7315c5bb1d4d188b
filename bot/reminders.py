"""Scheduled notices that keep the desk from being late: a morning digest of the cases due today
or overdue, and a reminder when a case has only a few working hours left.

Everything is computed from the database and the clock passed in, and every notice is recorded
as a `JobRun` row in the same transaction that queues it, so `run_jobs` may run every minute,
from the bot and from cron at once, across restarts, and still send each notice exactly once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot import outbox
from bot.case_cards import is_overdue, procedure_title, status_label
from bot.case_status import CaseStatus
from bot.settings import Settings
from bot.staff import Role
from bot.workdays import WorkCalendar
from bot.workflow import Action, CaseWorkflow, officer_payload
from dialogs.catalog import Catalog
from dialogs.model import Button, Reply
from locales import Translator, get_translator
from storage.db import transaction
from storage.models import Case, JobRun, StaffMember

__all__ = ["JobReport", "digest", "is_overdue", "reminder", "run_jobs", "working_time_left"]

CLOSED = (CaseStatus.DELIVERED, CaseStatus.REFUSED)
# Only these wait on the office: needs_more waits on the citizen, ready on the pickup.
REMINDED = (CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS)
NOTIFIED_ROLES = (Role.OFFICER, Role.ADMIN)
# Keeps a digest well under Telegram's 4096 characters; the rest is one /hoso away.
DIGEST_LIMIT = 20
BUTTONS_PER_ROW = 3


@dataclass(frozen=True)
class JobReport:
    """How many messages one round queued, for the CLI and the logs."""

    digests: int = 0
    reminders: int = 0


def run_jobs(db: Engine, catalog: Catalog, settings: Settings, calendar: WorkCalendar, now: datetime) -> JobReport:
    """Queue whatever digests and reminders are due at `now` and have not been queued before."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(settings.tz)
    digests = 0
    if calendar.is_working_day(local.date()) and local.time() >= settings.digest_time:
        digests = _queue_digests(db, catalog, local.date(), now)
    return JobReport(digests=digests, reminders=_queue_reminders(db, catalog, settings, calendar, now))


# ----- morning digest ------------------------------------------------------------------------


def _queue_digests(db: Engine, catalog: Catalog, today: date, now: datetime) -> int:
    with Session(db) as session:
        members = _notified_staff(session)
    return sum(_queue_digest(db, catalog, member, today, now) for member in members)


def _queue_digest(db: Engine, catalog: Catalog, member: StaffMember, today: date, now: datetime) -> bool:
    """Mark the member's day done even when nothing is due: an empty digest is only noise."""
    with transaction(db) as session:
        if not _claim(session, f"digest:{member.id}:{today.isoformat()}", now):
            return False
        cases = _due_cases(session, member, today)
        if not cases:
            return False
        tr = get_translator(CaseWorkflow.language_of(session, member.telegram_id))
        outbox.enqueue(session, member.telegram_id, outbox.text_payload(digest(cases, catalog, tr, today)),
                       now=now, priority=outbox.BULK_PRIORITY)
        return True


def _due_cases(session: Session, member: StaffMember, today: date) -> list[Case]:
    query = (select(Case).where(col(Case.status).not_in(CLOSED), Case.due_date <= today)
             .order_by(col(Case.due_date), col(Case.id)))
    if member.role != Role.ADMIN:
        query = query.where(col(Case.field_id).in_(member.fields))
    return list(session.exec(query).all())


def digest(cases: Sequence[Case], catalog: Catalog, tr: Translator, today: date) -> Reply:
    """One line per case, oldest due first, with a button to open each listed case."""
    _ = tr.gettext
    heading = tr.ngettext("📋 <b>{date}</b>: {n} open case is due today or overdue.",
                          "📋 <b>{date}</b>: {n} open cases are due today or overdue.", len(cases))
    lines = [heading.format(date=escape(tr.weekday_date(today)), n=len(cases))]
    shown = cases[:DIGEST_LIMIT]
    for case in shown:
        flag = " " + _("⚠️ OVERDUE") if is_overdue(case, today) else ""
        lines.append(f"• <b>{escape(case.code)}</b> — {escape(_short_title(catalog, case, tr))} — "
                     f"{escape(case.applicant_name)} — {escape(tr.date(case.due_date))} — "
                     f"{escape(status_label(case.status, tr))}{flag}")
    if len(cases) > len(shown):
        lines.append(_("…and {n} more: see /hoso.").format(n=len(cases) - len(shown)))
    buttons = [Button(case.code, officer_payload(case, Action.VIEW)) for case in shown]
    rows = tuple(tuple(buttons[i:i + BUTTONS_PER_ROW]) for i in range(0, len(buttons), BUTTONS_PER_ROW))
    return Reply("\n".join(lines), rows)


def _short_title(catalog: Catalog, case: Case, tr: Translator) -> str:
    procedure = catalog.get(case.procedure_id)
    return (procedure.short_title or procedure.title).get(tr.language) if procedure else case.procedure_id


# ----- reminders before a case goes overdue --------------------------------------------------


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


def _queue_reminders(db: Engine, catalog: Catalog, settings: Settings, calendar: WorkCalendar,
                     now: datetime) -> int:
    today = now.astimezone(settings.tz).date()
    limit = timedelta(hours=settings.reminder_working_hours)
    with Session(db) as session:
        cases = session.exec(select(Case).where(col(Case.status).in_(REMINDED), Case.due_date >= today)).all()
    queued = 0
    for case in cases:
        left = working_time_left(now, case.due_date, settings, calendar)
        if timedelta(0) < left <= limit:
            queued += _queue_reminder(db, catalog, case, left, now)
    return queued


def _queue_reminder(db: Engine, catalog: Catalog, case: Case, left: timedelta, now: datetime) -> int:
    """Once per case and due date: a due date moved by a request for more documents earns a new one."""
    with transaction(db) as session:
        if not _claim(session, f"remind:{case.id}:{case.due_date.isoformat()}", now):
            return 0
        recipients = _reminder_recipients(session, case)
        for member in recipients:
            tr = get_translator(CaseWorkflow.language_of(session, member.telegram_id))
            outbox.enqueue(session, member.telegram_id, outbox.text_payload(reminder(case, catalog, tr, left)), now=now)
        return len(recipients)


def _reminder_recipients(session: Session, case: Case) -> list[StaffMember]:
    """The officer who took the case; before anyone has (or if they left), everyone of its field."""
    assigned = session.get(StaffMember, case.officer_id) if case.officer_id is not None else None
    if assigned is not None and assigned.active:
        return [assigned]
    return [member for member in _notified_staff(session) if case.field_id in member.fields]


def reminder(case: Case, catalog: Catalog, tr: Translator, left: timedelta) -> Reply:
    """Hours rounded up, so '1 hour left' never means 'already too late'."""
    _ = tr.gettext
    hours = math.ceil(left / timedelta(hours=1))
    lines = [
        tr.ngettext("⏰ Case <b>{code}</b> is due soon: about {n} working hour left.",
                    "⏰ Case <b>{code}</b> is due soon: about {n} working hours left.", hours)
        .format(code=escape(case.code), n=hours),
        _("Procedure: {procedure}").format(procedure=escape(procedure_title(catalog, case, tr))),
        _("Applicant: {name}").format(name=escape(case.applicant_name)),
        _("Due: <b>{date}</b>").format(date=escape(tr.weekday_date(case.due_date))),
    ]
    return Reply("\n".join(lines), ((Button(_("📂 Open the case"), officer_payload(case, Action.VIEW)),),))


# ----- shared ----------------------------------------------------------------------------------


def _notified_staff(session: Session) -> list[StaffMember]:
    query = (select(StaffMember).where(col(StaffMember.active).is_(True), col(StaffMember.role).in_(NOTIFIED_ROLES))
             .order_by(col(StaffMember.id)))
    return list(session.exec(query).all())


def _claim(session: Session, key: str, now: datetime) -> bool:
    """True for the one transaction that records `key`; the primary key settles concurrent runs.
    The read first spares the database a failing insert every minute."""
    if session.get(JobRun, key) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(JobRun(key=key, at=now))
    except IntegrityError:
        return False
    return True

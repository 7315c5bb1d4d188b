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

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.cases.cards import is_overdue, officer_button, procedure_title, short_title, status_of
from bot.cases.due_dates import WorkCalendar, working_time_left
from bot.cases.presses import OfficerAction
from bot.cases.status import OPEN, CaseStatus
from bot.conversation.turns import language_of
from bot.settings import Settings
from bot.staff.permissions import Role, notified_staff
from dialogs.catalog import Catalog
from dialogs.output import Reply, Rich
from locales import Translator, get_translator
from storage.db import transaction
from storage.models import Case, JobRun, StaffMember
from storage.outbox import BULK_PRIORITY, enqueue

# Only these wait on the office: a supplement waits on the citizen, a ready result on the pickup.
REMINDED = (CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS)
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
    if settings.morning_digest and calendar.is_working_day(local.date()) and local.time() >= settings.digest_time:
        digests = _queue_digests(db, catalog, local.date(), now)
    return JobReport(digests=digests, reminders=_queue_reminders(db, catalog, settings, calendar, now))


# ----- morning digest ------------------------------------------------------------------------


def _queue_digests(db: Engine, catalog: Catalog, today: date, now: datetime) -> int:
    with Session(db) as session:
        members = notified_staff(session)
    return sum(_queue_digest(db, catalog, member, today, now) for member in members)


def _queue_digest(db: Engine, catalog: Catalog, member: StaffMember, today: date, now: datetime) -> bool:
    """Mark the member's day done even when nothing is due: an empty digest is only noise."""
    with transaction(db) as session:
        if not _claim(session, f"digest:{member.id}:{today.isoformat()}", now):
            return False
        cases = _due_cases(session, member, today)
        if not cases:
            return False
        tr = get_translator(language_of(session, member.telegram_id))
        enqueue(session, member.telegram_id, digest(cases, catalog, tr, today), now=now, priority=BULK_PRIORITY)
        return True


def _due_cases(session: Session, member: StaffMember, today: date) -> list[Case]:
    query = (select(Case).where(col(Case.status).in_(OPEN), Case.due_date <= today)
             .order_by(col(Case.due_date), col(Case.id)))
    if member.role != Role.ADMIN:
        query = query.where(col(Case.field_id).in_(member.fields))
    return list(session.exec(query).all())


def digest(cases: Sequence[Case], catalog: Catalog, tr: Translator, today: date) -> Reply:
    """One line per case, oldest due first, with a button to open each listed case."""
    _ = tr.gettext
    heading = tr.ngettext("📋 **{date}**: {n} open case is due today or overdue.",
                          "📋 **{date}**: {n} open cases are due today or overdue.", len(cases))
    lines = [Rich.of(heading, date=tr.weekday_date(today), n=len(cases))]
    shown = cases[:DIGEST_LIMIT]
    for case in shown:
        flag = " " + _("⚠️ OVERDUE") if is_overdue(case, today) else ""
        lines.append("• " + Rich.bold(case.code) + f" — {short_title(catalog, case, tr)} — {case.applicant_name} — "
                     f"{tr.date(case.due_date)} — {status_of(case).shown(tr)}{flag}")
    if len(cases) > len(shown):
        lines.append(Rich.plain(_("…and {n} more: see /hoso.").format(n=len(cases) - len(shown))))
    buttons = [officer_button(case, OfficerAction.VIEW, case.code) for case in shown]
    rows = tuple(tuple(buttons[i:i + BUTTONS_PER_ROW]) for i in range(0, len(buttons), BUTTONS_PER_ROW))
    return Reply(Rich.join("\n", lines), rows)


# ----- reminders before a case goes overdue --------------------------------------------------


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
            tr = get_translator(language_of(session, member.telegram_id))
            enqueue(session, member.telegram_id, reminder(case, catalog, tr, left), now=now)
        return len(recipients)


def _reminder_recipients(session: Session, case: Case) -> list[StaffMember]:
    """The officer who took the case; before anyone has (or if they left), everyone of its field."""
    assigned = session.get(StaffMember, case.officer_id) if case.officer_id is not None else None
    if assigned is not None and assigned.active:
        return [assigned]
    return [member for member in notified_staff(session) if case.field_id in member.fields]


def reminder(case: Case, catalog: Catalog, tr: Translator, left: timedelta) -> Reply:
    """Hours rounded up, so '1 hour left' never means 'already too late'."""
    _ = tr.gettext
    hours = math.ceil(left / timedelta(hours=1))
    lines = [
        Rich.of(tr.ngettext("⏰ Case **{code}** is due soon: about {n} working hour left.",
                            "⏰ Case **{code}** is due soon: about {n} working hours left.", hours),
                code=case.code, n=hours),
        Rich.plain(_("Procedure: {procedure}").format(procedure=procedure_title(catalog, case, tr))),
        Rich.plain(_("Applicant: {name}").format(name=case.applicant_name)),
        Rich.of(_("Due: **{date}**"), date=tr.weekday_date(case.due_date)),
    ]
    return Reply(Rich.join("\n", lines), ((officer_button(case, OfficerAction.VIEW, _("📂 Open the case")),),))


# ----- shared ----------------------------------------------------------------------------------


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

"""The desk is never late: morning digests and due-date reminders, queued exactly once whatever
the clock does, tested at the database level with a controlled `now`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, update
from sqlmodel import select

from bot.cases.cards import is_overdue
from bot.cases.due_dates import working_time_left
from bot.cases.presses import OfficerAction, OfficerPress
from bot.cases.reminders import JobReport, run_jobs
from dialogs.output import Reply, Rich
from handlers.telegram.render import html
from bot.settings import Settings
from bot.cases.due_dates import WorkCalendar
from dialogs.catalog import load_catalog
from locales import Translator, get_translator
from storage.db import make_engine, transaction, upgrade
from storage.models import Case, ChatSession, JobRun, OutboxMessage, StaffMember
from tests.support.office import motcua

CATALOG = load_catalog()
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
VI, EN = get_translator("vi"), get_translator("en")

HO_TICH_OFFICER = 601  # Vietnamese (no language chosen)
CHUNG_THUC_OFFICER = 602  # chose English
ADMIN = 603
STAFF = 604
GONE = 605  # removed officer of ho-tich
IDLE_OFFICER = 606  # a field with no cases

TUESDAY = date(2026, 12, 1)
MONDAY, FRIDAY = date(2026, 11, 30), date(2026, 11, 27)
WEDNESDAY, NEXT_FRIDAY, NEXT_MONDAY = date(2026, 12, 2), date(2026, 12, 4), date(2026, 12, 7)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment in the office's zone, as the bot's clock gives it (in UTC)."""
    return datetime.combine(day, time(hour, minute), tzinfo=TZ).astimezone(UTC)


def settings(url: str) -> Settings:
    """Every value the jobs depend on is spelled out, so no MOTCUA_ variable of the shell leaks in."""
    return Settings(_env_file=None, database_url=url, timezone="Asia/Ho_Chi_Minh",  # type: ignore[call-arg]
                    digest_time=time(7, 30), office_opens=time(7, 30), office_closes=time(17, 0),
                    reminder_working_hours=4)


def hours_left(tr: Translator, code: str, n: int) -> str:
    return html(Rich.of(tr.ngettext("⏰ Case **{code}** is due soon: about {n} working hour left.",
                                    "⏰ Case **{code}** is due soon: about {n} working hours left.", n), code=code, n=n))


@dataclass
class Desk:
    db: Engine
    settings: Settings
    calendar: WorkCalendar
    staff: dict[int, int]  # telegram id -> staff id
    cases: dict[str, Case]

    def run(self, now: datetime) -> JobReport:
        return run_jobs(self.db, CATALOG, self.settings, self.calendar, now)

    def messages(self) -> list[OutboxMessage]:
        with transaction(self.db) as session:
            return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())

    def to(self, telegram_id: int) -> list[str]:
        return [html(Reply.from_json(m.payload).text) for m in self.messages() if m.chat_id == telegram_id]


def add_case(session: Any, code: str, procedure_id: str, status: str, due: date, *, name: str,
             officer_id: int | None = None) -> Case:
    procedure = CATALOG[procedure_id]
    case = Case(code=code, procedure_id=procedure_id, field_id=procedure.field.id, chat_id=9000 + len(code),
                status=status, applicant_name=name, applicant_data={}, language="vi",
                created_at=at(due - timedelta(days=10), 9), due_date=due, officer_id=officer_id)
    session.add(case)
    session.flush()
    return case


@pytest.fixture
def empty_desk(database_url: str) -> Desk:
    upgrade(database_url)
    db = make_engine(database_url)
    staff: dict[int, int] = {}
    with transaction(db) as session:
        for telegram_id, role, fields, active in (
            (HO_TICH_OFFICER, "officer", ["ho-tich"], True),
            (CHUNG_THUC_OFFICER, "officer", ["chung-thuc"], True),
            (ADMIN, "admin", ["chung-thuc"], True),
            (STAFF, "staff", ["ho-tich", "chung-thuc"], True),
            (GONE, "officer", ["ho-tich"], False),
            (IDLE_OFFICER, "officer", ["nguoi-khuyet-tat"], True),
        ):
            member = StaffMember(telegram_id=telegram_id, name=f"Cán bộ {telegram_id}", role=role, fields=fields,
                                 active=active)
            session.add(member)
            session.flush()
            staff[telegram_id] = member.id or 0
        session.add(ChatSession(chat_id=CHUNG_THUC_OFFICER, language="en"))
    calendar = WorkCalendar(extra_holidays=frozenset({date(2026, 12, 3)}))
    return Desk(db, settings(database_url), calendar, staff, {})


@pytest.fixture
def desk(empty_desk: Desk) -> Desk:
    """Cases due on either side of Tuesday 1 December 2026, in every status."""
    officer = empty_desk.staff[HO_TICH_OFFICER]
    with transaction(empty_desk.db) as session:
        for code, procedure_id, status, due, officer_id in (
            ("HS-1", "khai-sinh", "submitted", MONDAY, None),
            ("HS-2", "ket-hon", "in_progress", TUESDAY, officer),
            ("HS-3", "khai-tu", "submitted", WEDNESDAY, None),
            ("HS-4", "khai-sinh", "submitted", NEXT_FRIDAY, None),
            ("HS-5", "khai-sinh", "delivered", MONDAY, officer),
            ("HS-6", "chung-thuc-ban-sao", "awaiting_supplement", TUESDAY, None),
            ("HS-7", "chung-thuc-ban-sao", "ready", FRIDAY, None),
            ("HS-8", "chung-thuc-ban-sao", "refused", TUESDAY, None),
            ("HS-9", "chung-thuc-tu-choi-di-san", "submitted", TUESDAY, None),
        ):
            empty_desk.cases[code] = add_case(session, code, procedure_id, status, due, officer_id=officer_id,
                                              name=f"Người nộp {code}")
    return empty_desk


def codes_in(text: str) -> list[str]:
    return [line.split("</b>")[0].removeprefix("• <b>") for line in text.splitlines() if line.startswith("• <b>")]


def line_of(text: str, code: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"• <b>{code}</b>"))


# ----- morning digest ------------------------------------------------------------------------


def test_no_digest_before_digest_time(desk: Desk) -> None:
    assert desk.run(at(TUESDAY, 7, 29)) == JobReport(digests=0, reminders=0)
    assert desk.messages() == []


def test_each_officer_gets_the_open_cases_of_their_fields_due_today_or_overdue(desk: Desk) -> None:
    assert desk.run(at(TUESDAY, 7, 35)) == JobReport(digests=3, reminders=0)

    (ho_tich,) = desk.to(HO_TICH_OFFICER)
    assert codes_in(ho_tich) == ["HS-1", "HS-2"]
    overdue = line_of(ho_tich, "HS-1")
    for part in ("Khai sinh", "Người nộp HS-1", "30/11/2026", VI.gettext("Submitted"), VI.gettext("⚠️ OVERDUE")):
        assert part in overdue
    due_today = line_of(ho_tich, "HS-2")
    for part in ("Kết hôn", "Người nộp HS-2", "01/12/2026", VI.gettext("In progress")):
        assert part in due_today
    assert VI.gettext("⚠️ OVERDUE") not in due_today

    (chung_thuc,) = desk.to(CHUNG_THUC_OFFICER)
    assert codes_in(chung_thuc) == ["HS-7", "HS-6", "HS-9"]
    assert "Certified copies" in line_of(chung_thuc, "HS-7") and "Nov 27, 2026" in line_of(chung_thuc, "HS-7")
    assert EN.gettext("Result ready for pickup") in line_of(chung_thuc, "HS-7")
    assert "⚠️ OVERDUE" in line_of(chung_thuc, "HS-7")

    (admin,) = desk.to(ADMIN)
    assert codes_in(admin) == ["HS-7", "HS-1", "HS-2", "HS-6", "HS-9"]

    assert desk.to(STAFF) == desk.to(GONE) == desk.to(IDLE_OFFICER) == []
    buttons = desk.messages()[0].payload["buttons"]
    case = desk.cases["HS-1"]
    assert buttons[0][0] == ["HS-1", OfficerPress(case.id, case.version, OfficerAction.VIEW).encode()]


def test_a_digest_is_sent_once_a_day_and_again_the_next_working_day(desk: Desk) -> None:
    assert desk.run(at(TUESDAY, 7, 35)).digests == 3
    assert desk.run(at(TUESDAY, 7, 36)).digests == 0
    assert desk.run(at(TUESDAY, 12, 0)).digests == 0
    assert len(desk.messages()) == 3

    assert desk.run(at(WEDNESDAY, 7, 30)).digests == 3
    (_, wednesday) = desk.to(HO_TICH_OFFICER)
    assert codes_in(wednesday) == ["HS-1", "HS-2", "HS-3"]


def test_an_officer_with_nothing_due_gets_no_digest_but_the_day_is_done(desk: Desk) -> None:
    desk.run(at(TUESDAY, 7, 35))
    assert desk.to(IDLE_OFFICER) == []
    with transaction(desk.db) as session:
        assert session.get(JobRun, f"digest:{desk.staff[IDLE_OFFICER]}:2026-12-01") is not None


def test_an_office_that_turned_the_digest_off_gets_none_but_still_gets_reminders(desk: Desk) -> None:
    desk.settings = desk.settings.model_copy(update={"morning_digest": False})
    assert desk.run(at(TUESDAY, 7, 35)) == JobReport(digests=0, reminders=0)
    assert desk.run(at(TUESDAY, 14)) == JobReport(digests=0, reminders=3)


def test_no_digest_on_weekends_and_holidays(desk: Desk) -> None:
    assert desk.run(at(date(2026, 12, 5), 8)).digests == 0  # Saturday
    assert desk.run(at(date(2026, 12, 3), 8)).digests == 0  # configured day off
    assert desk.run(at(date(2026, 9, 2), 8)).digests == 0  # Quốc khánh
    assert desk.messages() == []


def test_overdue_means_open_and_past_its_due_date(desk: Desk) -> None:
    assert is_overdue(desk.cases["HS-1"], TUESDAY)
    assert not is_overdue(desk.cases["HS-2"], TUESDAY)
    assert not is_overdue(desk.cases["HS-5"], TUESDAY)


# ----- reminders -----------------------------------------------------------------------------


@pytest.fixture
def reminders_only(desk: Desk) -> Desk:
    """The same desk with the digest pushed to the end of the day, to see reminders alone."""
    desk.settings = desk.settings.model_copy(update={"digest_time": time(23, 59)})
    return desk


def test_working_time_counts_office_hours_of_working_days_only(empty_desk: Desk) -> None:
    def left(now: datetime, due: date) -> timedelta:
        return working_time_left(now, due, empty_desk.settings, empty_desk.calendar)

    assert left(at(TUESDAY, 14), TUESDAY) == timedelta(hours=3)
    assert left(at(TUESDAY, 6), TUESDAY) == timedelta(hours=9, minutes=30)
    assert left(at(TUESDAY, 17, 30), TUESDAY) == timedelta(0)
    assert left(at(TUESDAY, 9), WEDNESDAY) == timedelta(hours=8 + 9.5)
    assert left(at(NEXT_FRIDAY, 16), NEXT_MONDAY) == timedelta(hours=1 + 9.5)
    assert left(at(date(2026, 12, 5), 10), NEXT_MONDAY) == timedelta(hours=9.5)
    assert left(at(WEDNESDAY, 16), NEXT_FRIDAY) == timedelta(hours=1 + 9.5)  # Thursday is a day off
    assert left(at(TUESDAY, 14), MONDAY) == timedelta(0)


def test_a_reminder_goes_to_the_assigned_officer_when_few_working_hours_are_left(reminders_only: Desk) -> None:
    desk = reminders_only
    assert desk.run(at(TUESDAY, 9)).reminders == 0
    report = desk.run(at(TUESDAY, 14))
    assert report == JobReport(digests=0, reminders=3)

    (text,) = desk.to(HO_TICH_OFFICER)
    case = desk.cases["HS-2"]
    assert f"<b>{case.code}</b>" in text and "Người nộp HS-2" in text and "Đăng ký kết hôn" in text
    assert hours_left(VI, "HS-2", 3) in text
    assert "01/12/2026" in text
    (message,) = [m for m in desk.messages() if m.chat_id == HO_TICH_OFFICER]
    assert message.payload["buttons"] == [[[VI.gettext("📂 Open the case"),
                                           OfficerPress(case.id, case.version, OfficerAction.VIEW).encode()]]]
    assert desk.to(GONE) == desk.to(STAFF) == []


def test_an_unassigned_case_reminds_every_officer_and_admin_of_its_field_in_their_language(reminders_only: Desk) -> None:
    desk = reminders_only
    desk.run(at(TUESDAY, 14))
    (english,) = desk.to(CHUNG_THUC_OFFICER)
    (vietnamese,) = desk.to(ADMIN)
    assert "HS-9" in english and "Certifying a document refusing an inheritance" in english
    assert hours_left(EN, "HS-9", 3) in english and "Dec 1, 2026" in english
    assert EN.gettext("Applicant: {name}").format(name="Người nộp HS-9") in english
    assert "HS-9" in vietnamese and "Chứng thực văn bản từ chối nhận di sản" in vietnamese
    assert "01/12/2026" in vietnamese


def test_reminders_are_sent_once_per_case_and_due_date(reminders_only: Desk) -> None:
    desk = reminders_only
    assert desk.run(at(TUESDAY, 14)).reminders == 3
    assert desk.run(at(TUESDAY, 14, 1)).reminders == 0
    assert desk.run(at(TUESDAY, 16, 30)).reminders == 0

    with transaction(desk.db) as session:
        session.execute(update(Case).where(Case.code == "HS-2").values(due_date=WEDNESDAY))
    assert desk.run(at(WEDNESDAY, 14)).reminders == 2  # HS-2 again, and HS-3 (unassigned, ho-tich)
    assert len(desk.to(HO_TICH_OFFICER)) == 3


def test_no_reminder_for_cases_waiting_on_the_citizen_closed_or_already_overdue(reminders_only: Desk) -> None:
    desk = reminders_only
    desk.run(at(TUESDAY, 14))
    reminded = " ".join(html(Reply.from_json(m.payload).text) for m in desk.messages())
    for code in ("HS-1", "HS-5", "HS-6", "HS-7", "HS-8"):
        assert f"<b>{code}</b>" not in reminded


def test_over_a_weekend_only_office_hours_count(reminders_only: Desk) -> None:
    desk = reminders_only
    with transaction(desk.db) as session:
        add_case(session, "HS-10", "khai-tu", "submitted", NEXT_MONDAY, name="Người nộp HS-10")
    assert desk.run(at(NEXT_FRIDAY, 16)).reminders == 1  # HS-4, due today; HS-10 has 1 h + 9.5 h > 4 h
    (friday,) = desk.to(HO_TICH_OFFICER)
    assert hours_left(VI, "HS-4", 1) in friday

    desk.settings = desk.settings.model_copy(update={"reminder_working_hours": 12})
    assert desk.run(at(NEXT_FRIDAY, 16)).reminders == 1
    (_, monday) = desk.to(HO_TICH_OFFICER)
    assert hours_left(VI, "HS-10", 11) in monday


# ----- the command ---------------------------------------------------------------------------


def test_jobs_run_command_queues_at_the_given_time(desk: Desk, tmp_path: Path) -> None:
    url = desk.settings.resolved_database_url
    early = motcua("jobs", "run", "--at", "2026-12-01T07:00:00+07:00", database_url=url, data_dir=tmp_path)
    assert early.returncode == 0, early.stderr
    assert desk.messages() == []

    result = motcua("jobs", "run", "--at", "2026-12-01T14:00:00+07:00", database_url=url, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "3 digest" in result.stdout and "3 reminder" in result.stdout
    assert sorted({m.chat_id for m in desk.messages()}) == [HO_TICH_OFFICER, CHUNG_THUC_OFFICER, ADMIN]

    again = motcua("jobs", "run", "--at", "2026-12-01T14:05:00+07:00", database_url=url, data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "0 digest" in again.stdout and "0 reminder" in again.stdout

    bad = motcua("jobs", "run", "--at", "tomorrow", database_url=url, data_dir=tmp_path)
    assert bad.returncode == 2 and "--at" in bad.stderr

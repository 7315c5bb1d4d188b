"""Personal data is kept as the consent notice promises, on both database engines: the purge with
a clock the test moves (nothing before the retention date, everything after it, figures the
same), and a citizen's own deletion and withdrawal."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from bot.cases.due_dates import WorkCalendar
from bot.cases.presses import OfficerAction
from bot.privacy.purge import Purge, PurgeReport
from bot.privacy.retention import months_after
from bot.reports.figures import compute_report
from dialogs.output import Reply
from storage.inbound import keep_polled
from storage.models import Case, CaseDocument
from tests.support.engine_chat import vi
from tests.support.office import motcua
from tests.support.services import Office, office
from tests.support.walk import CATALOG

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FILED = datetime(2026, 12, 1, 9, 0, tzinfo=TZ)
OFFICER = 601
A, B, C, D = 70_001, 70_002, 70_003, 70_004
PAGE_A, PAGE_B, PAGE_C, PAGE_D, SHARED = (bytes([0xFF, 0xD8, 0xFF]) + name.encode() * 50
                                          for name in ("A", "B", "C", "D", "shared"))
PEOPLE = {
    A: {"full_name": "Trần Thị Thu Hà", "cccd": "001190000111", "phone": "0912000111",
        "address": "Xóm Đình Một, thôn Tây Đằng", "deceased_full_name": "Trần Văn Khải"},
    B: {"full_name": "Lê Văn Bốn", "cccd": "001190000222", "phone": "0912000222",
        "address": "Xóm Chợ Hai, thôn Tây Đằng", "child_full_name": "Lê Văn Năm"},
    C: {"full_name": "Phạm Thị Cúc", "cccd": "001190000333", "phone": "0912000333",
        "address": "Xóm Giếng Ba, thôn Tây Đằng", "deceased_full_name": "Phạm Văn Cường"},
    D: {"full_name": "Đỗ Văn Dũng", "cccd": "001190000444", "phone": "0912000444",
        "address": "Xóm Bãi Bốn, thôn Tây Đằng", "child_full_name": "Đỗ Văn Đạt"},
}
REFUSAL = "Thiếu giấy của Lê Văn Bốn, số 001190000222"
COMMENT = "Cảm ơn, Thu Hà ở xóm Đình Một"
FEEDBACK = "Tôi là Thu Hà, số 0912000111, xin góp ý"
SECRETS = {A: [*PEOPLE[A].values(), COMMENT, FEEDBACK], B: [*PEOPLE[B].values(), REFUSAL], D: list(PEOPLE[D].values())}


@pytest.fixture
def desk(database_url: str, tmp_path: Path) -> Office:
    """A delivered case (A, rated, with feedback), a refused one (B), an open one (C) sharing a
    page with A's, and an application left unfinished (D), all filed on 1 December 2026."""
    desk = office(database_url, tmp_path / "data", FILED)
    desk.add_officer(OFFICER, ["ho-tich"])
    case_a = desk.file(A, CATALOG["khai-tu"], PEOPLE[A], [PAGE_A, SHARED])
    case_b = desk.file(B, CATALOG["khai-sinh"], PEOPLE[B], [PAGE_B])
    desk.file(C, CATALOG["khai-tu"], PEOPLE[C], [SHARED, PAGE_C])
    desk.rate(A, desk.deliver(OFFICER, case_a), 3, COMMENT)
    desk.act(OFFICER, case_b, OfficerAction.REFUSE, REFUSAL)
    desk.feedback(A, FEEDBACK)
    desk.start(D, CATALOG["khai-sinh"], PEOPLE[D])
    desk.send(D, files=(desk.page(PAGE_D),))
    desk.deliver_outbox()
    return desk


def purge(desk: Office, at: datetime, *, dry_run: bool = False) -> PurgeReport:
    desk.clock.set(at)
    return Purge(desk.desk.turns.db, desk.desk.files, desk.settings).run(at, dry_run=dry_run)


def figures(desk: Office):  # type: ignore[no-untyped-def]
    with Session(desk.desk.turns.db) as session:
        return compute_report(session, CATALOG, WorkCalendar(), TZ, FILED.date(), FILED.date() + timedelta(days=30),
                              FILED + timedelta(days=40))


def report_csv(desk: Office, tmp_path: Path) -> str:
    result = motcua("report", "--from", "2026-12-01", "--to", "2026-12-31", "--at", "2027-01-10T09:00:00+07:00",
                    "--format", "csv", database_url=desk.settings.resolved_database_url, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout


def held_by(desk: Office, chat_id: int) -> list[str]:
    """Every stored value that is a personal datum of `chat_id`, or names its chat."""
    found = []
    for table, rows in desk.rows().items():
        for row in rows:
            text = json.dumps(row, default=str, ensure_ascii=False)
            found += [f"{table}: {secret}" for secret in SECRETS[chat_id] if secret in text]
            found += [f"{table}.{column} = {value}" for column, value in row.items()
                      if column in ("chat_id", "telegram_id", "actor") and str(chat_id) in str(value)]
    return found


def files_of(desk: Office, chat_id: int) -> set[str]:
    with Session(desk.desk.turns.db) as session:
        return set(session.exec(select(CaseDocument.sha256).join(Case, Case.id == CaseDocument.case_id)  # type: ignore[arg-type]
                                .where(Case.chat_id == chat_id)).all())


def test_the_purge_keeps_everything_until_the_retention_date_then_only_the_figures(desk: Office,
                                                                                 tmp_path: Path) -> None:
    before, csv_before = figures(desk), report_csv(desk, tmp_path)
    messages = desk.rows()["outbox_messages"]
    assert messages and all(row["status"] == "sent" and json.loads(str(row["payload"])) == {} for row in messages), \
        "a delivered message keeps no content"
    page_a, page_b, page_c, page_d, shared = (sha(p) for p in (PAGE_A, PAGE_B, PAGE_C, PAGE_D, SHARED))
    assert {page_a, page_b, page_c, page_d, shared} <= desk.stored_files()
    assert all(held_by(desk, chat) for chat in (A, B, D))

    keep_polled(desk.desk.turns.db, [{"update_id": 1}], [], FILED)  # fetched by long polling, never handled
    assert desk.rows()["processed_updates"] and desk.rows()["polled_updates"]
    soon = purge(desk, FILED + timedelta(days=20))
    assert (soon.cases, soon.dialogs) == (0, 0), "nothing is due three weeks later"
    assert desk.rows()["processed_updates"] == [] == desk.rows()["polled_updates"], \
        "update ids, and updates fetched and never handled, are kept a week"
    abandoned = purge(desk, FILED + timedelta(days=31))
    assert (abandoned.cases, abandoned.dialogs) == (0, 1)
    assert page_d not in desk.stored_files()
    assert held_by(desk, A) and held_by(desk, B)

    closed = FILED  # the clock did not move while the officer acted
    eve = purge(desk, months_after(closed, 12) - timedelta(days=1))
    assert eve.cases == 0 and held_by(desk, A) and held_by(desk, B)
    assert {page_a, page_b, shared} <= desk.stored_files()

    after = months_after(closed, 12) + timedelta(days=1)
    counted = purge(desk, after, dry_run=True)
    assert held_by(desk, A) and page_a in desk.stored_files(), "a dry run changes nothing"
    done = purge(desk, after)
    assert done == counted and done.cases == 2 and done.files >= 2

    assert held_by(desk, A) == [] and held_by(desk, B) == [] and held_by(desk, D) == []
    assert page_a not in desk.stored_files() and page_b not in desk.stored_files()
    assert {shared, page_c} <= desk.stored_files(), "the open case's pages stay, the shared one too"
    assert desk.stored_files() == files_of(desk, C), "nothing else is left in the files directory"
    assert PEOPLE[C]["full_name"] in json.dumps(desk.rows()["cases"], default=str, ensure_ascii=False)

    assert figures(desk) == before
    assert report_csv(desk, tmp_path) == csv_before
    assert purge(desk, after) == PurgeReport(), "a second run has nothing left to do"


def test_an_application_left_unfinished_is_deleted_and_the_citizen_told(desk: Office) -> None:
    page_d = sha(PAGE_D)
    assert page_d in desk.stored_files()
    assert purge(desk, FILED + timedelta(days=29)).dialogs == 0
    assert purge(desk, FILED + timedelta(days=31)).dialogs == 1
    assert page_d not in desk.stored_files()
    replies = desk.send(D, text="xin chào")
    assert "đã được xóa" in str(replies[0].text) and "30" in str(replies[0].text)
    again = desk.send(D, command="start")
    assert "đã được xóa" not in " ".join(str(r.text) for r in again), "told once"


def test_daily_purges_once_a_day(desk: Office) -> None:
    purger = Purge(desk.desk.turns.db, desk.desk.files, desk.settings)
    day = FILED + timedelta(days=31)
    assert purger.daily(day) is not None
    assert purger.daily(day + timedelta(hours=3)) is None
    assert purger.daily(day + timedelta(days=1)) is not None


def test_deleting_my_data_keeps_an_open_case_until_it_closes(desk: Office) -> None:
    rights = desk.desk.rights
    overview = rights.overview(C)
    assert "HS-" in str(overview.text) and vi("🗑 Delete my data") in labels(overview)
    confirmation = rights.erase(10_001, C)
    with Session(desk.desk.turns.db) as session:
        case = session.exec(select(Case).where(Case.chat_id == C)).one()
    assert confirmation is not None
    assert vi("Kept until they are closed, as the law allows: {codes}. The officers have been told of your request; "
              "they will be deleted when the cases are closed.", codes=case.code) in str(confirmation.text)
    assert case.erasure_requested_at is not None and case.applicant_name == PEOPLE[C]["full_name"]
    told = [reply for chat, reply in desk.deliver_outbox() if chat == OFFICER]
    assert any(case.code in str(reply.text) and "xóa dữ liệu" in str(reply.text) for reply in told)
    assert rights.erase(10_001, C) is None, "the same update is acted on once"

    desk.act(OFFICER, case, OfficerAction.REFUSE, "Hồ sơ không đủ")
    assert purge(desk, FILED + timedelta(days=2)).cases == 1, "anonymised as soon as it is closed"
    with Session(desk.desk.turns.db) as session:
        closed = session.get(Case, case.id)
    assert closed is not None and closed.applicant_name == "" and closed.applicant_data == {} and closed.chat_id == 0


def test_deleting_my_data_anonymises_closed_cases_at_once(desk: Office) -> None:
    page_a = sha(PAGE_A)
    done = desk.desk.rights.erase(10_002, A)
    assert done is not None and "1" in str(done.text)
    assert held_by(desk, A) == []
    assert page_a not in desk.stored_files() and sha(SHARED) in desk.stored_files()
    assert figures(desk).cases.total == 3


def test_withdrawing_consent_deletes_the_application_in_progress(desk: Office) -> None:
    page_d = sha(PAGE_D)
    reply = desk.desk.rights.withdraw(10_003, D)
    assert reply is not None and vi("The application you were filling in was deleted, with its documents.") in str(
        reply.text)
    assert page_d not in desk.stored_files()
    consents = [row for row in desk.rows()["consents"] if row["chat_id"] == D]
    assert consents and all(row["withdrawn_at"] is not None for row in consents)
    assert PEOPLE[D]["full_name"] not in json.dumps(desk.rows(), default=str, ensure_ascii=False)


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def labels(reply: Reply) -> list[str]:
    return [button.label for row in reply.buttons for button in row]


def test_the_citizen_gets_everything_as_a_file(desk: Office) -> None:
    with Session(desk.desk.turns.db) as session:
        case = session.exec(select(Case).where(Case.chat_id == A)).one()
    (document,) = desk.desk.rights.export(A).attachments
    assert document.mime_type == "application/pdf" and document.data is not None
    content = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(document.data)).pages)
    for shown in (PEOPLE[A]["full_name"], PEOPLE[A]["cccd"], case.code, COMMENT, FEEDBACK):
        assert shown in content, shown
    assert PEOPLE[B]["full_name"] not in content


def test_the_desk_shows_and_forgets_a_citizen(desk: Office) -> None:
    def cli(*args: str) -> str:
        result = motcua("citizen", *args, database_url=desk.settings.resolved_database_url,
                        data_dir=desk.settings.data_dir)
        assert result.returncode == 0, result.stderr
        return result.stdout

    shown = json.loads(cli("show", str(A), "--format", "json"))
    assert shown["cases"][0]["answers"]["full_name"] == PEOPLE[A]["full_name"] and shown["files"] >= 2
    assert "anonymised: HS-" in cli("forget", str(A), "--yes")
    assert held_by(desk, A) == [] and sha(PAGE_A) not in desk.stored_files()
    assert json.loads(cli("show", str(A), "--format", "json"))["cases"] == []


def test_a_zalo_follower_silent_for_the_retention_period_is_forgotten(desk: Office) -> None:
    silent = desk.desk.chats.chat_for("zalo", "2468013579")
    desk.send(silent, command="start")
    assert purge(desk, FILED + timedelta(days=300)).bookkeeping >= 0
    assert [row for row in desk.rows()["channel_chats"] if row["chat_id"] == silent]
    purge(desk, months_after(FILED, 12) + timedelta(days=1))
    assert not [row for table in ("chat_sessions", "subscribers") for row in desk.rows()[table]
                if row["chat_id"] == silent]
    assert "2468013579" not in json.dumps(desk.rows()["channel_chats"], default=str)
    assert desk.desk.chats.chat_for("zalo", "2468013579") != silent, "writing again starts a new chat"

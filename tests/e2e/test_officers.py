"""Officers act on cases from their phones; citizens see every status change."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.cases.presses import OfficerAction, OfficerPress
from dialogs.output import Reply, Rich
from storage.outbox import enqueue
from bot.cases.due_dates import WorkCalendar
from storage.db import make_engine, transaction
from storage.models import Case, StaffInvite

from tests.support.people import JPEG, PDF, Citizen
from tests.conftest import start_bot
from tests.support.office import CHUNG_THUC_OFFICER, CHUNG_THUC_OFFICER_2, HO_TICH_OFFICER, STAFF_MEMBER, Office, running_office
from tests.support.walk import CATALOG, file_case, query

CODE = re.compile(r"HS-\d{6}-\d{4}")


@pytest.fixture(scope="module")
def office(make_database_url: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    with running_office(make_database_url, tmp_path_factory.mktemp("office")) as office:
        yield office



_citizens = iter(range(20_001, 30_000))


@pytest.fixture
def citizen(office: Office, clean_contract: None) -> Citizen:
    return office.person(next(_citizens))


def file(citizen: Citizen, procedure_id: str) -> str:
    receipt = file_case(citizen, CATALOG[procedure_id])
    match = CODE.search(receipt.text)
    assert match, receipt.text
    return match.group(0)


def card_for(office: Office, officer: int, code: str) -> object:
    """Wait until the officer has the case card (the message with action buttons) and return it."""
    person = office.person(officer)
    office.fake.wait_until(lambda: any(code in (m.text or "") and m.buttons for m in person.messages),
                           message=f"officer {officer} never got {code}:\n{office.fake.transcript(officer)}")
    return next(m for m in reversed(person.messages) if code in (m.text or "") and m.buttons)


def citizen_sees(office: Office, citizen: Citizen, text: str) -> None:
    office.fake.wait_until(lambda: any(text in (m.text or "") for m in citizen.messages),
                           message=f"the citizen never saw '{text}':\n{office.fake.transcript(citizen.chat_id)}")


def test_a_new_case_reaches_the_officers_of_its_field_only(office: Office, citizen: Citizen) -> None:
    code = file(citizen, "chung-thuc-ban-sao")
    card = card_for(office, CHUNG_THUC_OFFICER, code)
    card_for(office, CHUNG_THUC_OFFICER_2, code)
    assert "Nguyễn Văn An" in card.text and CATALOG["chung-thuc-ban-sao"].title.vi in card.text
    assert "Hạn trả" in card.text
    assert any("Tiếp nhận" in label for label in card.button_labels())
    office.fake.wait_idle()
    assert not any(code in (m.text or "") for m in office.person(HO_TICH_OFFICER).messages)
    assert not any(code in (m.text or "") for m in office.person(STAFF_MEMBER).messages)


def test_the_officer_gets_the_citizen_s_photo_without_an_upload(office: Office, citizen: Citizen) -> None:
    code = file(citizen, "khai-tu")
    card_for(office, HO_TICH_OFFICER, code)
    office.fake.wait_idle()
    (document,) = query(office.database_url, "SELECT cd.* FROM case_documents cd JOIN cases c ON c.id = cd.case_id "
                                             "WHERE c.code = :code AND cd.mime_type = 'image/jpeg'", code=code)
    photos = [r for r in office.fake.requests if r.method == "sendPhoto" and r.params.get("chat_id") == HO_TICH_OFFICER]
    assert any(r.params.get("photo") == document["telegram_file_id"] and not r.files for r in photos), \
        "the officer gets the citizen's photo by file_id, without uploading it again"


def test_each_transition_is_pushed_to_the_citizen(office: Office, citizen: Citizen) -> None:
    code = file(citizen, "chung-thuc-ban-sao")
    officer = office.person(CHUNG_THUC_OFFICER)
    card = card_for(office, CHUNG_THUC_OFFICER, code)
    officer.press(card.callback_data("Tiếp nhận"), card.message_id, expect=2)
    citizen_sees(office, citizen, "đang được xử lý")
    assert office.case(code)["status"] == "in_progress"

    asked = officer.tap("Có kết quả")
    assert "hướng dẫn" in asked.text
    officer.send("Mời đến quầy số 2, sáng thứ Hai từ 8 giờ", expect=2)
    citizen_sees(office, citizen, "Mời đến quầy số 2")
    assert office.case(code)["status"] == "ready"

    officer.tap("Đã trả kết quả", expect=2)
    citizen_sees(office, citizen, "đã được trả")
    assert office.case(code)["status"] == "delivered"

    steps = [(row["from"], row["to"]) for row in office.history(code)]
    assert steps == [("", "submitted"), ("submitted", "in_progress"), ("in_progress", "ready"), ("ready", "delivered")]
    assert all("Cán bộ Chứng Thực" in row["actor"] for row in office.history(code)[1:])


def test_a_result_file_reaches_the_citizen(office: Office, citizen: Citizen) -> None:
    code = file(citizen, "chung-thuc-ban-sao")
    officer = office.person(CHUNG_THUC_OFFICER)
    card = card_for(office, CHUNG_THUC_OFFICER, code)
    officer.press(card.callback_data("Tiếp nhận"), card.message_id, expect=2)
    officer.tap("Có kết quả")
    officer.document(PDF, "ban-sao.pdf", "application/pdf",
                     expect=2)
    office.fake.wait_until(lambda: any(m.document_file_id for m in citizen.messages),
                           message=office.fake.transcript(citizen.chat_id))
    citizen_sees(office, citizen, "đã có kết quả")


def test_asking_for_more_round_trip(office: Office, citizen: Citizen) -> None:
    code = file(citizen, "chung-thuc-ban-sao")
    due_before = office.case(code)["due_date"]
    officer = office.person(CHUNG_THUC_OFFICER)
    card = card_for(office, CHUNG_THUC_OFFICER, code)
    asked = officer.press(card.callback_data("Yêu cầu bổ sung"), card.message_id)
    too_long = officer.send("Ảnh trang 2 của bản chính. " * 40)
    assert "1079" in too_long.text and "1000" in too_long.text and asked.text in too_long.text
    assert too_long.buttons == asked.buttons and office.case(code)["status"] == "submitted"
    officer.send("Ảnh trang 2 của bản chính\nSố điện thoại của người được ủy quyền", expect=2)
    citizen_sees(office, citizen, "Ảnh trang 2 của bản chính")
    assert office.case(code)["status"] == "awaiting_supplement"

    first = citizen.tap("Gửi bổ sung")
    assert "Ảnh trang 2 của bản chính" in first.text and "1/2" in first.text
    citizen.photo(JPEG)
    second = citizen.tap("Xong")
    assert "Số điện thoại của người được ủy quyền" in second.text and "2/2" in second.text
    citizen.send("0987654321")
    done = citizen.tap("Xong")
    assert code in done.text and "Ngày hẹn" in done.text

    office.fake.wait_until(lambda: any("đã gửi bổ sung" in (m.text or "") and code in (m.text or "") for m in officer.messages),
                           message=office.fake.transcript(CHUNG_THUC_OFFICER))
    resubmitted = office.case(code)
    assert resubmitted["status"] == "submitted"
    assert resubmitted["due_date"] >= due_before
    documents = query(office.database_url, "SELECT document_id FROM case_documents WHERE case_id = :id",
                      id=resubmitted["id"])
    assert "supplement-1" in [d["document_id"] for d in documents]
    assert "0987654321" in str(resubmitted["applicant_data"])
    assert [row["to"] for row in office.history(code)][-2:] == ["awaiting_supplement", "submitted"]


def test_refusal_needs_a_reason_and_illegal_moves_are_refused(office: Office, citizen: Citizen) -> None:
    code = file(citizen, "chung-thuc-ban-sao")
    officer = office.person(CHUNG_THUC_OFFICER)
    card = card_for(office, CHUNG_THUC_OFFICER, code)
    officer.press(card.callback_data("Từ chối"), card.message_id)
    officer.send("Bản chính bị tẩy xóa, không chứng thực được", expect=2)
    citizen_sees(office, citizen, "Bản chính bị tẩy xóa")
    assert office.case(code)["status"] == "refused"
    case = office.case(code)
    late = officer.press(OfficerPress(case["id"], case["version"], OfficerAction.ACCEPT).encode())
    assert "⚠️" in late.text and office.case(code)["status"] == "refused"
    stale = officer.press(card.callback_data("Tiếp nhận"), card.message_id, expect=2)
    assert "Cán bộ Chứng Thực" in officer.messages[-2].text and stale.text
    assert office.case(code)["status"] == "refused"


def test_two_officers_tapping_at_once_one_wins(office: Office, citizen: Citizen) -> None:
    """Officers' chats are handled side by side, so either tap may land first: exactly one moves
    the case, and the other officer is told who acted before them."""
    code = file(citizen, "chung-thuc-ban-sao")
    cards = {officer: card_for(office, officer, code) for officer in (CHUNG_THUC_OFFICER, CHUNG_THUC_OFFICER_2)}
    for officer, card in cards.items():
        office.fake.press(officer, card.callback_data("Tiếp nhận"), message_id=card.message_id)
    office.fake.wait_answered()
    office.fake.wait_idle()
    assert office.case(code)["status"] == "in_progress"
    assert [row["to"] for row in office.history(code)] == ["submitted", "in_progress"]
    told = [officer for officer in cards
            if any("trước" in (m.text or "") for m in office.person(officer).messages[-2:])]
    assert len(told) == 1, [office.fake.transcript(officer) for officer in cards]
    names = {CHUNG_THUC_OFFICER: "Cán bộ Chứng Thực", CHUNG_THUC_OFFICER_2: "Cán bộ Thứ Hai"}
    winner = next(officer for officer in cards if officer not in told)
    assert names[winner] in office.history(code)[-1]["actor"]
    assert any(names[winner] in (m.text or "") for m in office.person(told[0]).messages[-2:])


def test_forged_and_foreign_buttons_change_nothing(office: Office, citizen: Citizen) -> None:
    code = file(citizen, "chung-thuc-ban-sao")
    card = card_for(office, CHUNG_THUC_OFFICER, code)
    accept = card.callback_data("Tiếp nhận")
    for intruder in (citizen.chat_id, HO_TICH_OFFICER, STAFF_MEMBER):
        office.fake.press(intruder, accept, message_id=office.person(intruder).last.message_id)
    office.fake.press(citizen.chat_id, "o.1.1.deliver", message_id=citizen.last.message_id)
    office.fake.press(citizen.chat_id, "o.x.y.z", message_id=citizen.last.message_id)
    office.fake.press(citizen.chat_id, "officer:1:1:deliver", message_id=citizen.last.message_id)
    office.fake.press(citizen.chat_id, "officer:x:y:z", message_id=citizen.last.message_id)
    office.fake.wait_answered()
    office.fake.wait_idle()
    assert office.case(code)["status"] == "submitted"
    alerts = [a for who in (citizen.chat_id, HO_TICH_OFFICER, STAFF_MEMBER) for a in office.fake.callback_answers(who)]
    assert sum(1 for a in alerts if a.get("show_alert") and "không có quyền" in a.get("text", "")) >= 5
    denied = query(office.database_url, "SELECT * FROM denied_actions WHERE telegram_id IN (:a, :b, :c)",
                   a=citizen.chat_id, b=HO_TICH_OFFICER, c=STAFF_MEMBER)
    assert len(denied) >= 5
    assert all(len(b["callback_data"].encode()) <= 64 and "Nguyễn" not in b["callback_data"]
               for m in office.person(CHUNG_THUC_OFFICER).messages for row in m.buttons for b in row)


def test_work_list_and_case_view(office: Office, citizen: Citizen) -> None:
    code = file(citizen, "khai-tu")
    card_for(office, HO_TICH_OFFICER, code)
    with transaction(make_engine(office.database_url)) as session:
        session.exec(select(Case).where(Case.code == code)).one().due_date = (datetime.now(UTC) - timedelta(days=3)).date()
    officer = office.person(HO_TICH_OFFICER)
    listing = officer.send("/hoso")
    assert code in listing.text and "QUÁ HẠN" in listing.text
    assert "chung-thuc" not in listing.text
    shown = officer.send(f"/hoso {code.lower()}")
    assert code in shown.text and "Lịch sử" in shown.text and "Mới tiếp nhận" in shown.text
    assert "Lệnh này dành cho cán bộ" in citizen.send("/hoso").text
    other = office.person(CHUNG_THUC_OFFICER).send(f"/hoso {code}")
    assert "Nguyễn" not in other.text


def test_invite_links_work_once_and_expire(office: Office, clean_contract: None) -> None:
    created = office.cli("staff", "invite", "--role", "officer", "--fields", "ho-tich", "--name", "Cán bộ Mời")
    assert created.returncode == 0, created.stderr
    link = created.stdout.strip()
    assert link.startswith("https://t.me/motcua_test_bot?start=inv_")
    payload = link.split("start=", 1)[1]
    newcomer, latecomer = office.person(601), office.person(602)
    welcome = newcomer.send(f"/start {payload}")
    assert "Cán bộ Mời" in welcome.text
    assert "Cán bộ Mời" in office.cli("staff", "list").stdout
    assert "đã được sử dụng" in latecomer.send(f"/start {payload}").text
    expiring = office.cli("staff", "invite", "--role", "officer", "--fields", "ho-tich").stdout.strip().split("start=")[1]
    with transaction(make_engine(office.database_url)) as session:
        invite = session.exec(select(StaffInvite).where(StaffInvite.code == expiring.removeprefix("inv_"))).one()
        invite.expires_at = datetime.now(UTC) - timedelta(hours=1)
    assert "hết hạn" in latecomer.send(f"/start {expiring}").text
    assert "Văn Phòng" in office.cli("staff", "list").stdout
    removed = office.cli("staff", "remove", "--telegram-id", "601")
    assert removed.returncode == 0 and "Cán bộ Mời" not in office.cli("staff", "list").stdout


def test_queued_notifications_survive_a_restart(make_database_url: Callable[[], str], tmp_path: Path) -> None:
    fake, process, url = start_bot(make_database_url, tmp_path / "bot")
    try:
        officer = Citizen(fake, CHUNG_THUC_OFFICER)
        officer.send("/start")
        process.kill()
        from tests.support.office import motcua

        added = motcua("staff", "add", "--telegram-id", str(CHUNG_THUC_OFFICER), "--name", "Cán bộ",
                       "--fields", "chung-thuc", database_url=url, data_dir=tmp_path / "bot")
        assert added.returncode == 0, added.stderr
        with transaction(make_engine(url)) as session:
            for n in range(3):
                enqueue(session, CHUNG_THUC_OFFICER, Reply(Rich.plain(f"queued {n}")), now=datetime.now(UTC))
        process.start()
        fake.wait_until(lambda: sum("queued" in (m.text or "") for m in officer.messages) == 3, message=fake.transcript(CHUNG_THUC_OFFICER))
        process.stop()
        process.start()
        fake.wait_idle()
        assert [m.text for m in officer.messages if "queued" in (m.text or "")] == ["queued 0", "queued 1", "queued 2"]
        fake.assert_no_violations()
    finally:
        process.stop()
        fake.stop()


def test_the_morning_digest_reaches_the_officer_once(office: Office, citizen: Citizen) -> None:
    code = file(citizen, "khai-tu")
    card_for(office, HO_TICH_OFFICER, code)
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    calendar = WorkCalendar()
    # A working day before today: the running bot's own scheduler only ever takes today's digest,
    # which it may already have sent (empty) before this case existed.
    day = datetime.now(tz).date() - timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    with transaction(make_engine(office.database_url)) as session:
        session.exec(select(Case).where(Case.code == code)).one().due_date = day - timedelta(days=3)
    morning = datetime.combine(day, time(7, 35), tz).isoformat()
    first = office.cli("jobs", "run", "--at", morning)
    assert first.returncode == 0 and "Queued 0 digest" not in first.stdout, first.stdout + first.stderr
    officer = office.person(HO_TICH_OFFICER)
    office.fake.wait_until(lambda: any(code in (m.text or "") and "QUÁ HẠN" in (m.text or "") and "hôm nay" in (m.text or "")
                                       for m in officer.messages), message=office.fake.transcript(HO_TICH_OFFICER))
    again = office.cli("jobs", "run", "--at", morning)
    assert "Queued 0 digest" in again.stdout
    assert not any(code in (m.text or "") and "QUÁ HẠN" in (m.text or "")
                   for m in office.person(CHUNG_THUC_OFFICER).messages)


def test_a_field_group_chat_gets_new_cases(make_database_url: Callable[[], str], tmp_path: Path) -> None:
    fake, process, url = start_bot(make_database_url, tmp_path / "bot", field_chats="chung-thuc:-100777")
    try:
        citizen = Citizen(fake, 31_001)
        code = file(citizen, "chung-thuc-ban-sao")
        fake.wait_until(lambda: any(code in (m.text or "") and m.buttons for m in fake.bot_messages(-100777)),
                        message=fake.transcript(-100777))
        khai_tu = file(Citizen(fake, 31_002), "khai-tu")
        fake.wait_idle()
        assert not any(khai_tu in (m.text or "") for m in fake.bot_messages(-100777))
        fake.assert_no_violations()
    finally:
        process.stop()
        fake.stop()


@pytest.mark.parametrize("payload", ["o.99999999999999999999.1.accept", "s.99999999999999999999",
                                     "k.99999999999999999999", "b.99999999999999999999.send",
                                     "r.99999999999999999999.3", "officer:2147483648:1:accept",
                                     "supplement:99999999999999999999", "case:2147483648",
                                     "announce:99999999999999999999:send", "rate:2147483648:3"])
def test_ids_too_large_for_the_database_are_refused_quietly(office: Office, citizen: Citizen, payload: str) -> None:
    """A forged id beyond a 32-bit column must be answered, not crash on PostgreSQL."""
    citizen.send("/start")
    before = len(citizen.messages) + len(office.fake.callback_answers(citizen.chat_id))
    office.fake.press(citizen.chat_id, payload, message_id=citizen.last.message_id)
    office.fake.wait_until(lambda: len(citizen.messages) + len(office.fake.callback_answers(citizen.chat_id)) > before,
                           message=office.fake.transcript(citizen.chat_id))
    office.fake.wait_answered()
    office.fake.wait_idle()
    assert not any("gặp lỗi" in (m.text or "") for m in citizen.messages), office.fake.transcript(citizen.chat_id)

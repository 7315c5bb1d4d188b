"""Citizens on Zalo, end to end: the real bot serves a fake Zalo OA (signed webhook events in,
OA API calls out, every request checked against Zalo's shapes) and the fake Bot API for the
officers, who stay on Telegram."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator

import pytest

from bot.cases.presses import OfficerAction, OfficerPress
from dialogs.catalog import Procedure
from sandbox.zaloapi import FakeZaloOA
from storage.models import OTHER_CHANNEL_UPDATE_IDS
from tests.support.office import HO_TICH_OFFICER, STAFF_MEMBER
from tests.support.people import PDF, PNG
from tests.support.walk import CATALOG, answer_fields, query, upload_documents
from tests.support.zalo import ZaloCitizen, ZaloOffice, running_zalo_office

TEMPLATE = "status-update"
_users = itertools.count(246_845_883_529_100_001)


@pytest.fixture(scope="module")
def office(make_database_url: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZaloOffice]:
    with running_zalo_office(make_database_url, tmp_path_factory.mktemp("zalo-office"),
                             zalo_status_template=TEMPLATE) as office:
        office.zalo.templates = {TEMPLATE: ["case_code", "status", "date"]}
        yield office


@pytest.fixture
def citizen(office: ZaloOffice) -> Iterator[ZaloCitizen]:
    before = len(office.zalo.violations), len(office.fake.violations)
    yield office.zalo_person(str(next(_users)))
    new = office.zalo.violations[before[0]:] + office.fake.violations[before[1]:]
    assert not new, "API contract violations:\n" + "\n".join(new) + "\n\nbot log:\n" + office.process.log()[-4000:]


def file_on_zalo(citizen: ZaloCitizen, procedure: Procedure) -> str:
    """From following the OA to the receipt; returns the case code."""
    citizen.tap("Nộp hồ sơ")
    citizen.tap(procedure.title.vi)  # the numbered list shows titles
    citizen.tap("Bắt đầu nộp hồ sơ")
    citizen.tap("Tôi đồng ý")
    answer_fields(citizen, procedure)  # type: ignore[arg-type]
    summary = upload_documents(citizen, procedure)  # type: ignore[arg-type]
    assert "kiểm tra" in summary.text, summary.text
    receipt = citizen.tap("Xác nhận nộp")
    assert "Mã hồ sơ" in receipt.text, receipt.text
    return next(word for word in receipt.text.split() if word.startswith("HS-"))


def officer_taps(office: ZaloOffice, officer: int, code: str, label: str, expect: int = 2) -> None:
    person = office.person(officer)
    office.fake.wait_until(lambda: any(code in (m.text or "") and m.buttons for m in person.messages),
                           message=office.fake.transcript(officer))
    card = next(m for m in reversed(person.messages) if code in (m.text or "") and m.buttons)
    person.press(card.callback_data(label), card.message_id, expect=expect)


def test_following_the_oa_opens_the_home_screen_with_buttons_and_a_numbered_list(citizen: ZaloCitizen) -> None:
    home = citizen.messages[0]
    assert "UBND thị trấn Tây Đằng" in home.text
    assert not home.buttons and "trả lời bằng số" in home.text, "six choices: more than Zalo's five buttons"
    assert "Dữ liệu của tôi" in home.text and not any(word in home.text for word in ("Góp ý", "thông báo")), \
        "feedback and announcements are Telegram's; the data rights are everyone's"
    listing = citizen.tap("Nộp hồ sơ")
    assert "trả lời bằng số" in listing.text
    assert all(f"{n}. " in listing.text for n in range(1, 10)), "nine procedures and more: a numbered list"
    picked = citizen.send("2")
    assert list(CATALOG)[1].title.vi in picked.text
    assert picked.message.buttons, "five or fewer choices are buttons"


@pytest.mark.parametrize("procedure_id", [p.id for p in CATALOG])
def test_each_procedure_can_be_filed_from_zalo(office: ZaloOffice, citizen: ZaloCitizen, procedure_id: str) -> None:
    code = file_on_zalo(citizen, CATALOG[procedure_id])
    (case,) = query(office.database_url, "SELECT * FROM cases WHERE code = :code", code=code)
    assert case["procedure_id"] == procedure_id and case["applicant_name"] == "Nguyễn Văn An"
    documents = query(office.database_url, "SELECT * FROM case_documents WHERE case_id = :id", id=case["id"])
    assert all(d["telegram_file_id"] == "" for d in documents), "a Zalo page is no Telegram file"
    for document in documents:
        stored = office.data_dir / "files" / document["sha256"][:2] / document["sha256"]
        assert stored.exists()
    assert not any(m.kind == "image" for m in citizen.messages), "no Telegram QR code on Zalo"


def test_the_officer_acts_on_telegram_and_the_zalo_citizen_is_told_and_rates(office: ZaloOffice,
                                                                              citizen: ZaloCitizen) -> None:
    code = file_on_zalo(citizen, CATALOG["khai-tu"])
    officer = office.person(HO_TICH_OFFICER)
    office.fake.wait_until(lambda: any(m.method == "sendPhoto" for m in officer.messages),
                           message=office.fake.transcript(HO_TICH_OFFICER))
    officer_taps(office, HO_TICH_OFFICER, code, "Tiếp nhận")
    office.zalo.wait_until(lambda: any(code in m.text and "đang được xử lý" in m.text for m in citizen.messages),
                           message=office.zalo.transcript(citizen.user_id))
    officer_taps(office, HO_TICH_OFFICER, code, "Có kết quả", expect=1)
    officer.document(PDF, "ket-qua.pdf", "application/pdf", expect=2)
    office.zalo.wait_until(lambda: any(m.kind == "file" and m.content == PDF for m in citizen.messages),
                           message=office.zalo.transcript(citizen.user_id))
    officer_taps(office, HO_TICH_OFFICER, code, "Đã trả kết quả")
    office.zalo.wait_until(lambda: any("Rất hài lòng" in t for m in citizen.messages for t in m.button_titles()),
                           message=office.zalo.transcript(citizen.user_id))
    thanks = citizen.tap("Rất hài lòng")
    assert "Cảm ơn" in thanks.text
    (rating,) = query(office.database_url, "SELECT r.* FROM ratings r JOIN cases c ON c.id = r.case_id "
                                           "WHERE c.code = :code", code=code)
    assert rating["score"] == 3


def test_the_receipt_code_works_in_either_channel_and_only_for_its_owner(office: ZaloOffice,
                                                                        citizen: ZaloCitizen) -> None:
    code = file_on_zalo(citizen, CATALOG["khai-sinh"])
    shown = citizen.send(f"/tracuu {code.lower()}")
    assert code in shown.text and "Mới tiếp nhận" in shown.text
    stranger = office.person(70_001)
    stranger.send("/start")
    assert "Không tìm thấy" in stranger.send(f"/tracuu {code}").text
    # Every event the bot handled is claimed, the lookup too, which changes nothing: the leader
    # hands over unclaimed events as orphans after two minutes, and would answer it again.
    # Receipts are not even kept.
    assert office.zalo.seen(citizen.user_id) == 200
    office.zalo.wait_until(lambda: not _unclaimed_events(office, citizen), message=str(_unclaimed_events(office, citizen)))
    assert not query(office.database_url, "SELECT id FROM inbound_events WHERE CAST(payload AS TEXT) LIKE :seen",
                     seen="%user_seen_message%")


def _unclaimed_events(office: ZaloOffice, citizen: ZaloCitizen) -> list[dict[str, object]]:
    return query(office.database_url, "SELECT event_key FROM inbound_events e WHERE CAST(e.payload AS TEXT) LIKE :user "
                 "AND NOT EXISTS (SELECT 1 FROM processed_updates p WHERE p.update_id = e.id + :offset)",
                 user=f"%{citizen.user_id}%", offset=OTHER_CHANNEL_UPDATE_IDS)


def test_photos_and_files_are_checked_as_on_telegram(office: ZaloOffice, citizen: ZaloCitizen) -> None:
    procedure = CATALOG["khai-tu"]
    citizen.tap("Nộp hồ sơ")
    citizen.tap(procedure.title.vi)  # the numbered list shows titles
    citizen.tap("Bắt đầu nộp hồ sơ")
    citizen.tap("Tôi đồng ý")
    answer_fields(citizen, procedure)  # type: ignore[arg-type]
    assert "⚠️" in citizen.document(b"GIF89a not allowed", "anh.gif", "image/gif").text
    assert "⚠️" in citizen.document(b"%PDF-1.4 but a lie" + b"x" * 10, "giay.png", "image/png").text
    accepted = citizen.document(PDF, "giay to.pdf", "application/pdf")
    assert "⚠️" not in accepted.text and "1" in accepted.text
    assert "⚠️" not in citizen.photo(PNG).text, "a PNG photo is taken"


def test_forged_stale_and_unsigned_events_are_refused_and_a_replay_creates_nothing(office: ZaloOffice,
                                                                                 citizen: ZaloCitizen) -> None:
    zalo: FakeZaloOA = office.zalo
    before = len(citizen.messages)
    event = zalo.make_event(citizen.user_id, "user_send_text", {"text": "dang ky khai sinh"})
    assert zalo.send_event(event, sign=False) == 403
    assert zalo.send_event(event, signature="mac=" + "0" * 64) == 403
    stale = zalo.make_event(citizen.user_id, "user_send_text", {"text": "dang ky khai sinh"},
                            timestamp=int((time.time() - 3 * 86400) * 1000))
    violations = len(zalo.violations)
    assert zalo.send_event(stale) == 403
    assert "403" in zalo.violations[-1], "the fake takes any signed event as Zalo's"
    del zalo.violations[violations:]
    zalo.wait_idle()
    assert len(citizen.messages) == before, "nothing refused was acted on"

    reply = citizen.send("dang ky khai sinh")
    assert CATALOG["khai-sinh"].title.vi in reply.text
    answered = len(citizen.messages)
    body, headers = zalo.last_event(citizen.user_id)
    processed = len(query(office.database_url, "SELECT * FROM processed_updates"))
    assert zalo.post_raw(body, headers) == 200
    zalo.wait_idle()
    assert len(citizen.messages) == answered, "a replayed event is answered once"
    assert len(query(office.database_url, "SELECT * FROM processed_updates")) == processed


def test_an_expired_token_is_refreshed_and_kept_in_the_database(office: ZaloOffice, citizen: ZaloCitizen) -> None:
    refreshes = office.zalo.refreshes
    office.zalo.expire_access_token()
    assert "UBND" in citizen.send("/start").text
    assert office.zalo.refreshes == refreshes + 1
    (token,) = query(office.database_url, "SELECT * FROM channel_tokens WHERE channel = 'zalo'")
    assert token["access_token"] == office.zalo.access_token and token["refresh_token"] == office.zalo.refresh_token


def test_a_failed_refresh_alerts_the_office_staff_on_telegram_once(office: ZaloOffice, citizen: ZaloCitizen) -> None:
    staff = office.person(STAFF_MEMBER)
    greeted = sum("UBND" in m.text for m in citizen.messages)
    refreshes = office.zalo.refreshes
    office.zalo.fail_refresh(times=2)
    office.zalo.expire_access_token()
    office.zalo.send_text(citizen.user_id, "/start")
    office.fake.wait_until(lambda: any("Zalo" in (m.text or "") and "Kênh Zalo" in (m.text or "")
                                       for m in staff.messages), message=office.fake.transcript(STAFF_MEMBER))
    office.zalo.send_text(citizen.user_id, "/start")
    # Both answers wait in the outbox while the token cannot be renewed, then arrive.
    office.zalo.wait_until(lambda: office.zalo.refreshes > refreshes
                           and sum("UBND" in m.text for m in citizen.messages) >= greeted + 2,
                           timeout=90, message=office.zalo.transcript(citizen.user_id))
    alerts = [m for m in staff.messages if "Kênh Zalo" in (m.text or "")]
    assert len(alerts) == 1, "told once, not at every message"


def test_after_the_window_a_status_update_uses_the_template_and_other_messages_wait(office: ZaloOffice,
                                                                                   citizen: ZaloCitizen) -> None:
    code = file_on_zalo(citizen, CATALOG["xac-nhan-tinh-trang-hon-nhan"])
    office.zalo.set_last_interaction(citizen.user_id, 8 * 86400)
    _age_chat(office, citizen, days=8)
    before = len(citizen.messages)  # counted first: the outbox may send while the officer is answered
    officer_taps(office, HO_TICH_OFFICER, code, "Yêu cầu bổ sung", expect=1)
    office.person(HO_TICH_OFFICER).send("Bản sao giấy ly hôn", expect=2)
    template = office.zalo.wait_for_messages(citizen.user_id, before + 1)[before]
    assert template.template_id == TEMPLATE and template.template_data is not None
    assert template.template_data["case_code"] == code
    office.zalo.wait_idle()
    held = query(office.database_url, "SELECT * FROM outbox_messages WHERE status = 'held' AND chat_id = "
                                      "(SELECT chat_id FROM channel_chats WHERE external_id = :user)", user=citizen.user_id)
    assert held == [], "the case notice went as a template; nothing else was queued"

    office.zalo.set_last_interaction(citizen.user_id, 8 * 86400)
    _age_chat(office, citizen, days=8)
    _enqueue_plain(office, citizen, "Thông báo riêng cho ông/bà")
    office.zalo.wait_until(lambda: bool(query(office.database_url, "SELECT id FROM outbox_messages "
                                                                   "WHERE status = 'held'")))
    assert not any("Thông báo riêng" in m.text for m in citizen.messages), "outside the window it waits"
    before = len(citizen.messages)
    citizen.fake.send_text(citizen.user_id, "/start")
    office.zalo.wait_for_messages(citizen.user_id, before + 2)
    newest = citizen.messages[before:]
    assert "Thông báo riêng" in newest[0].text and "UBND" in newest[1].text, "held messages go first"


def test_unsupported_messages_get_a_polite_answer_and_the_question_again(citizen: ZaloCitizen) -> None:
    before = len(citizen.messages)
    citizen.fake.send_event_named(citizen.user_id, "user_send_audio",
                                  attachments=[{"type": "audio", "payload": {"url": "https://example.invalid/a.amr"}}])
    answer = citizen.fake.wait_for_messages(citizen.user_id, before + 1)[-1]
    assert "chữ, ảnh" in answer.text or "đọc được" in answer.text, answer.text
    sticker = citizen.fake.send_sticker(citizen.user_id)
    assert sticker == 200


def _chat_id(office: ZaloOffice, citizen: ZaloCitizen) -> int:
    (row,) = query(office.database_url, "SELECT chat_id FROM channel_chats WHERE external_id = :user",
                   user=citizen.user_id)
    return int(str(row["chat_id"]))


def _age_chat(office: ZaloOffice, citizen: ZaloCitizen, *, days: int) -> None:
    """The bot's own record of the citizen's last message, moved back as the fake's was."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import create_engine, text

    engine = create_engine(office.database_url)
    with engine.begin() as db:
        db.execute(text("UPDATE channel_chats SET last_inbound_at = :at WHERE chat_id = :chat"),
                   {"at": datetime.now(UTC) - timedelta(days=days), "chat": _chat_id(office, citizen)})
    engine.dispose()


def _enqueue_plain(office: ZaloOffice, citizen: ZaloCitizen, text: str) -> None:
    from datetime import UTC, datetime

    from dialogs.output import Reply, Rich
    from storage.db import make_engine, transaction
    from storage.outbox import enqueue

    engine = make_engine(office.database_url)
    with transaction(engine) as session:
        enqueue(session, _chat_id(office, citizen), Reply(Rich.plain(text)), now=datetime.now(UTC))
    engine.dispose()


def test_officer_buttons_still_refuse_a_zalo_citizen(office: ZaloOffice, citizen: ZaloCitizen) -> None:
    code = file_on_zalo(citizen, CATALOG["khai-tu"])
    (case,) = query(office.database_url, "SELECT * FROM cases WHERE code = :code", code=code)
    forged = "#" + OfficerPress(int(str(case["id"])), int(str(case["version"])), OfficerAction.ACCEPT).encode()
    answer = citizen.send(forged)
    assert "không có quyền" in answer.text
    assert query(office.database_url, "SELECT status FROM cases WHERE code = :code", code=code)[0]["status"] == "submitted"


def test_a_zalo_citizen_has_the_same_data_rights(office: ZaloOffice, citizen: ZaloCitizen) -> None:
    code = file_on_zalo(citizen, CATALOG["khai-sinh"])
    screen = citizen.send("/dulieu")
    assert code in screen.text and "🚫 Rút lại sự đồng ý" in screen.button_labels()
    citizen.tap("Gửi cho tôi thành tệp")
    office.zalo.wait_until(lambda: any(m.kind == "file" and m.content.startswith(b"%PDF-") for m in citizen.messages),
                           message=office.zalo.transcript(citizen.user_id))
    citizen.tap("Quay lại")
    citizen.tap("Xóa dữ liệu của tôi")
    done = citizen.tap("Có, xóa")
    assert code in done.text
    (case,) = query(office.database_url, "SELECT erasure_requested_at FROM cases WHERE code = :code", code=code)
    assert case["erasure_requested_at"] is not None

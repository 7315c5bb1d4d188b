"""Personal data through the real bot and the fake Bot API: officers' groups see no personal
datum, the citizen's /dulieu screen works as a person uses it, announcements are asked for
once, and the bot keeps its data owner-only."""

from __future__ import annotations

import itertools
import stat
from datetime import UTC, datetime, timedelta
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sandbox.botapi import BotMessage
from tests.support.office import CHUNG_THUC_OFFICER, HO_TICH_OFFICER, Office, running_office
from tests.support.people import Citizen
from tests.support.walk import CATALOG, file_case, query

SHARED_GROUP, HO_TICH_GROUP = -100_500, -100_888
ANSWERS = {"full_name": "Vũ Thị Riêng Tư", "cccd": "001190000555", "phone": "0912000555",
           "address": "Xóm Kín Đáo, thôn Tây Đằng", "deceased_full_name": "Vũ Văn Bí Mật"}
PERSONAL = ["Riêng Tư", "001190000555", "0912000555", "Kín Đáo", "Bí Mật"]
_citizens = itertools.count(41_001)
_queries = itertools.count(8_100_000_000_000_000)


@pytest.fixture(scope="module")
def office(make_database_url: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    with running_office(make_database_url, tmp_path_factory.mktemp("privacy"), officers_chat_id=str(SHARED_GROUP),
                        field_chats=f"ho-tich:{HO_TICH_GROUP}") as office:
        yield office


@pytest.fixture
def citizen(office: Office) -> Iterator[Citizen]:
    before = len(office.fake.violations)
    yield office.person(next(_citizens))
    new = office.fake.violations[before:]
    assert not new, "Bot API contract violations:\n" + "\n".join(new) + "\n\n" + office.process.log()[-4000:]


def code_of(receipt: BotMessage) -> str:
    return next(word for word in receipt.text.split() if word.startswith("HS-"))


def tap_in_group(office: Office, group: int, officer: int, message: BotMessage, label: str) -> None:
    """An officer taps a button of the bot's message in a group: the tap is theirs, the chat the group's."""
    office.fake.push_update({"callback_query": {
        "id": str(next(_queries)), "from": {"id": officer, "is_bot": False, "first_name": "Cán bộ"},
        "message": message.raw, "chat_instance": str(group), "data": message.callback_data(label)}})


def test_groups_get_no_personal_datum_and_a_tap_brings_the_case_to_the_officer_privately(office: Office,
                                                                                       citizen: Citizen) -> None:
    code = code_of(file_case(citizen, CATALOG["khai-tu"], ANSWERS))
    fake = office.fake
    for group in (SHARED_GROUP, HO_TICH_GROUP):
        fake.wait_until(lambda group=group: any(code in (m.text or "") and m.buttons for m in fake.bot_messages(group)),
                        message=fake.transcript(group))
    officer = office.person(HO_TICH_OFFICER)
    fake.wait_until(lambda: any(code in (m.text or "") and "Riêng Tư" in (m.text or "") for m in officer.messages),
                    message=fake.transcript(HO_TICH_OFFICER))
    fake.wait_idle()

    def group_traffic() -> list[BotMessage]:
        return fake.bot_messages(SHARED_GROUP) + fake.bot_messages(HO_TICH_GROUP)

    sent = group_traffic()
    assert not [m.describe() for m in sent if m.photo_file_id or m.document_file_id or m.media_group]
    assert not [(datum, m.text) for m in sent for datum in PERSONAL if datum in (m.text or "")]

    card = next(m for m in fake.bot_messages(HO_TICH_GROUP) if code in (m.text or ""))
    before = len(officer.messages)
    tap_in_group(office, HO_TICH_GROUP, HO_TICH_OFFICER, card, "Mở hồ sơ")
    fake.wait_until(lambda: any("Riêng Tư" in (m.text or "") for m in officer.messages[before:]),
                    message=fake.transcript(HO_TICH_OFFICER))
    fake.wait_idle()
    private = officer.messages[before:]
    assert any(m.photo_file_id for m in private), "the pages come with the card"
    assert any(m.document_file_id for m in private), "and the filled form"

    other = office.person(CHUNG_THUC_OFFICER)
    shared_card = next(m for m in fake.bot_messages(SHARED_GROUP) if code in (m.text or ""))
    before_other = len(other.messages)
    tap_in_group(office, SHARED_GROUP, CHUNG_THUC_OFFICER, shared_card, "Mở hồ sơ")
    fake.wait_until(lambda: len(fake.callback_answers(SHARED_GROUP)) >= 1)
    fake.wait_idle()
    assert fake.callback_answers(SHARED_GROUP)[-1].get("show_alert") is True
    assert not any("Riêng Tư" in (m.text or "") for m in other.messages[before_other:])
    assert group_traffic() == sent, "nothing is ever answered in the group"


def test_the_first_greeting_asks_once_about_announcements(office: Office, citizen: Citizen) -> None:
    greeting = citizen.send("/start")
    assert "có muốn nhận thông báo của xã" in greeting.text
    assert {"🔔 Có, tôi muốn nhận", "🔕 Không, cảm ơn"} <= set(greeting.button_labels())
    subscription = "SELECT subscribed FROM subscribers WHERE chat_id = :c"
    assert [bool(r["subscribed"]) for r in query(office.database_url, subscription, c=citizen.chat_id)] == [False], \
        "asked, not subscribed"
    assert "/huythongbao" in citizen.tap("Có, tôi muốn nhận").text
    again = citizen.send("/start")
    assert "🔔 Có, tôi muốn nhận" not in again.button_labels() and "🔕 Hủy nhận thông báo" in again.button_labels()
    assert [bool(r["subscribed"]) for r in query(office.database_url, subscription, c=citizen.chat_id)] == [True]


def test_declining_consent_leaves_no_subscription(office: Office, citizen: Citizen) -> None:
    citizen.send("/start")
    citizen.tap("Nộp hồ sơ")
    citizen.tap("Khai tử")
    citizen.tap("Bắt đầu nộp hồ sơ")
    citizen.tap("Không đồng ý")
    assert query(office.database_url, "SELECT * FROM subscribers WHERE chat_id = :c", c=citizen.chat_id) == []
    assert query(office.database_url, "SELECT * FROM consents WHERE chat_id = :c", c=citizen.chat_id) == []


def test_my_data_shows_sends_and_deletes(office: Office, citizen: Citizen) -> None:
    code = code_of(file_case(citizen, CATALOG["khai-tu"], ANSWERS))
    screen = citizen.send("/dulieu")
    assert code in screen.text and "Riêng Tư" in screen.text and "001190000555" in screen.text
    assert {"📄 Gửi cho tôi thành tệp", "🗑 Xóa dữ liệu của tôi", "🚫 Rút lại sự đồng ý"} <= \
        set(screen.button_labels())
    exported = citizen.tap("Gửi cho tôi thành tệp")
    assert exported.document_file_id is not None
    stored = office.fake.file_content(exported.document_file_id)
    assert stored is not None and stored[0].startswith(b"%PDF-")

    citizen.tap("Quay lại")
    warning = citizen.tap("Xóa dữ liệu của tôi")
    assert "không lấy lại được" in warning.text
    done = citizen.tap("Có, xóa")
    assert code in done.text and "giữ đến khi kết thúc" in done.text
    officer = office.person(HO_TICH_OFFICER)
    office.fake.wait_until(lambda: any(code in (m.text or "") and "yêu cầu xóa" in (m.text or "")
                                       for m in officer.messages), message=office.fake.transcript(HO_TICH_OFFICER))
    (case,) = query(office.database_url, "SELECT erasure_requested_at FROM cases WHERE code = :c", c=code)
    assert case["erasure_requested_at"] is not None


def test_the_database_and_files_are_owner_only(office: Office, citizen: Citizen) -> None:
    file_case(citizen, CATALOG["khai-tu"], ANSWERS)
    data = office.data_dir
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    stored = [path for path in (data / "files").rglob("*")]
    assert stored and all(stat.S_IMODE(p.stat().st_mode) == (0o700 if p.is_dir() else 0o600) for p in stored)
    if office.database_url.startswith("sqlite:///"):
        database = Path(office.database_url.removeprefix("sqlite:///"))
        assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_an_application_left_unfinished_is_purged_and_the_citizen_told(office: Office, citizen: Citizen) -> None:
    citizen.send("/start")
    citizen.tap("Nộp hồ sơ")
    citizen.tap("Khai tử")
    citizen.tap("Bắt đầu nộp hồ sơ")
    citizen.tap("Tôi đồng ý")
    citizen.send("Vũ Thị Bỏ Dở")
    month_later = (datetime.now(UTC) + timedelta(days=31)).isoformat()
    purged = office.cli("privacy", "purge", "--at", month_later)
    assert purged.returncode == 0 and "dialogs: 0" not in purged.stdout, purged.stdout + purged.stderr
    assert "Bỏ Dở" not in str(query(office.database_url, "SELECT dialog FROM chat_sessions WHERE chat_id = :c",
                                    c=citizen.chat_id))
    home = citizen.send("/start", expect=2)
    notice = citizen.messages[-2]
    assert "đã được xóa" in (notice.text or "") and "30 ngày" in (notice.text or ""), notice.text
    assert "Nộp hồ sơ" in " ".join(home.button_labels()) and "Tiếp tục" not in " ".join(home.button_labels())

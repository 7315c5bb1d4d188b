"""Announcements reach every subscriber once, within Telegram's limits, and never hold up a
case notification. The fake Bot API server enforces the limits here (429 with retry_after)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.db import make_engine, transaction, upgrade
from storage.models import Subscriber
from sandbox.botprocess import BotProcess
from tests.support.people import Citizen
from sandbox.botapi import FakeBotAPI
from tests.support.office import CHUNG_THUC_OFFICER, CHUNG_THUC_OFFICER_2, HO_TICH_OFFICER, STAFF_MEMBER, Office
from tests.support.walk import CATALOG, file_case

SUBSCRIBERS = range(700_000, 702_000)


def _office(make_database_url: Callable[[], str], data_dir: Path) -> Office:
    fake = FakeBotAPI()
    fake.start()
    url = make_database_url()
    upgrade(url)
    process = BotProcess(fake, url, data_dir)
    process.start()
    office = Office(fake, process, url, data_dir)
    office.register_staff()
    return office


def _subscribe(office: Office, chats: range) -> None:
    now = datetime.now(UTC)
    with transaction(make_engine(office.database_url)) as session:
        session.add_all([Subscriber(chat_id=chat, created_at=now, changed_at=now) for chat in chats])
    office.fake.register_users(chats)


def _announce(office: Office, text: str) -> Citizen:
    """From here on the fake server answers 429 like Telegram: over 30 messages a second overall,
    and, per chat, over five a second: the test's staff member taps /thongbao, sends the text and
    confirms faster than a person, and each answer is a direct reply (Telegram tolerates such short
    bursts); the outbox itself keeps one message a second per chat."""
    office.fake.enforce_limits(True, per_chat_per_second=5)
    staff = office.person(STAFF_MEMBER)
    prompt = staff.send("/thongbao")
    assert "xem trước" in prompt.text
    staff.send(text, expect=2)
    preview, confirmation = staff.messages[-2:]
    assert "Thông báo" in preview.text and preview.parse_mode == "HTML"
    assert "người" in confirmation.text
    return staff


@pytest.fixture(scope="module")
def office(make_database_url: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    office = _office(make_database_url, tmp_path_factory.mktemp("broadcast"))
    yield office
    office.process.stop()
    office.fake.stop()


def test_a_broadcast_reaches_each_subscriber_once_within_the_limits(office: Office) -> None:
    citizen = office.person(800_001)
    receipt = file_case(citizen, CATALOG["chung-thuc-ban-sao"])
    code = next(part for part in receipt.text.split() if part.startswith("HS-"))
    office.fake.wait_until(lambda: any(code in (m.text or "") and m.buttons
                                       for m in office.person(CHUNG_THUC_OFFICER).messages), timeout=20)
    _subscribe(office, SUBSCRIBERS)
    blocked, opted_out = SUBSCRIBERS[10], office.person(SUBSCRIBERS[20])
    office.fake.block_chat(blocked)
    opted_out.send("/huythongbao")
    staff = _announce(office, "<b>Thông báo</b>: lịch tiếp dân tháng 12")
    staff.tap("Gửi")

    office.fake.wait_until(lambda: len(office.fake.messages_per_chat(contains="lịch tiếp dân")) > 50, timeout=30)
    officer = office.person(CHUNG_THUC_OFFICER)
    officer.tap("Tiếp nhận", expect=2)
    before = len(office.fake.messages_per_chat(contains="lịch tiếp dân"))
    office.fake.wait_until(lambda: any("đang được xử lý" in (m.text or "") for m in citizen.messages), timeout=20)
    meanwhile = len(office.fake.messages_per_chat(contains="lịch tiếp dân")) - before
    still_to_go = len(SUBSCRIBERS) - before - meanwhile
    assert still_to_go > 100, "the case notification must not wait for the broadcast"
    assert meanwhile <= 60, f"{meanwhile} announcement messages went ahead of the case notification (two seconds' worth)"

    never_asked_for_them = {HO_TICH_OFFICER, CHUNG_THUC_OFFICER, CHUNG_THUC_OFFICER_2, citizen.chat_id}
    office.fake.fail_next(3, status=502, method="sendMessage")
    expected = set(SUBSCRIBERS) - {blocked, opted_out.chat_id}
    office.fake.wait_until(lambda: set(office.fake.messages_per_chat(contains="lịch tiếp dân")) >= expected,
                           timeout=150)
    office.fake.wait_until(lambda: any("hoàn tất" in (m.text or "") for m in staff.messages), timeout=20)
    counts = office.fake.messages_per_chat(contains="lịch tiếp dân")
    assert all(counts[chat] == 1 for chat in expected), "exactly once"
    assert counts[STAFF_MEMBER] == 1, "the author saw the preview; /start did not subscribe them"
    assert opted_out.chat_id not in counts and blocked not in counts
    assert not never_asked_for_them & set(counts), "starting the bot or filing a case subscribes nobody"
    assert office.fake.limit_violations == [], "\n".join(office.fake.limit_violations)
    with transaction(make_engine(office.database_url)) as session:
        row = session.get(Subscriber, blocked)
        assert row is not None and row.blocked and not row.subscribed
    listed = json.loads(office.cli("broadcasts", "list", "--format", "json").stdout)
    assert listed[0]["status"] == "done" and listed[0]["failed"] == 1 and listed[0]["sent"] == len(expected)
    final = next(m for m in reversed(staff.messages) if "hoàn tất" in (m.text or ""))
    assert str(len(expected)) in final.text
    office.fake.assert_no_violations()


def test_opting_out_and_back_in(office: Office) -> None:
    person = office.person(801_001)
    person.send("/start")
    assert "/nhanthongbao" in person.send("/huythongbao").text
    assert "/huythongbao" in person.send("/nhanthongbao").text
    with transaction(make_engine(office.database_url)) as session:
        row = session.get(Subscriber, 801_001)
        assert row is not None and row.subscribed


def test_only_staff_announce_and_composing_can_be_cancelled(office: Office) -> None:
    citizen = office.person(801_002)
    citizen.send("/start")
    assert "dành cho cán bộ văn phòng" in citizen.send("/thongbao").text
    officer = office.person(CHUNG_THUC_OFFICER)
    assert "dành cho cán bộ văn phòng" in officer.send("/thongbao").text
    staff = office.person(STAFF_MEMBER)
    staff.send("/thongbao")
    assert "Đã hủy" in staff.tap("Hủy").text
    assert "ket hon" not in " ".join(m.text or "" for m in staff.messages[-1:])


def test_a_stopped_bot_resumes_the_broadcast_without_duplicates(make_database_url: Callable[[], str],
                                                                  tmp_path: Path) -> None:
    office = _office(make_database_url, tmp_path / "bot")
    try:
        chats = range(900_000, 900_150)
        _subscribe(office, chats)
        staff = _announce(office, "Thông báo: cắt điện chiều thứ Bảy")
        staff.tap("Gửi")
        office.fake.wait_until(lambda: len(office.fake.messages_per_chat(contains="cắt điện")) > 30, timeout=30)
        office.process.stop()
        delivered = len(office.fake.messages_per_chat(contains="cắt điện"))
        assert delivered < len(chats), "stopped mid-broadcast"
        office.process.start()
        office.fake.wait_until(lambda: set(office.fake.messages_per_chat(contains="cắt điện")) >= set(chats), timeout=60)
        office.fake.wait_idle()
        counts = office.fake.messages_per_chat(contains="cắt điện")
        assert all(counts[chat] == 1 for chat in chats)
        assert office.fake.limit_violations == []
    finally:
        office.process.stop()
        office.fake.stop()

"""Urgent announcements, end to end: a staff member marks an announcement urgent on its preview,
sees what it will cost before confirming, and it goes ahead of every other announcement, as
Telegram's paid broadcast when the office enabled it. The fake Bot API server enforces
Telegram's limits, the higher one for paid sends included, and refuses captions and texts
longer than Telegram's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from storage.db import make_engine, transaction
from storage.models import Subscriber
from tests.support.office import STAFF_MEMBER, Office, running_office
from tests.support.people import JPEG

SUBSCRIBERS = range(600_000, 600_300)
SECOND_STAFF_MEMBER = 505
STORM = "Bão số 3 đổ bộ đêm nay. " * 80
"""A caption of 1,920 characters: longer than the 1,024 Telegram allows with a photo."""


def _subscribe(office: Office) -> None:
    now = datetime.now(UTC)
    with transaction(make_engine(office.database_url)) as session:
        session.add_all([Subscriber(chat_id=chat, created_at=now, changed_at=now) for chat in SUBSCRIBERS])
    office.fake.register_users(SUBSCRIBERS)
    # As in test_broadcast, a burst in one chat is tolerated: the test's staff member taps faster than a
    # person, and gets the preview (a photo and its long caption as text), two confirmations, the progress
    # message and, being a subscriber too, the announcement, within a second or two.
    office.fake.enforce_limits(True, per_chat_per_second=8)


def _delivered(office: Office, text: str) -> set[int]:
    return set(office.fake.messages_per_chat(contains=text)) & set(SUBSCRIBERS)


def test_an_urgent_announcement_goes_as_a_paid_broadcast_after_its_cost_is_shown(
        make_database_url: Callable[[], str], tmp_path: Path) -> None:
    with running_office(make_database_url, tmp_path, allow_paid_broadcast="true") as office:
        _subscribe(office)
        staff = office.person(STAFF_MEMBER)
        staff.send("/nhanthongbao")  # a subscriber too, to see what of theirs is paid
        staff.send("/thongbao")
        before = len(staff.messages)
        office.fake.send_photo(STAFF_MEMBER, JPEG, caption=STORM)
        office.fake.wait_for_messages(STAFF_MEMBER, before + 3)
        photo, text, confirmation = staff.messages[-3:]
        assert photo.photo_file_id and not photo.text, "the caption is too long to go with the photo"
        assert "Bão số 3" in text.text and len(text.text) > 1024
        assert "301 người" in confirmation.text and "Thời gian gửi dự kiến" in confirmation.text  # and the staff member
        urgent = staff.tap("Khẩn cấp")
        assert "Thông báo khẩn" in urgent.text and "trả phí" in urgent.text
        assert "29,2 Telegram Stars" in urgent.text, "301 messages at up to 980 a second: 9 free, 292 × 0.1 Star"
        first = next(m for m in staff.messages if m.message_id == confirmation.message_id)
        assert not first.buttons, "the first confirmation gives way to this one"
        staff.tap("Gửi khẩn")
        assert "khẩn" in staff.last.text

        office.fake.wait_until(lambda: _delivered(office, "Bão số 3") == set(SUBSCRIBERS), timeout=60)
        office.fake.wait_until(lambda: any("hoàn tất" in (m.text or "") for m in staff.messages), timeout=20)
        sends = [r for r in office.fake.requests if r.status == 200 and r.params.get("chat_id") in SUBSCRIBERS]
        assert {r.method for r in sends} == {"sendPhoto", "sendMessage"} and len(sends) == 2 * len(SUBSCRIBERS)
        assert all(r.params.get("allow_paid_broadcast") is True for r in sends)
        staff_sends = [r for r in office.fake.requests if r.status == 200 and r.params.get("chat_id") == STAFF_MEMBER
                       and r.method.startswith("send")]
        paid = [r.params.get("allow_paid_broadcast") is True for r in staff_sends]
        assert paid.count(True) == 2 and len(paid) > 6, "the staff member, a subscriber too: only the broadcast is paid"
        assert office.fake.limit_violations == [], "\n".join(office.fake.limit_violations)
        office.fake.assert_no_violations()


def test_without_paid_broadcasts_an_urgent_announcement_overtakes_the_others(
        make_database_url: Callable[[], str], tmp_path: Path) -> None:
    with running_office(make_database_url, tmp_path) as office:
        _subscribe(office)
        colleague = office.add_staff(SECOND_STAFF_MEMBER, "Văn Phòng Hai", "staff")
        # The urgent announcement is written first and confirmed while the other one is going out,
        # so that only one tap separates the two, however slow this machine.
        colleague.send("/thongbao")
        colleague.send("Cảnh báo lũ quét", expect=2)
        urgent = colleague.tap("Khẩn cấp")
        assert "tốc độ thường" in urgent.text and "Stars" not in urgent.text

        staff = office.person(STAFF_MEMBER)
        staff.send("/thongbao")
        staff.send("Lịch tiếp dân tháng 12", expect=2)
        staff.tap("Gửi")
        office.fake.wait_until(lambda: len(_delivered(office, "Lịch tiếp dân")) >= 20, timeout=30)
        colleague.tap("Gửi khẩn")
        when_confirmed = len(_delivered(office, "Lịch tiếp dân"))
        office.fake.wait_until(lambda: _delivered(office, "Cảnh báo lũ") == set(SUBSCRIBERS), timeout=60)
        meanwhile = len(_delivered(office, "Lịch tiếp dân")) - when_confirmed
        assert when_confirmed + meanwhile < len(SUBSCRIBERS)
        assert meanwhile < 50, f"{meanwhile} of the earlier announcement went out while the urgent one did"
        office.fake.wait_until(lambda: _delivered(office, "Lịch tiếp dân") == set(SUBSCRIBERS), timeout=60)
        assert not any(r.params.get("allow_paid_broadcast") for r in office.fake.requests)
        assert office.fake.limit_violations == [], "\n".join(office.fake.limit_violations)
        office.fake.assert_no_violations()

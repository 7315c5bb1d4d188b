"""The pieces of "personal data kept as promised" that need no database: the retention rule, the
consent notice that states it, what an officers' group sees, the announcements question, the
downloads that are never made, and files made owner-only."""

from __future__ import annotations

import asyncio
import os
import stat
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.announcements.presses import Subscribe, Unsubscribe
from bot.announcements.subscriptions import Announcements
from bot.cases.cards import group_card
from bot.cases.presses import OfficerAction, OfficerPress
from bot.conversation.home import home
from bot.privacy.owner_only import UMASK, restrict_existing, restrict_new_files
from bot.privacy.presses import DataAction, DataPress
from bot.privacy.retention import Retention, months_after, months_before
from bot.settings import Settings
from dialogs.model import IncomingFile
from dialogs.output import Reply
from dialogs.prompts import consent
from dialogs.steps import CONSENT, REQUIREMENTS
from handlers.files import QUOTA_REACHED, fetch_all
from locales import get_translator
from storage.files import FileStore, Incoming
from storage.models import Case
from tests.support.engine_chat import CATALOG, KHAI_SINH, Chat, context, labels, text, vi, walk_to
from tests.support.people import JPEG

VI = get_translator("vi")


# ----- the retention rule ---------------------------------------------------------------------


@pytest.mark.parametrize(("moment", "months", "expected"), [
    (datetime(2027, 12, 2, 9, tzinfo=UTC), 12, datetime(2026, 12, 2, 9, tzinfo=UTC)),
    (datetime(2027, 3, 31, tzinfo=UTC), 1, datetime(2027, 2, 28, tzinfo=UTC)),  # no 31 February
    (datetime(2028, 3, 31, tzinfo=UTC), 1, datetime(2028, 2, 29, tzinfo=UTC)),
    (datetime(2027, 1, 15, tzinfo=UTC), 13, datetime(2025, 12, 15, tzinfo=UTC)),
])
def test_months_are_calendar_months(moment: datetime, months: int, expected: datetime) -> None:
    assert months_before(moment, months) == expected
    assert months_after(expected, months).date() <= moment.date()


def test_the_retention_rule_comes_from_the_settings() -> None:
    settings = Settings(_env_file=None, retention_months=6, abandoned_dialog_days=10)  # type: ignore[call-arg]
    retention = Retention.of(settings)
    closed = datetime(2026, 12, 1, tzinfo=UTC)
    assert retention.kept_until(closed) == datetime(2027, 6, 1, tzinfo=UTC)
    assert retention.closed_before(datetime(2027, 6, 2, tzinfo=UTC)) > closed
    assert retention.abandoned_before(datetime(2026, 12, 11, tzinfo=UTC)) == closed


def test_the_consent_notice_states_the_configured_periods_and_how_to_exercise_the_rights() -> None:
    chat = Chat()
    walk_to(chat, KHAI_SINH, REQUIREMENTS)
    assert chat.state is not None
    ctx = replace(context(), retention_months=6, abandoned_days=10)
    notice = text(consent(chat.state.model_copy(update={"step": CONSENT}), KHAI_SINH, ctx))
    assert "6 tháng sau khi kết thúc" in notice and "quá 10 ngày" in notice
    assert "/dulieu" in notice and "trực tiếp giải quyết hồ sơ" in notice


# ----- officers' groups -------------------------------------------------------------------------


def test_a_group_sees_the_case_code_procedure_due_date_and_buttons_only() -> None:
    answers = {"full_name": "Nguyễn Thị Mơ", "cccd": "001190000999", "phone": "0912999999",
               "address": "Xóm Đồng Chín", "supplements": ["Số nhà: 9 Xóm Đồng Chín"]}
    case = Case(id=7, code="HS-261201-0007", procedure_id="khai-sinh", field_id="ho-tich", chat_id=123_456,
                status="submitted", applicant_name=answers["full_name"], applicant_data=answers, language="vi",
                created_at=datetime(2026, 12, 1, tzinfo=UTC), due_date=date(2026, 12, 3), version=1)
    card = group_card(case, CATALOG, VI, date(2026, 12, 1))
    shown = text(card) + " ".join(labels(card))
    assert case.code in shown and KHAI_SINH.title.vi in shown and VI.weekday_date(case.due_date) in shown
    assert not any(value in shown for value in ("Mơ", "001190000999", "0912999999", "Đồng Chín", "123456"))
    assert not card.attachments
    presses = [button.payload for row in card.buttons for button in row]
    assert OfficerPress(7, 1, OfficerAction.VIEW).encode() in presses
    assert OfficerPress(7, 1, OfficerAction.ACCEPT).encode() in presses


# ----- the home screen: announcements asked once, data rights one tap away -------------------------


def _home(announcements: Announcements | None) -> Reply:
    return home(None, CATALOG, VI, "UBND thị trấn Tây Đằng", announcements)


def test_the_first_greeting_asks_about_announcements_with_two_buttons() -> None:
    asked = _home(Announcements.ASK)
    assert "Ông/bà có muốn nhận **thông báo**".replace("**", "") in text(asked)
    payloads = {button.label: button.payload for row in asked.buttons for button in row}
    assert payloads[vi("🔔 Yes, send them")] == Subscribe().encode()
    assert payloads[vi("🔕 No, thank you")] == Unsubscribe().encode()
    assert payloads[vi("🔐 My data")] == DataPress(DataAction.SHOW).encode()


@pytest.mark.parametrize(("announcements", "offered", "not_offered"), [
    (Announcements.SUBSCRIBED, "🔕 Stop announcements", "🔔 Receive announcements"),
    (Announcements.NOT_SUBSCRIBED, "🔔 Receive announcements", "🔕 Stop announcements"),
])
def test_later_the_home_screen_offers_to_change_the_answer(announcements: Announcements, offered: str,
                                                           not_offered: str) -> None:
    later = _home(announcements)
    assert vi(offered) in labels(later) and vi(not_offered) not in labels(later)
    assert vi("🔔 Yes, send them") not in labels(later) and "📣" not in text(later)


def test_a_channel_without_announcements_offers_none_but_the_data_screen() -> None:
    zalo = _home(None)
    assert vi("🔐 My data") in labels(zalo)
    assert not {vi("🔔 Receive announcements"), vi("🔕 Stop announcements")} & set(labels(zalo))


# ----- downloads that are never made ------------------------------------------------------------


class Channel:
    """A channel whose files are JPEG pages; it records what was downloaded."""

    def __init__(self) -> None:
        self.fetched: list[str] = []

    async def fetch(self, file: IncomingFile, into: Incoming) -> None:
        self.fetched.append(file.file_id)
        into.write(JPEG)


def _photos(count: int) -> tuple[IncomingFile, ...]:
    return tuple(IncomingFile("photo", f"p{n}", f"u{n}", len(JPEG)) for n in range(count))


def _fetch(files: tuple[IncomingFile, ...], tmp_path: Path, *, pages_left: int, bytes_left: int,
           channel: Channel) -> tuple[IncomingFile, ...]:
    document = KHAI_SINH.document("giay_chung_sinh")
    return asyncio.run(fetch_all(channel, files, document, FileStore(tmp_path), context(),  # type: ignore[arg-type]
                                 pages_left=pages_left, bytes_left=bytes_left))


def test_pages_beyond_the_document_s_limit_are_not_downloaded(tmp_path: Path) -> None:
    channel = Channel()
    fetched = _fetch(_photos(5), tmp_path, pages_left=2, bytes_left=10**9, channel=channel)
    assert channel.fetched == ["p0", "p1"]
    assert [f.sha256 is not None for f in fetched] == [True, True, False, False, False]
    chat = Chat()
    walk_to(chat, KHAI_SINH, "doc:giay_chung_sinh")
    chat.files(*fetched[:2])
    chat.files(*(replace(f, sha256=str(n) * 64, stored_size=9) for n, f in enumerate(_photos(2))))
    reply = chat.files(*fetched[2:])
    assert "tối đa 4 trang" in text(reply), "the engine names the limit, not a failed download"


def test_a_chat_over_its_quota_is_told_and_nothing_is_downloaded(tmp_path: Path) -> None:
    channel = Channel()
    unannounced = replace(_photos(3)[2], size=None)  # Zalo does not say how large a photo is
    fetched = _fetch((*_photos(2), unannounced), tmp_path, pages_left=4, bytes_left=len(JPEG) + 1, channel=channel)
    assert channel.fetched == ["p0", "p2"], "a page announced too large is not fetched; another is cut at the quota"
    assert fetched[0].sha256 is not None
    assert [f.problem for f in fetched[1:]] == [QUOTA_REACHED, QUOTA_REACHED]
    assert not any(path.name.startswith(".incoming") for path in tmp_path.rglob("*")), "the cut download is gone"
    chat = Chat()
    walk_to(chat, KHAI_SINH, "doc:giay_chung_sinh")
    reply = chat.files(*fetched)
    assert VI.gettext(QUOTA_REACHED) in text(reply)


# ----- owner-only files ----------------------------------------------------------------------------


def test_data_made_by_an_earlier_version_is_made_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    files = data / "files" / "ab"
    files.mkdir(parents=True)
    page = files / ("ab" + "0" * 62)
    page.write_bytes(b"x")
    database = data / "motcua.db"
    database.write_bytes(b"")
    unrelated = data / "README.txt"
    unrelated.write_text("the installer's note")
    for path, mode in ((data, 0o755), (data / "files", 0o755), (files, 0o755), (page, 0o644), (database, 0o644),
                       (unrelated, 0o644)):
        path.chmod(mode)
    restrict_existing(Settings(_env_file=None, data_dir=data))  # type: ignore[call-arg]
    modes = {path: stat.S_IMODE(path.stat().st_mode) for path in (data, data / "files", files, page, database,
                                                                   unrelated)}
    assert modes == {data: 0o700, data / "files": 0o700, files: 0o700, page: 0o600, database: 0o600,
                     unrelated: 0o644}


def test_new_files_are_owner_only() -> None:
    previous = os.umask(0o022)
    try:
        restrict_new_files()
        assert os.umask(previous) == UMASK
    finally:
        os.umask(previous)

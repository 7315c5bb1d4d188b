"""Citizens look up their own cases, and learn nothing about anyone else's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from bot.cases.status import CaseStatus
from bot.cases.lookup import CaseLookup
from bot.cases.presses import SendSupplement, ShowCase
from dialogs.output import Reply
from handlers.telegram.render import html
from dialogs.steps import Navigate, Place
from bot.cases.qr import case_link, qr_png
from locales import get_translator
from storage.db import transaction
from storage.models import Case, CaseEvent
from tests.support.walk import CATALOG

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
OWNER, STRANGER = 501, 502
FILED = datetime(2026, 11, 27, 1, 30, tzinfo=UTC)
REFUSED_AT = datetime(2026, 11, 27, 3, 5, tzinfo=UTC)  # 10:05 at the desk
DUE = date(2026, 11, 30)


@pytest.fixture
def lookup(db: Engine) -> CaseLookup:
    return CaseLookup(db, CATALOG, TZ, "HS")


def add_case(db: Engine, code: str, chat_id: int, *, procedure_id: str = "khai-tu", created: datetime = FILED,
             events: tuple[tuple[CaseStatus, datetime, str | None], ...] = ()) -> int:
    """A case as the bot files it (a first 'submitted' event), then the given status changes."""
    with transaction(db) as session:
        procedure = CATALOG[procedure_id]
        status = events[-1][0] if events else CaseStatus.SUBMITTED
        case = Case(code=code, procedure_id=procedure_id, field_id=procedure.field.id, chat_id=chat_id,
                    status=status, applicant_name="Nguyễn Văn An", language="vi", created_at=created, due_date=DUE)
        session.add(case)
        session.flush()
        assert case.id is not None
        previous: str | None = None
        for target, at, note in ((CaseStatus.SUBMITTED, created, None), *events):
            session.add(CaseEvent(case_id=case.id, at=at, actor=f"citizen:{chat_id}", from_status=previous,
                                  to_status=target, note=note))
            previous = target
        return case.id


def payloads(reply: Reply) -> list[str]:
    return [button.payload for row in reply.buttons for button in row]


def test_the_owner_sees_status_due_date_and_the_last_action_with_its_note(db: Engine, lookup: CaseLookup) -> None:
    add_case(db, "HS-261127-0001", OWNER, events=(
        (CaseStatus.REFUSED, REFUSED_AT, "Giấy báo tử không hợp lệ <bản chụp mờ>"),))
    vi = get_translator("vi")
    text = html(lookup.show(OWNER, "HS-261127-0001", "vi").full_text)
    assert "HS-261127-0001" in text
    assert CATALOG["khai-tu"].title.vi in text
    assert vi.gettext("Refused") in text and vi.gettext("Refused") != "Refused"
    assert vi.weekday_date(DUE) in text and "Thứ hai" in text
    assert vi.datetime(REFUSED_AT.astimezone(TZ)) in text and "10:05" in text
    assert "Giấy báo tử không hợp lệ &lt;bản chụp mờ&gt;" in text


def test_a_case_waiting_for_documents_offers_to_send_them(db: Engine, lookup: CaseLookup) -> None:
    case_id = add_case(db, "HS-261127-0002", OWNER, events=(
        (CaseStatus.AWAITING_SUPPLEMENT, REFUSED_AT, "Bản sao giấy chứng tử"),))
    reply = lookup.show(OWNER, "HS-261127-0002", "vi")
    assert "Bản sao giấy chứng tử" in html(reply.full_text)
    assert SendSupplement(case_id).encode() in payloads(reply)


def test_another_chat_gets_exactly_the_text_of_an_unknown_code(db: Engine, lookup: CaseLookup) -> None:
    case_id = add_case(db, "HS-261127-0001", OWNER, events=((CaseStatus.REFUSED, REFUSED_AT, "Lý do riêng"),))
    add_case(db, "HS-261127-0009", STRANGER, procedure_id="khai-sinh")
    by_code = lookup.show(STRANGER, "HS-261127-0001", "vi")
    by_button = lookup.show_by_id(STRANGER, case_id, "vi")
    with transaction(db) as session:
        session.delete(session.get(Case, case_id))
    assert lookup.show(STRANGER, "HS-261127-0001", "vi") == by_code
    assert lookup.show_by_id(STRANGER, case_id, "vi") == by_button
    for reply in (by_code, by_button):
        assert "Lý do riêng" not in html(reply.full_text)
        assert CATALOG["khai-tu"].title.vi not in html(reply.full_text)
        assert "HS-261127-0009" in html(reply.full_text), "the stranger is shown their own cases instead"
    assert lookup.show_by_id(STRANGER, 2**40, "vi") == lookup.show_by_id(STRANGER, 0, "vi") == by_button


def test_codes_are_matched_whatever_the_case_and_spacing(db: Engine, lookup: CaseLookup) -> None:
    add_case(db, "HS-261127-0001", OWNER)
    expected = lookup.show(OWNER, "HS-261127-0001", "vi")
    assert get_translator("vi").gettext("Submitted") in expected.full_text
    assert lookup.show(OWNER, "  hs-261127-0001 ", "vi") == expected
    assert lookup.show(OWNER, "Hs-261127- 0001", "vi") == expected
    assert lookup.show(OWNER, "hs 261127 0001", "vi") == expected


@pytest.mark.parametrize(("typed", "is_code"), [
    ("HS-261127-0001", True), (" hs 261127 0001 ", True), ("hs2611270001", True), ("HS-261127-12345", True),
    ("261127-0001", False), ("XY-261127-0001", False), ("0912345678", False), ("0912 345 678", False),
    ("khai sinh", False), ("HS-2611-0001", False),
])
def test_a_code_typed_on_its_own_is_recognised_with_the_offices_prefix(lookup: CaseLookup, typed: str,
                                                                        is_code: bool) -> None:
    assert lookup.is_code(typed) is is_code


def test_without_a_prefix_a_code_needs_its_dash_since_ten_digits_are_a_phone_number(db: Engine) -> None:
    bare = CaseLookup(db, CATALOG, TZ, "")
    assert bare.is_code("261127-0001") and bare.is_code("261127 - 0001")
    assert not bare.is_code("2611270001") and not bare.is_code("HS-261127-0001")


def test_my_cases_lists_the_newest_first_with_a_button_each(db: Engine, lookup: CaseLookup) -> None:
    older = add_case(db, "HS-261126-0004", OWNER, procedure_id="khai-sinh", created=FILED - timedelta(days=1))
    newer = add_case(db, "HS-261127-0001", OWNER, events=((CaseStatus.IN_PROGRESS, REFUSED_AT, None),))
    add_case(db, "HS-261127-0002", STRANGER)
    reply = lookup.mine(OWNER, "vi")
    text = html(reply.full_text)
    assert text.index("HS-261127-0001") < text.index("HS-261126-0004")
    assert "HS-261127-0002" not in text
    assert get_translator("vi").gettext("In progress") in text and get_translator("vi").date(DUE) in text
    assert [(b.label, b.payload) for row in reply.buttons for b in row] == [
        ("HS-261127-0001", ShowCase(newer).encode()), ("HS-261126-0004", ShowCase(older).encode())]
    assert lookup.show_by_id(OWNER, older, "vi") == lookup.show(OWNER, "HS-261126-0004", "vi")


def test_my_cases_shows_at_most_ten(db: Engine, lookup: CaseLookup) -> None:
    for number in range(1, 13):
        add_case(db, f"HS-261127-{number:04d}", OWNER, created=FILED + timedelta(minutes=number))
    reply = lookup.mine(OWNER, "vi")
    assert [b.label for row in reply.buttons for b in row] == [f"HS-261127-{n:04d}" for n in range(12, 2, -1)]
    assert "HS-261127-0002" not in html(reply.full_text)


def test_without_cases_my_cases_offers_to_apply(lookup: CaseLookup) -> None:
    reply = lookup.mine(OWNER, "vi")
    assert payloads(reply) == [Navigate(Place.APPLY).encode()]
    assert get_translator("vi").gettext("📝 Apply") in [b.label for row in reply.buttons for b in row]


def test_the_lookup_prompt_explains_the_command_and_lists_own_cases(db: Engine, lookup: CaseLookup) -> None:
    assert "/tracuu" in html(lookup.prompt(OWNER, "vi").full_text)
    assert lookup.prompt(OWNER, "vi").buttons == ()
    case_id = add_case(db, "HS-261127-0001", OWNER)
    reply = lookup.prompt(OWNER, "vi")
    assert "/tracuu HS-261127-0001" in html(reply.full_text)
    assert payloads(reply) == [ShowCase(case_id).encode()]


def test_english_chats_read_english_labels(db: Engine, lookup: CaseLookup) -> None:
    add_case(db, "HS-261127-0001", OWNER, events=((CaseStatus.REFUSED, REFUSED_AT, "Wrong form"),))
    text = html(lookup.show(OWNER, "HS-261127-0001", "en").full_text)
    assert "Refused" in text and "Mới tiếp nhận" not in text and "Từ chối" not in text
    assert CATALOG["khai-tu"].title.get("en") in text
    assert "Reason: Wrong form" in text
    assert "Monday" in text
    assert "Refused" in html(lookup.mine(OWNER, "en").full_text)


def test_the_qr_code_is_a_png() -> None:
    image = qr_png(case_link("motcua_bot", "HS-261127-0001"))
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(image[16:20], "big"), int.from_bytes(image[20:24], "big")
    assert width == height >= 200, "large enough to scan from a printed receipt"


def test_the_case_link_opens_the_bot_on_the_case() -> None:
    assert case_link("motcua_bot", "HS-261127-0001") == "https://t.me/motcua_bot?start=c_HS-261127-0001"

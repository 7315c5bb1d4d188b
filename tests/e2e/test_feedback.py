"""Citizens rate delivered cases and send feedback; office staff answer it. End to end through
the fake Bot API: replies to the bot's ForceReply prompts are real Telegram replies (a message
carrying `reply_to_message`)."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterator

import pytest

from bot.feedback.presses import AnswerPress, FeedbackMenu, RatePress
from tests.support.people import JPEG, Citizen
from sandbox.botapi import BotMessage
from tests.support.office import CHUNG_THUC_OFFICER, STAFF_MEMBER, Office, running_office
from tests.e2e.test_officers import card_for, citizen_sees, file
from tests.support.walk import query


@pytest.fixture(scope="module")
def office(make_database_url: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    with running_office(make_database_url, tmp_path_factory.mktemp("feedback-office")) as office:
        yield office



_citizens = itertools.count(40_001)
_message_ids = itertools.count(800_000_000)  # far above the fake server's own counter


@pytest.fixture
def citizen(office: Office, clean_contract: None) -> Citizen:
    return office.person(next(_citizens))


# ----- helpers ---------------------------------------------------------------------------------


def reply(office: Office, person: Citizen, target: BotMessage, text: str | None = None, *,
          photo: bytes | None = None, caption: str | None = None, expect: int = 1) -> BotMessage:
    """The person answers `target` with Telegram's reply function (as a ForceReply prompt
    makes them do): a text, or a photo with an optional caption."""
    content: dict[str, object] = {}
    if photo is not None:
        small, full = office.fake.add_file(photo), office.fake.add_file(photo)
        content["photo"] = [
            {"file_id": small.file_id, "file_unique_id": small.file_unique_id, "file_size": small.file_size,
             "width": 90, "height": 68},
            {"file_id": full.file_id, "file_unique_id": full.file_unique_id, "file_size": full.file_size,
             "width": 1280, "height": 960},
        ]
        if caption is not None:
            content["caption"] = caption
    else:
        content["text"] = text
        if text and text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    user = {"id": person.chat_id, "is_bot": False, "first_name": "Test", "language_code": "vi"}
    message = {"message_id": next(_message_ids), "from": user,
               "chat": {"id": person.chat_id, "type": "private", "first_name": "Test"},
               "date": int(time.time()), "reply_to_message": target.raw, **content}
    before = len(person.messages)
    office.fake.push_update({"message": message})
    office.fake.wait_for_messages(person.chat_id, before + expect)
    return person.messages[-1]


def was_force_reply(office: Office, message: BotMessage) -> bool:
    """The bot sent `message` with a ForceReply keyboard (the fake keeps it out of the Message)."""
    return any(r.method == "sendMessage" and r.params.get("chat_id") == message.chat_id
               and r.params.get("text") == message.text
               and isinstance(r.params.get("reply_markup"), dict) and r.params["reply_markup"].get("force_reply")
               for r in office.fake.requests)


def deliver(office: Office, citizen: Citizen) -> str:
    """File a case and have the officer take it through to "delivered"; returns its code."""
    code = file(citizen, "chung-thuc-ban-sao")
    officer = office.person(CHUNG_THUC_OFFICER)
    card = card_for(office, CHUNG_THUC_OFFICER, code)
    officer.press(card.callback_data("Tiếp nhận"), card.message_id, expect=2)
    officer.tap("Có kết quả")
    officer.send("Mời đến quầy số 2", expect=2)
    officer.tap("Đã trả kết quả", expect=2)
    citizen_sees(office, citizen, "đã được trả")
    return code


def rating_request(office: Office, citizen: Citizen, code: str) -> BotMessage:
    def asks(m: BotMessage) -> bool:
        return code in (m.text or "") and "Rất hài lòng" in " ".join(m.button_labels())

    office.fake.wait_until(lambda: any(asks(m) for m in citizen.messages),
                           message=f"no rating request for {code}:\n{office.fake.transcript(citizen.chat_id)}")
    return next(m for m in citizen.messages if asks(m))


def rating(office: Office, code: str) -> list[dict[str, object]]:
    return query(office.database_url, "SELECT r.* FROM ratings r JOIN cases c ON c.id = r.case_id WHERE c.code = :code",
                 code=code)


def answers(office: Office, chat_id: int) -> list[str]:
    return [a.get("text", "") for a in office.fake.callback_answers(chat_id)]


def alerts(office: Office, chat_id: int) -> list[str]:
    return [a.get("text", "") for a in office.fake.callback_answers(chat_id) if a.get("show_alert")]


# ----- ratings ---------------------------------------------------------------------------------


def test_a_delivered_case_asks_for_a_rating_and_takes_a_comment(office: Office, citizen: Citizen) -> None:
    code = deliver(office, citizen)
    request = rating_request(office, citizen, code)
    assert "đánh giá" in request.text
    assert request.button_labels() == ["😊 Rất hài lòng", "🙂 Hài lòng", "🙁 Không hài lòng"]
    case_id = office.case(code)["id"]
    assert [b["callback_data"] for row in request.buttons for b in row] == [
        RatePress(case_id, score).encode() for score in (3, 2, 1)]

    prompt = citizen.tap("Rất hài lòng")
    assert code in prompt.text and "góp ý" in prompt.text and was_force_reply(office, prompt), prompt.text
    assert any("Cảm ơn" in text for text in answers(office, citizen.chat_id))
    (row,) = rating(office, code)
    assert row["score"] == 3 and row["chat_id"] == citizen.chat_id and row["comment"] is None
    spent = next(m for m in citizen.messages if m.message_id == request.message_id)
    assert not spent.buttons, "the rating buttons are removed once used"

    comment = "Cán bộ hướng dẫn rất tận tình, <b>cảm ơn</b> & chúc sức khỏe"
    thanks = reply(office, citizen, prompt, comment)
    assert "ghi nhận" in thanks.text and code in thanks.text
    assert rating(office, code)[0]["comment"] == comment

    again = reply(office, citizen, prompt, "Góp ý lần hai")
    assert "rồi" in again.text
    assert rating(office, code)[0]["comment"] == comment


def test_one_rating_per_case_and_only_from_its_own_chat(office: Office, citizen: Citizen) -> None:
    code = deliver(office, citizen)
    request = rating_request(office, citizen, code)
    case_id = office.case(code)["id"]
    # Two taps at once (a double tap): exactly one counts.
    office.fake.press(citizen.chat_id, RatePress(case_id, 1).encode(), message_id=request.message_id)
    office.fake.press(citizen.chat_id, RatePress(case_id, 3).encode(), message_id=request.message_id)
    office.fake.wait_answered()
    office.fake.wait_idle()
    (row,) = rating(office, code)
    assert row["score"] == 1
    assert sum("đã đánh giá hồ sơ này rồi" in text for text in alerts(office, citizen.chat_id)) == 1
    prompts = [m for m in citizen.messages if code in (m.text or "") and "góp ý" in (m.text or "")]
    assert len(prompts) == 1, office.fake.transcript(citizen.chat_id)

    # A later tap changes nothing.
    office.fake.press(citizen.chat_id, RatePress(case_id, 2).encode(), message_id=request.message_id)
    office.fake.wait_answered()
    office.fake.wait_idle()
    assert [r["score"] for r in rating(office, code)] == [1]
    assert sum("đã đánh giá hồ sơ này rồi" in text for text in alerts(office, citizen.chat_id)) == 2

    # Someone else's chat, and forged payloads, are refused.
    stranger = office.person(next(_citizens))
    stranger.send("/start")
    for intruder, data in ((stranger, f"r.{case_id}.3"), (citizen, "r.999999.3"), (citizen, f"r.{case_id}.7"),
                           (citizen, "r.abc.3"), (citizen, f"r.{case_id}.3.1"), (citizen, "r.-1.3"),
                           (stranger, RatePress(case_id, 3).encode()), (citizen, f"rate:{case_id}:7"),
                           (citizen, "rate:abc:3"), (citizen, f"rate:{case_id}:3:1")):
        office.fake.press(intruder.chat_id, data, message_id=intruder.last.message_id)
    office.fake.wait_answered()
    office.fake.wait_idle()
    assert [r["score"] for r in rating(office, code)] == [1]
    assert any("không có quyền" in text for text in alerts(office, stranger.chat_id))
    assert sum("không có quyền" in text for text in alerts(office, citizen.chat_id)) == 8
    denied = query(office.database_url, "SELECT * FROM denied_actions WHERE telegram_id IN (:a, :b) "
                   "AND (data LIKE 'r.%' OR data LIKE 'rate:%')", a=citizen.chat_id, b=stranger.chat_id)
    assert len(denied) == 10
    assert not query(office.database_url, "SELECT * FROM ratings WHERE chat_id = :s", s=stranger.chat_id)


def test_a_case_that_is_not_delivered_cannot_be_rated(office: Office, citizen: Citizen) -> None:
    code = file(citizen, "chung-thuc-ban-sao")
    case_id = office.case(code)["id"]
    office.fake.press(citizen.chat_id, RatePress(case_id, 3).encode(), message_id=citizen.last.message_id)
    office.fake.wait_answered()
    office.fake.wait_idle()
    assert any("không có quyền" in text for text in alerts(office, citizen.chat_id))
    assert not rating(office, code)


# ----- feedback --------------------------------------------------------------------------------


def test_feedback_round_trip_with_a_photo(office: Office, citizen: Citizen) -> None:
    citizen.send("/start")
    prompt = citizen.press(FeedbackMenu().encode(), citizen.last.message_id)
    assert "góp ý, phản ánh" in prompt.text and was_force_reply(office, prompt), prompt.text
    assert citizen.send("/gopy").text == prompt.text

    warned = reply(office, citizen, prompt, photo=JPEG, expect=2)
    assert warned.text == prompt.text and "⚠️" in citizen.messages[-2].text, "a photo alone is asked about again"

    text = "Đèn đường thôn 3 bị hỏng <script>alert(1)</script> & tối om"
    thanks = reply(office, citizen, prompt, photo=JPEG, caption=text)
    match = re.search(r"#(\d+)", thanks.text)
    assert match and "Cảm ơn" in thanks.text, thanks.text
    feedback_id = int(match.group(1))
    (row,) = query(office.database_url, "SELECT * FROM feedback WHERE id = :id", id=feedback_id)
    assert row["chat_id"] == citizen.chat_id and row["text"] == text and row["answer"] is None
    photo_file_id = row["photo_file_id"]
    assert photo_file_id and photo_file_id.startswith("FAKE")

    staff = office.person(STAFF_MEMBER)
    office.fake.wait_until(lambda: any(AnswerPress(feedback_id).encode() in str(m.buttons) for m in staff.messages),
                           message=office.fake.transcript(STAFF_MEMBER))
    card = next(m for m in staff.messages if AnswerPress(feedback_id).encode() in str(m.buttons))
    assert text in card.text and f"#{feedback_id}" in card.text, "the citizen's text, shown as written"
    assert str(citizen.chat_id) not in card.text and "Test" not in card.text
    assert card.callback_data("Trả lời") == AnswerPress(feedback_id).encode()
    sent_photos = [r for r in office.fake.requests if r.method == "sendPhoto" and r.params.get("chat_id") == STAFF_MEMBER]
    assert any(r.params.get("photo") == photo_file_id and not r.files for r in sent_photos), \
        "staff get the photo by file_id, without uploading it again"
    assert any(m.photo_file_id == photo_file_id for m in staff.messages)
    office.fake.wait_idle()
    assert not any(f"#{feedback_id}" in (m.text or "") for m in office.person(CHUNG_THUC_OFFICER).messages), \
        "officers do not handle feedback"

    # An officer, or the citizen, pressing "Answer" is refused and nothing changes.
    for intruder in (CHUNG_THUC_OFFICER, citizen.chat_id):
        office.fake.press(intruder, AnswerPress(feedback_id).encode(), message_id=office.person(intruder).last.message_id)
    office.fake.wait_answered()
    office.fake.wait_idle()
    assert any("không có quyền" in text for text in alerts(office, CHUNG_THUC_OFFICER))
    assert any("không có quyền" in text for text in alerts(office, citizen.chat_id))

    asked = staff.press(card.callback_data("Trả lời"), card.message_id)
    assert f"#{feedback_id}" in asked.text and was_force_reply(office, asked), asked.text
    answer = "Xã sẽ thay đèn trong tuần này. Cảm ơn ông/bà <3"
    done = reply(office, staff, asked, answer)
    assert "đã được gửi" in done.text, done.text
    citizen_sees(office, citizen, answer)
    told = next(m for m in citizen.messages if answer in (m.text or ""))
    assert f"#{feedback_id}" in told.text and "trả lời" in told.text
    (row,) = query(office.database_url, "SELECT f.*, s.telegram_id FROM feedback f JOIN staff_members s "
                                        "ON s.id = f.answered_by WHERE f.id = :id", id=feedback_id)
    assert row["answer"] == answer and row["telegram_id"] == STAFF_MEMBER and row["answered_at"] is not None

    # A second answer, typed or started again with the button, is refused.
    late = reply(office, staff, asked, "Một câu trả lời khác")
    assert "Văn Phòng" in late.text and f"#{feedback_id}" in late.text
    again = staff.press(card.callback_data("Trả lời"), card.message_id)
    assert "Văn Phòng" in again.text
    office.fake.wait_idle()
    assert sum(f"#{feedback_id}" in (m.text or "") and "trả lời" in (m.text or "") for m in citizen.messages) == 1
    assert query(office.database_url, "SELECT answer FROM feedback WHERE id = :id", id=feedback_id)[0]["answer"] == answer


def test_a_reply_to_another_bot_message_goes_to_the_dialog(office: Office, citizen: Citizen) -> None:
    citizen.send("/start")  # the first greeting also asks about announcements; the menu is the same afterwards
    menu = citizen.send("/start")
    plain = citizen.send("khai sinh")
    replied = reply(office, citizen, menu, "khai sinh")
    assert replied.text == plain.text
    prompt = citizen.send("/gopy")
    assert reply(office, citizen, prompt, "/start").text == menu.text, "a command is never taken as feedback"
    assert not query(office.database_url, "SELECT * FROM feedback WHERE chat_id = :c", c=citizen.chat_id)

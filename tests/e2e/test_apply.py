"""A citizen files a case, end to end through the fake Bot API server and the real bot process."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from bot.forms.maker import DOCX as DOCX_MIME
from bot.forms.maker import PDF as PDF_MIME
from dialogs.catalog import FieldType
from sandbox.botapi import FakeBotAPI
from tests.conftest import RunningBot
from tests.support.people import JPEG, PDF, Citizen
from tests.support.walk import (
    CATALOG,
    TYPED_ANSWERS,
    consent,
    file_case,
    open_procedure,
    query,
)

HELD_REPLY = 120.0
"""Seconds the fake Bot API holds a reply at most; each test lets it through before then."""


def test_start_shows_the_office_and_the_main_menu(citizen: Citizen) -> None:
    menu = citizen.send("/start")
    assert "UBND thị trấn Tây Đằng" in menu.text
    labels = menu.button_labels()
    assert any("Nộp hồ sơ" in label for label in labels)
    assert any("Thủ tục" in label for label in labels)
    assert any("Ngôn ngữ" in label for label in labels)


@pytest.mark.parametrize("procedure_id", [p.id for p in CATALOG])
def test_each_procedure_can_be_filed_to_a_case(bot: RunningBot, citizen: Citizen, procedure_id: str) -> None:
    procedure = CATALOG[procedure_id]
    receipt = file_case(citizen, procedure)

    assert "Mã hồ sơ" in receipt.text
    (case,) = query(bot.database_url, "SELECT * FROM cases WHERE chat_id = :chat", chat=citizen.chat_id)
    assert case["code"] in receipt.text
    assert case["procedure_id"] == procedure_id
    assert case["status"] == "submitted"
    assert case["applicant_name"] == "Nguyễn Văn An"
    assert procedure.title.vi in receipt.text
    due = case["due_date"] if isinstance(case["due_date"], date) else date.fromisoformat(str(case["due_date"]))
    assert due.strftime("%d/%m/%Y") in receipt.text

    rows = query(bot.database_url, "SELECT * FROM case_documents WHERE case_id = :id", id=case["id"])
    forms = {d.id for d in procedure.form_documents}
    documents = [row for row in rows if row["document_id"] not in forms]
    required = [d for d in procedure.collected_documents if not d.skippable]
    assert len(documents) == len(required)
    assert sorted((row["document_id"], row["mime_type"]) for row in rows if row["document_id"] in forms) == sorted(
        (form, mime) for form in forms for mime in (PDF_MIME, DOCX_MIME)), "each filled form, as PDF and DOCX"
    for document in documents:
        stored = bot.data_dir / "files" / document["sha256"][:2] / document["sha256"]
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == document["sha256"]
        assert stored.read_bytes() == JPEG
    events = query(bot.database_url, "SELECT * FROM case_events WHERE case_id = :id", id=case["id"])
    assert [e["to_status"] for e in events] == ["submitted"]
    consents = query(bot.database_url, "SELECT * FROM consents WHERE id = :id", id=case["consent_id"])
    assert consents and consents[0]["chat_id"] == citizen.chat_id


def test_requirements_are_shown_before_anything_is_collected(citizen: Citizen) -> None:
    procedure = CATALOG["chung-thuc-tu-choi-di-san"]
    shown = open_procedure(citizen, procedure)
    assert procedure.title.vi in shown.text
    assert "Thời hạn giải quyết" in shown.text
    assert "Phí, lệ phí" in shown.text and "50.000" in shown.text
    assert "Căn cứ pháp lý" in shown.text and "Bộ luật Dân sự" in shown.text
    for document in procedure.documents:
        assert document.name.vi in shown.text
    same_day = open_procedure(citizen, CATALOG["chung-thuc-ban-sao"])
    assert "Ngày không hẹn" in same_day.text


@pytest.mark.parametrize(("typed", "procedure_id"), [
    ("dang ky khai sinh", "khai-sinh"),
    ("giấy khai sinh", "khai-sinh"),
    ("ket hon", "ket-hon"),
    ("sao y ban chinh", "chung-thuc-ban-sao"),
    ("xac nhan doc than", "xac-nhan-tinh-trang-hon-nhan"),
    ("giay khuyet tat", "xac-nhan-khuyet-tat"),
    ("Làm giấy KHAI TỬ cho bố", "khai-tu"),
])
def test_typing_what_you_want_finds_the_procedure(citizen: Citizen, typed: str, procedure_id: str) -> None:
    reply = citizen.send(typed)
    assert f"<b>{CATALOG[procedure_id].title.vi}</b>" in reply.text or reply.text.startswith(CATALOG[procedure_id].title.vi)
    assert any("Bắt đầu nộp hồ sơ" in label for label in reply.button_labels())


def test_an_ambiguous_text_offers_the_best_matches(citizen: Citizen) -> None:
    reply = citizen.send("xac nhan")
    labels = reply.button_labels()
    offered = [p for p in CATALOG if any(p.short_title.vi in label for label in labels)]
    assert 2 <= len(offered) <= 3
    assert {"xac-nhan-tinh-trang-hon-nhan", "xac-nhan-khuyet-tat"} <= {p.id for p in offered}
    chosen = citizen.tap(CATALOG["xac-nhan-khuyet-tat"].short_title.vi)
    assert CATALOG["xac-nhan-khuyet-tat"].title.vi in chosen.text


def test_text_that_matches_nothing_shows_the_whole_list(citizen: Citizen) -> None:
    outside = citizen.send("toi muon hoi ve thue dat")
    assert "chưa giúp được" in outside.text and "Tây Đằng" in outside.text, "a land matter opens no procedure"
    reply = citizen.send("cho em hoi cai nay voi")
    assert all(p.title.vi in reply.text for p in CATALOG)
    picked = citizen.send("2")
    assert list(CATALOG)[1].title.vi in picked.text


def test_invalid_answers_are_refused_with_a_reason_and_asked_again(citizen: Citizen) -> None:
    procedure = CATALOG["khai-sinh"]
    open_procedure(citizen, procedure)
    question = consent(citizen)
    name_question = procedure.applicant_field("full_name").label.vi
    assert name_question in question.text

    cases = [
        ("full_name", "An", "nguyễn thị bình"),
        ("cccd", "12345", "001190012345"),
        ("phone", "0241234567", "0987654321"),
        ("address", "x", "Xóm 2, thị trấn Tây Đằng"),
    ]
    for field_id, bad, good in cases:
        label = procedure.applicant_field(field_id).label.vi
        refused = citizen.send(bad)
        assert "⚠️" in refused.text, refused.text
        assert label in refused.text, "the same question must be asked again"
        accepted = citizen.send(good)
        assert "⚠️" not in accepted.text

    date_field = next(f for f in procedure.applicant_fields if f.type is FieldType.DATE and f.not_future)
    while date_field.label.vi not in citizen.last.text:
        field = next(f for f in procedure.applicant_fields if f.label.vi in citizen.last.text)
        if field.type is FieldType.CHOICE:
            citizen.tap(field.options[0].label.vi)
        else:
            citizen.send(TYPED_ANSWERS[field.type])
    refusals = {}
    for bad in ("31/02/2020", "hôm qua", "1/1/2999"):
        refused = citizen.send(bad)
        refusals[bad] = refused.text
        assert "⚠️" in refused.text and date_field.label.vi in refused.text
    assert len(set(refusals.values())) == 3, "each kind of mistake gets its own explanation"
    accepted = citizen.send("05-06-2026")
    assert "⚠️" not in accepted.text


def test_cccd_refusals_name_the_problem(citizen: Citizen) -> None:
    open_procedure(citizen, CATALOG["ket-hon"])
    consent(citizen)
    citizen.send("Trần Văn Cường")
    texts = [citizen.send(bad).text for bad in ("0010900123", "999090012345", "00109001234a")]
    assert all("⚠️" in text for text in texts)
    assert len(set(texts)) == 3
    assert "⚠️" not in citizen.send("001090012345").text


def test_documents_wrong_type_oversized_empty_and_fake_are_refused(bot: RunningBot, citizen: Citizen) -> None:
    procedure = CATALOG["khai-tu"]
    _walk_to_first_document(citizen, procedure)
    document = procedure.collected_documents[0]
    refusals = [
        citizen.document(b"PK\x03\x04 word", "don.docx",
                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        citizen.document(b"this is not a pdf", "scan.pdf", "application/pdf"),
        citizen.document(b"", "empty.pdf", "application/pdf"),
    ]
    big = bot.fake.add_file(b"%PDF-1.4 big", file_size=25 * 1024 * 1024)
    before = len(citizen.messages)
    bot.fake.send_document(citizen.chat_id, big, file_name="big.pdf", mime_type="application/pdf")
    bot.fake.wait_for_messages(citizen.chat_id, before + 1)
    refusals.append(citizen.last)
    for refusal in refusals:
        assert "⚠️" in refusal.text
        assert document.name.vi in refusal.text, "the same document is asked for again"
    assert "20 MB" in refusals[-1].text
    assert len({r.text for r in refusals}) == 4
    text_instead = citizen.send("đây là ảnh")
    assert "⚠️" in text_instead.text and document.name.vi in text_instead.text
    not_yet = citizen.tap("Xong")
    assert "⚠️" in not_yet.text, "a required document cannot be finished without a page"
    accepted = citizen.document(PDF, "scan.pdf", "application/pdf")
    assert "⚠️" not in accepted.text and "1 trang" in accepted.text
    getfile_ids = [r.params.get("file_id") for r in bot.fake.requests if r.method == "getFile"]
    assert big.file_id not in getfile_ids, "an oversized file is refused without downloading it"


def test_an_album_is_taken_together_and_answered_once(bot: RunningBot, citizen: Citizen) -> None:
    procedure = CATALOG["khai-tu"]
    _walk_to_first_document(citizen, procedure)
    before = len(citizen.messages)
    reply = citizen.album([JPEG, JPEG[:-10] + b"\xff\xd9" * 5, JPEG])
    citizen.quiet()
    assert len(citizen.messages) == before + 1, [m.text for m in citizen.messages[before:]]
    assert "3 trang" in reply.text


def _walk_to_first_document(citizen: Citizen, procedure) -> None:  # type: ignore[no-untyped-def]
    from tests.support.walk import answer_fields

    open_procedure(citizen, procedure)
    consent(citizen)
    answer_fields(citizen, procedure)


def test_back_cancel_and_stale_buttons(bot: RunningBot, citizen: Citizen) -> None:
    procedure = CATALOG["ket-hon"]
    open_procedure(citizen, procedure)
    first = consent(citizen)
    citizen.send("Trần Văn Cường")
    back = citizen.tap("Quay lại")
    assert procedure.applicant_fields[0].label.vi in back.text
    stale = first.callback_data("Quay lại")
    citizen.send("Trần Văn Dũng")
    earlier = citizen.press(stale, first.message_id)
    assert "câu hỏi trước" in earlier.text and procedure.applicant_fields[1].label.vi in earlier.text
    cancelled = citizen.send("/cancel")
    assert "Đã hủy" in cancelled.text
    assert not query(bot.database_url, "SELECT * FROM chat_sessions WHERE chat_id = :c AND dialog IS NOT NULL",
                     c=citizen.chat_id)
    ended = citizen.press(stale, first.message_id)
    assert "kết thúc" in ended.text
    assert any("Nộp hồ sơ" in label for label in ended.button_labels())
    assert not query(bot.database_url, "SELECT * FROM cases WHERE chat_id = :c", c=citizen.chat_id)


def test_cancel_button_and_typed_cancel(citizen: Citizen) -> None:
    open_procedure(citizen, CATALOG["khai-tu"])
    assert "Đã hủy" in citizen.tap("Hủy").text
    open_procedure(citizen, CATALOG["khai-tu"])
    consent(citizen)
    assert "Đã hủy" in citizen.send("huy").text


def test_forged_buttons_are_refused_and_the_question_repeated(citizen: Citizen) -> None:
    procedure = CATALOG["khai-sinh"]
    open_procedure(citizen, procedure)
    question = consent(citizen)
    dialog_id = question.callback_data("Quay lại").split(":")[1]
    label = procedure.applicant_fields[0].label.vi
    legacy = ("garbage", f"{dialog_id}.2.o-nam", f"{dialog_id}.2.e99", "m.nothing", f"{dialog_id}.c.khai-sinh")
    current = (f"step:{dialog_id}:2:o-nam", f"step:{dialog_id}:2:e99", "nav:nothing", f"step:{dialog_id}:c:khai-sinh",
               "step:x:y", "lang:vi")
    for forged in legacy + current:
        reply = citizen.press(forged)
        assert "⚠️" in reply.text and label in reply.text, (forged, reply.text)


def test_summary_lets_the_citizen_change_any_answer(bot: RunningBot, citizen: Citizen) -> None:
    from tests.support.walk import answer_fields, upload_documents

    procedure = CATALOG["xac-nhan-tinh-trang-hon-nhan"]
    open_procedure(citizen, procedure)
    consent(citizen)
    answer_fields(citizen, procedure)
    summary = upload_documents(citizen, procedure)
    assert "0912345678" in summary.text
    phone_label = procedure.applicant_field("phone").label.vi
    question = citizen.tap(phone_label[:20])
    assert phone_label in question.text
    again = citizen.send("0987 111 222", expect=2)
    assert "0987111222" in again.text and "0912345678" not in again.text
    assert citizen.messages[-2].document_file_id, "the form, made again with the new answer, comes with the summary"
    citizen.tap("Xác nhận nộp", expect=3)
    (case,) = query(bot.database_url, "SELECT applicant_data FROM cases WHERE chat_id = :c", c=citizen.chat_id)
    data = case["applicant_data"] if isinstance(case["applicant_data"], dict) else json.loads(case["applicant_data"])
    assert data["phone"] == "0987111222"


def test_declining_consent_stores_nothing(bot: RunningBot, citizen: Citizen) -> None:
    open_procedure(citizen, CATALOG["khai-sinh"])
    citizen.tap("Bắt đầu nộp hồ sơ")
    declined = citizen.tap("Không đồng ý")
    assert "không lưu" in declined.text
    for table in ("chat_sessions", "consents", "cases"):
        assert not query(bot.database_url, f"SELECT * FROM {table} WHERE chat_id = :c", c=citizen.chat_id), table


def test_a_repeated_update_is_processed_once(bot: RunningBot, citizen: Citizen) -> None:
    person = {"id": citizen.chat_id, "is_bot": False, "first_name": "Test"}
    update = {"update_id": 900_000_000 + citizen.chat_id, "message": {
        "message_id": 1, "date": int(time.time()), "chat": {"id": citizen.chat_id, "type": "private", "first_name": "Test"},
        "from": person, "text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    }}
    bot.fake.push_update(update)
    bot.fake.wait_for_messages(citizen.chat_id, 1)
    bot.fake.push_update(update)
    reply = citizen.send("ket hon")
    citizen.quiet()
    assert len(citizen.messages) == 2, [m.text for m in citizen.messages]
    assert CATALOG["ket-hon"].title.vi in reply.text


def test_english(citizen: Citizen) -> None:
    menu = citizen.send("/language")
    english = citizen.tap("English", expect=2)
    assert "Language: English" in citizen.messages[-2].text
    assert "Welcome" in english.text
    assert "Apply" in " ".join(english.button_labels())
    citizen.tap("Apply")
    procedure = CATALOG["chung-thuc-ban-sao"]
    requirements = citizen.tap(procedure.short_title.en or procedure.short_title.vi)
    assert procedure.title.en in requirements.text
    assert "Processing time" in requirements.text and "Fee" in requirements.text
    citizen.tap("Start the application")
    question = citizen.tap("I agree")
    assert procedure.applicant_fields[0].label.en in question.text
    refused = citizen.send("x")
    assert "⚠️" in refused.text and "name" in refused.text.lower()
    assert menu.text


def test_a_killed_bot_continues_the_dialog_after_restart(make_database_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import start_bot

    fake, process, database_url = start_bot(make_database_url, tmp_path / "bot")
    try:
        citizen = Citizen(fake, 777)
        procedure = CATALOG["ket-hon"]
        open_procedure(citizen, procedure)
        consent(citizen)
        citizen.send("Trần Văn Cường")
        citizen.send("001090012345")
        process.kill()
        process.start()
        third = procedure.applicant_fields[2].label.vi
        reply = citizen.send("0912345678")
        assert procedure.applicant_fields[3].label.vi in reply.text, reply.text
        assert third not in reply.text
        (row,) = query(database_url, "SELECT dialog FROM chat_sessions WHERE chat_id = 777")
        dialog = row["dialog"] if isinstance(row["dialog"], dict) else json.loads(row["dialog"])
        assert dialog["answers"]["cccd"] == "001090012345" and dialog["answers"]["phone"] == "0912345678"
        fake.assert_no_violations()
    finally:
        process.stop()
        fake.stop()


def _held_behind_a_slow_reply(fake: FakeBotAPI, chat: int) -> None:
    """The fake holds the bot's answer to /start (until the test lets it through), so the next
    message, fetched and confirmed by the bot, waits in the chat's lane."""
    fake.slow_chat(chat, HELD_REPLY)
    fake.send_text(chat, "/start")
    typed = fake.send_text(chat, "dang ky khai sinh")
    fake.wait_until(lambda: fake.held_sends(chat) == 1 and typed not in fake.unconfirmed_updates(), timeout=30,
                    message="the answer to /start was not held, or the next message not confirmed")
    assert not _procedure_answers(fake, chat), "the second message was handled while the first hung"


def _procedure_answers(fake: FakeBotAPI, chat: int) -> list[str]:
    return [m.text or "" for m in fake.bot_messages(chat) if "Đăng ký khai sinh" in (m.text or "")]


def _greetings(fake: FakeBotAPI, chat: int) -> list[str]:
    return [m.text or "" for m in fake.bot_messages(chat) if "Đăng ký khai sinh" not in (m.text or "")]


def test_messages_fetched_but_unhandled_when_the_bot_is_killed_are_answered_after_restart(  # type: ignore[no-untyped-def]
        make_database_url, tmp_path: Path) -> None:
    """Long polling: python-telegram-bot confirms what it fetched to Telegram at its next call,
    before it is handled, and Telegram never gives a confirmed update again (bot/runtime/inbox.py)."""
    from tests.conftest import start_bot

    fake, process, database_url = start_bot(make_database_url, tmp_path / "bot")
    try:
        chat = 778
        _held_behind_a_slow_reply(fake, chat)
        process.kill()
        fake.slow_chat(chat, 0)  # the answer to /start, sent before the kill, reaches the chat now
        process.start()
        fake.wait_until(lambda: _procedure_answers(fake, chat), timeout=30,
                        message="the message confirmed before the kill was never answered")
        fake.wait_idle()
        greetings = _greetings(fake, chat)
        assert len(greetings) == 1 and "UBND thị trấn Tây Đằng" in greetings[0], \
            f"/start, handled before the kill and handed over again, must be answered once: {greetings}"
        process.stop()
        assert query(database_url, "SELECT update_id FROM polled_updates") == [], "kept after being handled"
        fake.assert_no_violations()
    finally:
        process.stop()
        fake.stop()


def test_a_stopping_bot_answers_every_message_it_fetched_and_leaves_none_for_the_next_start(  # type: ignore[no-untyped-def]
        make_database_url, tmp_path: Path) -> None:
    """SIGTERM while a message waits in its chat's lane: it is answered before the bot's HTTP
    layer closes, and nothing is left to hand over again at the next start."""
    from tests.conftest import start_bot

    fake, process, database_url = start_bot(make_database_url, tmp_path / "bot")
    try:
        chat = 779
        _held_behind_a_slow_reply(fake, chat)
        assert process.process is not None
        polls = fake.polls_received
        process.process.send_signal(signal.SIGTERM)
        # The stop's last getUpdates (confirming what was fetched) shows the bot is stopping.
        fake.wait_until(lambda: fake.polls_received > polls, timeout=15, message="the bot did not begin to stop")
        fake.slow_chat(chat, 0)
        assert process.process.wait(timeout=30) == 0
        assert len(_greetings(fake, chat)) == 1 and _procedure_answers(fake, chat), fake.transcript(chat)
        assert query(database_url, "SELECT update_id FROM polled_updates") == [], "handled, yet kept"
        fake.assert_no_violations()
    finally:
        process.stop()
        fake.stop()


def _motcua(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          env={**clean, **env}, cwd=env.get("MOTCUA_DATA_DIR"), timeout=60, check=False)


def test_cli_lists_cases_as_table_and_json(bot: RunningBot, citizen: Citizen) -> None:
    receipt = file_case(citizen, CATALOG["trich-luc-ho-tich"])
    env = {"MOTCUA_DATABASE_URL": bot.database_url, "MOTCUA_DATA_DIR": str(bot.data_dir)}
    listed = _motcua("cases", "list", "--format", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = {row["code"]: row for row in json.loads(listed.stdout)}
    code = next(code for code in rows if code in receipt.text)
    row = rows[code]
    assert row["procedure_id"] == "trich-luc-ho-tich" and row["status"] == "submitted"
    assert row["applicant_name"] == "Nguyễn Văn An" and row["document_count"] >= 0
    assert set(row) >= {"code", "procedure_id", "status", "applicant_name", "created_at", "due_date", "document_count"}
    shown = _motcua("cases", "show", code.lower(), env=env)
    assert shown.returncode == 0 and code in shown.stdout
    table = _motcua("cases", "list", env=env)
    assert table.returncode == 0 and code in table.stdout
    missing = _motcua("cases", "show", "HS-000000-0000", env=env)
    assert missing.returncode == 2
    for output_format, magic in (("pdf", b"%PDF-"), ("docx", b"PK")):
        target = bot.data_dir / f"in-lai.{output_format}"
        printed = _motcua("cases", "form", code, "--format", output_format, "--output", str(target), env=env)
        assert printed.returncode == 0, printed.stderr
        assert target.read_bytes().startswith(magic) and str(target) in printed.stdout
    no_form = _motcua("cases", "form", code.replace(code[-4:], "0000"), env=env)
    assert no_form.returncode == 2


def test_cli_lists_procedures(tmp_path: Path) -> None:
    result = _motcua("procedures", "list", "--format", "json", env={"MOTCUA_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    ids = [row["id"] for row in json.loads(result.stdout)]
    assert sorted(ids) == sorted(p.id for p in CATALOG)
    assert "khai-sinh" in _motcua("procedures", "list", env={"MOTCUA_DATA_DIR": str(tmp_path)}).stdout


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "MOTCUA_TELEGRAM_TOKEN"),
    ({"MOTCUA_TELEGRAM_TOKEN": "1:x", "MOTCUA_TIMEZONE": "Mars/Base"}, "MOTCUA_TIMEZONE"),
    ({"MOTCUA_TELEGRAM_TOKEN": "1:x", "MOTCUA_SAME_DAY_CUTOFF": "late"}, "MOTCUA_SAME_DAY_CUTOFF"),
    ({"MOTCUA_TELEGRAM_TOKEN": "1:x", "MOTCUA_TELEGRAM_API_URL": "localhost:8081"}, "MOTCUA_TELEGRAM_API_URL"),
])
def test_bad_settings_stop_start_up_with_one_line(tmp_path: Path, env: dict[str, str], expected: str) -> None:
    result = _motcua("run", env={"MOTCUA_DATA_DIR": str(tmp_path), **env})
    assert result.returncode == 2
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_procedure_file_stops_start_up_naming_file_and_field(tmp_path: Path) -> None:
    procedures = tmp_path / "procedures"
    procedures.mkdir()
    source = Path(__file__).parents[2] / "dialogs" / "procedures" / "khai-tu.yaml"
    (procedures / "khai-tu.yaml").write_text(source.read_text(encoding="utf-8").replace("working_days: 0",
                                                                                       "working_days: soon"))
    result = _motcua("run", env={"MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_TELEGRAM_TOKEN": "1:x",
                                 "MOTCUA_PROCEDURES_DIR": str(procedures)})
    assert result.returncode == 2
    assert "khai-tu.yaml" in result.stderr and "processing.working_days" in result.stderr

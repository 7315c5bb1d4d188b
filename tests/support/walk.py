"""Walk a citizen through any procedure of the catalog with valid answers, the way a person
would: buttons for choices, typed text for the rest, a photo for each required document. The
summary of a procedure with a form comes with the filled PDF (one more message), and so does
the receipt."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from dialogs.catalog import FieldType, Procedure, load_catalog
from sandbox.botapi import BotMessage
from tests.support.people import JPEG, Citizen

CATALOG = load_catalog()

TYPED_ANSWERS = {
    FieldType.NAME: "nguyễn văn an",
    FieldType.CCCD: "001 090 012 345",
    FieldType.PHONE: "+84 912 345 678",
    FieldType.DATE: "1/2/1990",
    FieldType.ADDRESS: "Thôn 3, thị trấn Tây Đằng, Ba Vì",
    FieldType.TEXT: "Bệnh viện đa khoa huyện Ba Vì",
    FieldType.YEAR: "1990",
}


def forms_of(procedure: Procedure) -> int:
    """How many filled forms come with the summary and with the receipt."""
    return len(procedure.form_documents)


def messages_to_summary(procedure: Procedure) -> int:
    return 1 + forms_of(procedure)


def open_procedure(citizen: Citizen, procedure: Procedure) -> BotMessage:
    citizen.send("/start")
    citizen.tap("Nộp hồ sơ")
    return citizen.tap(procedure.short_title.vi if procedure.short_title else procedure.title.vi)


def consent(citizen: Citizen) -> BotMessage:
    citizen.tap("Bắt đầu nộp hồ sơ")
    return citizen.tap("Tôi đồng ý")


def answer_fields(citizen: Citizen, procedure: Procedure, answers: dict[str, str] | None = None) -> BotMessage:
    """Answer every question asked: a typed answer from `answers` (by field id) when given, else
    the first option, the smallest number or a typical answer of the field's type."""
    message = citizen.last
    given: dict[str, str] = {}
    fields = list(procedure.applicant_fields)
    for index, field in enumerate(fields):
        if not field.applies(given):
            continue
        assert field.label.vi in message.text, f"expected the question '{field.label.vi}', got:\n{message.text}"
        typed = (answers or {}).get(field.id)
        option = next((o for o in field.options if typed in (None, o.value, o.label.vi)), None)
        if option is None and typed is None:
            typed = str(field.min if field.min is not None else 1) if field.type is FieldType.NUMBER \
                else TYPED_ANSWERS[field.type]
        given[field.id] = option.value if option is not None else str(typed)
        last = not any(f.applies(given) for f in fields[index + 1:])
        expect = messages_to_summary(procedure) if last and not procedure.collected_documents else 1
        message = citizen.tap(option.label.vi, expect=expect) if option is not None \
            else citizen.send(str(typed), expect=expect)
    return message


def upload_documents(citizen: Citizen, procedure: Procedure, pages: int = 1) -> BotMessage:
    message = citizen.last
    documents = procedure.collected_documents
    for index, document in enumerate(documents):
        assert document.name.vi in message.text, f"expected '{document.name.vi}', got:\n{message.text}"
        expect = messages_to_summary(procedure) if index == len(documents) - 1 else 1
        if document.skippable:
            message = citizen.tap("Bỏ qua", expect=expect)
            continue
        for _ in range(pages):
            citizen.photo(JPEG)
        message = citizen.tap("Xong", expect=expect)
    return message


def file_case(citizen: Citizen, procedure: Procedure, answers: dict[str, str] | None = None) -> BotMessage:
    """From /start to the receipt; returns the receipt message (it follows the photo of its QR
    code and the filled form, if the procedure has one)."""
    open_procedure(citizen, procedure)
    consent(citizen)
    answer_fields(citizen, procedure, answers)
    summary = upload_documents(citizen, procedure)
    assert "kiểm tra" in summary.text, summary.text
    return citizen.tap("Xác nhận nộp", expect=2 + forms_of(procedure))


def query(database_url: str, sql: str, **params: object) -> list[dict[str, object]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()

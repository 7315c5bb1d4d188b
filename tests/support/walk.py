"""Walk a citizen through any procedure of the catalog with valid answers, the way a person
would: buttons for choices, typed text for the rest, a photo for each required document."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from dialogs.catalog import FieldType, Procedure, load_catalog
from tests.support.people import JPEG, Citizen
from sandbox.botapi import BotMessage

CATALOG = load_catalog()

TYPED_ANSWERS = {
    FieldType.NAME: "nguyễn văn an",
    FieldType.CCCD: "001 090 012 345",
    FieldType.PHONE: "+84 912 345 678",
    FieldType.DATE: "1/2/1990",
    FieldType.ADDRESS: "Thôn 3, thị trấn Tây Đằng, Ba Vì",
    FieldType.TEXT: "Bệnh viện đa khoa huyện Ba Vì",
}


def open_procedure(citizen: Citizen, procedure: Procedure) -> BotMessage:
    citizen.send("/start")
    citizen.tap("Nộp hồ sơ")
    return citizen.tap(procedure.short_title.vi if procedure.short_title else procedure.title.vi)


def consent(citizen: Citizen) -> BotMessage:
    citizen.tap("Bắt đầu nộp hồ sơ")
    return citizen.tap("Tôi đồng ý")


def answer_fields(citizen: Citizen, procedure: Procedure) -> BotMessage:
    message = citizen.last
    for field in procedure.applicant_fields:
        assert field.label.vi in message.text, f"expected the question '{field.label.vi}', got:\n{message.text}"
        if field.type is FieldType.CHOICE:
            message = citizen.tap(field.options[0].label.vi)
        elif field.type is FieldType.NUMBER:
            message = citizen.send(str(field.min if field.min is not None else 1))
        else:
            message = citizen.send(TYPED_ANSWERS[field.type])
    return message


def upload_documents(citizen: Citizen, procedure: Procedure, pages: int = 1) -> BotMessage:
    message = citizen.last
    for document in procedure.collected_documents:
        assert document.name.vi in message.text, f"expected '{document.name.vi}', got:\n{message.text}"
        if document.skippable:
            message = citizen.tap("Bỏ qua")
            continue
        for _ in range(pages):
            citizen.photo(JPEG)
        message = citizen.tap("Xong")
    return message


def file_case(citizen: Citizen, procedure: Procedure) -> BotMessage:
    """From /start to the receipt; returns the receipt message (it follows the photo of its QR code)."""
    open_procedure(citizen, procedure)
    consent(citizen)
    answer_fields(citizen, procedure)
    summary = upload_documents(citizen, procedure)
    assert "kiểm tra" in summary.text, summary.text
    return citizen.tap("Xác nhận nộp", expect=2)


def query(database_url: str, sql: str, **params: object) -> list[dict[str, object]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()

"""A typed answer to one question, checked and cleaned for its field type (see `dialogs.validators`)."""

from __future__ import annotations

from dialogs import glyphs
from dialogs.catalog import ApplicantField, FieldType
from dialogs.model import Context
from dialogs.text import fold
from dialogs.validators import (
    InvalidAnswer,
    parse_address,
    parse_cccd,
    parse_date,
    parse_name,
    parse_number,
    parse_phone,
    parse_text,
    parse_year,
)
from locales import N_


def printable(value: str) -> None:
    """Refuse an answer the form's font cannot print (an emoji, another script), when it is
    typed rather than as a gap on the printed form."""
    missing = glyphs.missing(value)
    if missing:
        raise InvalidAnswer(N_("These characters cannot be printed on the form: {characters}. "
                               "Please write the answer with letters and digits."),
                            {"characters": " ".join(missing)})


def parse_answer(field: ApplicantField, text: str, ctx: Context) -> str:
    match field.type:
        case FieldType.NAME:
            return parse_name(text)
        case FieldType.CCCD:
            return parse_cccd(text, today=ctx.today)
        case FieldType.PHONE:
            return parse_phone(text)
        case FieldType.DATE:
            return parse_date(text, today=ctx.today, not_future=field.not_future).isoformat()
        case FieldType.ADDRESS:
            return parse_address(text)
        case FieldType.NUMBER:
            return str(parse_number(text, minimum=field.min, maximum=field.max))
        case FieldType.YEAR:
            return str(parse_year(text, today=ctx.today))
        case FieldType.CHOICE:
            folded = fold(text)
            for option in field.options:
                if folded in (option.value, fold(option.label.vi), fold(option.label.en or "")):
                    return option.value
            raise InvalidAnswer(N_("Please choose one of the buttons below."))
        case _:
            return parse_text(text)

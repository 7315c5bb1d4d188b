"""Generated input to what reads a person's typing, files and buttons: the validators (text,
numbers, dates), the answer to every question of every procedure, file names and types, and
the button parser with each kind of press. Nothing raises but a refusal, and every refusal is
a message that can be said in Vietnamese and English with all its blanks filled."""

from __future__ import annotations

import string
from dataclasses import fields
from datetime import date
from typing import Any, get_type_hints

from hypothesis import assume, given
from hypothesis import strategies as st

from dialogs.answers import parse_answer
from dialogs.catalog import ApplicantField, FieldType
from dialogs.model import IncomingFile
from dialogs.output import MAX_ROW_ID, ROW_ID, Press
from dialogs.uploads import file_problem, name_disagrees
from dialogs.validators import (
    EARLIEST_YEAR,
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
from handlers.routes import BUTTONS, DEEP_LINKS, decode, route_of
from locales import get_translator
from tests.support.engine_chat import CATALOG, KHAI_SINH, TODAY, context

TRANSLATORS = [get_translator("vi"), get_translator("en")]
FIELDS: list[ApplicantField] = [field for procedure in CATALOG for field in procedure.applicant_fields]
PRESSES: list[type[Press]] = [route.press for route in BUTTONS.values()] + [press for press, _ in DEEP_LINKS.values()]

# What people type: anything at all, and text made of the characters answers are made of, so
# that the generator reaches the validators' deeper checks and not only their first refusal.
ANSWER_CHARACTERS = string.digits + " ./-+()'’" + "aăâbcdđeêghiklmnoôơpqrstuưvxyAĐỸỹ" + "\n\t"
typed = st.one_of(st.text(max_size=400), st.text(ANSWER_CHARACTERS, max_size=40))


def said(problem: InvalidAnswer) -> None:
    """A refusal must be a message the citizen can read, in every language, with no blank left."""
    assert problem.reason
    for tr in TRANSLATORS:
        template = tr.gettext(problem.reason)
        blanks = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        assert blanks <= set(problem.params), (template, problem.params)
        assert template.format(**problem.params).strip()


def answered(parse: Any, text: str, **options: Any) -> Any:
    try:
        return parse(text, **options)
    except InvalidAnswer as problem:
        said(problem)
        return None


@given(typed)
def test_a_name_is_a_clean_name_or_a_reason(text: str) -> None:
    name = answered(parse_name, text)
    assert name is None or (len(name.split()) >= 2 and len(name) <= 100 and not any(c.isdigit() for c in name))


@given(st.one_of(typed, st.from_regex(r"\A[0-9 .\-]{10,20}\Z")))
def test_a_cccd_number_is_twelve_digits_or_a_reason(text: str) -> None:
    number = answered(parse_cccd, text, today=TODAY)
    assert number is None or (len(number) == 12 and number.isdigit())


@given(st.one_of(typed, st.from_regex(r"\A(\+84|0)[ .\-]?[0-9 .\-]{7,12}\Z")))
def test_a_phone_number_is_ten_digits_from_zero_or_a_reason(text: str) -> None:
    phone = answered(parse_phone, text)
    assert phone is None or (len(phone) == 10 and phone.isdigit() and phone[0] == "0")


@given(typed, st.booleans())
def test_a_date_is_a_real_date_from_1900_or_a_reason(text: str, not_future: bool) -> None:
    value = answered(parse_date, text, today=TODAY, not_future=not_future)
    assert value is None or (value.year >= EARLIEST_YEAR and (not not_future or value <= TODAY))


@given(st.dates(min_value=date(EARLIEST_YEAR, 1, 1), max_value=TODAY), st.sampled_from(["/", "-", ".", " / "]),
       st.booleans())
def test_a_date_written_day_first_reads_back_as_that_date(day: date, separator: str, padded: bool) -> None:
    parts = [f"{day.day:02d}", f"{day.month:02d}"] if padded else [str(day.day), str(day.month)]
    assert parse_date(separator.join([*parts, str(day.year)]), today=TODAY, not_future=True) == day


@given(st.one_of(typed, st.integers().map(str)), st.one_of(st.none(), st.integers(-10**6, 10**6)),
       st.one_of(st.none(), st.integers(-10**6, 10**6)))
def test_a_number_is_within_its_bounds_or_a_reason(text: str, minimum: int | None, maximum: int | None) -> None:
    assume(minimum is None or maximum is None or minimum <= maximum)
    value = answered(parse_number, text, minimum=minimum, maximum=maximum)
    assert value is None or ((minimum is None or value >= minimum) and (maximum is None or value <= maximum))


@given(st.one_of(typed, st.integers(0, 3000).map(str)))
def test_a_year_is_between_1900_and_this_year_or_a_reason(text: str) -> None:
    year = answered(parse_year, text, today=TODAY)
    assert year is None or EARLIEST_YEAR <= year <= TODAY.year


@given(typed, st.integers(1, 2000))
def test_free_text_and_addresses_are_trimmed_and_bounded_or_a_reason(text: str, limit: int) -> None:
    free = answered(parse_text, text, max_length=limit)
    assert free is None or (free == free.strip() and 0 < len(free) <= limit)
    address = answered(parse_address, text)
    assert address is None or 5 <= len(address) <= 300


@given(st.sampled_from(FIELDS), typed, st.sampled_from(["vi", "en"]))
def test_every_question_of_every_procedure_takes_any_text(field: ApplicantField, text: str, language: str) -> None:
    value = answered(lambda typed: parse_answer(field, typed, context(language)), text)
    assert value is None or isinstance(value, str)
    if value is not None and field.type is FieldType.CHOICE:
        assert value in {option.value for option in field.options}


file_names = st.one_of(st.none(), st.text(max_size=60),
                       st.tuples(st.text(string.ascii_letters + " .-_", max_size=20),
                                 st.sampled_from(["pdf", "PDF", "jpg", "jpeg", "png", "heic", "docx", "exe", "2024",
                                                  "", "pdf.exe", "tar.gz"])).map(".".join))
mime_types = st.one_of(st.none(), st.sampled_from(["application/pdf", "image/jpeg", "image/png", "IMAGE/PNG",
                                                   "application/msword", "text/plain", ""]), st.text(max_size=30))


@given(st.sampled_from(["photo", "document"]), file_names, mime_types, st.one_of(st.none(), st.integers(0, 2**40)),
       st.sampled_from(list(KHAI_SINH.collected_documents)))
def test_any_file_announced_is_taken_or_refused_with_a_reason(kind: Any, name: str | None, mime: str | None,
                                                             size: int | None, document: Any) -> None:
    file = IncomingFile(kind, "file-id", "unique", size, mime_type=mime, file_name=name)
    problem = file_problem(file, document, context())
    if problem is not None:
        said(problem)
    elif kind == "document":
        assert not name_disagrees(name, (mime or "").lower())


@given(st.one_of(st.text(max_size=80), st.from_regex(r"\A[a-z]{1,9}[:._][^\n]{0,60}\Z"),
                 st.sampled_from([press.ROUTE for press in PRESSES]).flatmap(
                     lambda route: st.lists(st.text(string.ascii_letters + string.digits + "-_.", max_size=12),
                                            max_size=5).map(lambda values: ":".join([route, *values])))))
def test_any_button_payload_decodes_to_a_press_that_encodes_back_or_to_nothing(payload: str) -> None:
    press = decode(payload)
    route_of(payload)
    if press is not None:
        assert decode(press.encode()) == press
        assert len(press.encode().encode()) <= 64 or press.ROUTE in DEEP_LINKS


@given(st.sampled_from(PRESSES), st.lists(st.text(max_size=20), max_size=6))
def test_each_kind_of_press_decodes_any_values_to_a_press_or_nothing(kind: type[Press], values: list[str]) -> None:
    press = kind.decode(values)
    # Back through the route table's decoder, which splits only as many times as the press has
    # fields: a deep link's single field may hold its separator ('c_' + a code with '_').
    assert press is None or (isinstance(press, kind) and decode(press.encode()) == press)


def _value(hint: Any) -> st.SearchStrategy[Any]:
    metadata = getattr(hint, "__metadata__", ())
    kind = getattr(hint, "__origin__", hint) if metadata else hint
    if kind is int:
        return st.integers(1, MAX_ROW_ID) if ROW_ID in metadata else st.integers(0, 2**53)
    if isinstance(kind, type) and issubclass(kind, str) and hasattr(kind, "_value2member_map_"):
        return st.sampled_from(list(kind))
    return st.from_regex(r"\A[A-Za-z0-9_.\-]{1,20}\Z")


def presses() -> st.SearchStrategy[Press]:
    def build(kind: type[Press]) -> st.SearchStrategy[Press]:
        hints = get_type_hints(kind, include_extras=True)
        return st.builds(kind, **{item.name: _value(hints[item.name]) for item in fields(kind)})
    return st.sampled_from(PRESSES).flatmap(build)


@given(presses())
def test_every_press_the_bot_can_make_reads_back_as_itself(press: Press) -> None:
    assert decode(press.encode()) == press

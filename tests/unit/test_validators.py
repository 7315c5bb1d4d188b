"""Every accepted form and every refusal reason of the answer parsers.

Refusals are checked by their message id, the text the citizen reads after translation, so
a test fails if a failure starts giving another failure's explanation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from dialogs.text import fold
from dialogs.validators import (
    PROVINCE_CODES,
    InvalidAnswer,
    parse_address,
    parse_cccd,
    parse_date,
    parse_name,
    parse_number,
    parse_phone,
    parse_text,
)

TODAY = date(2026, 11, 27)


def refusal(parse: Callable[[], object]) -> InvalidAnswer:
    """The InvalidAnswer raised by `parse`, after checking its reason can be formatted."""
    with pytest.raises(InvalidAnswer) as caught:
        parse()
    caught.value.reason.format(**caught.value.params)
    return caught.value


# --- fold -----------------------------------------------------------------------------------


def test_fold_ignores_diacritics_case_and_spacing() -> None:
    assert fold("Đăng Ký  KHAI SINH") == "dang ky khai sinh"
    assert fold("  dang ky khai sinh ") == fold("Đăng ký khai sinh")


def test_fold_drops_both_marks_of_a_letter() -> None:
    assert fold("Nguyễn Thị Ngọc Ánh, ưu tiên, đơn") == "nguyen thi ngoc anh, uu tien, don"


def test_fold_handles_decomposed_input() -> None:
    assert fold("Nguye\u0302\u0303n") == "nguyen"


# --- name -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("nguyễn văn an", "Nguyễn Văn An"),
        ("  NGUYỄN   THỊ   ÁNH  ", "Nguyễn Thị Ánh"),
        ("nguyen van an", "Nguyen Van An"),
        ("đỗ đức", "Đỗ Đức"),
        ("h'hen niê", "H'Hen Niê"),
        ("H’Hen Niê", "H'Hen Niê"),
        ("y-moan ênuôl", "Y-Moan Ênuôl"),
        ("Nguye\u0302\u0303n Văn An", "Nguyễn Văn An"),
    ],
)
def test_name_accepted(typed: str, expected: str) -> None:
    assert parse_name(typed) == expected


def test_name_empty() -> None:
    assert refusal(lambda: parse_name("   ")).reason == "Please type the full name, for example: Nguyễn Văn An."


def test_name_one_word() -> None:
    reason = refusal(lambda: parse_name("An")).reason
    assert reason.startswith("Please type the full name, family name first")


def test_name_with_digit() -> None:
    reason = refusal(lambda: parse_name("Nguyen Van 3")).reason
    assert reason == "A name cannot contain digits; please type the name in letters only."


def test_name_with_other_characters() -> None:
    error = refusal(lambda: parse_name("Nguyễn Văn An!?!"))
    assert error.reason.startswith("A name may contain only letters")
    assert error.params == {"characters": "! ?"}


def test_name_in_another_script() -> None:
    assert refusal(lambda: parse_name("Иван Петров")).reason.startswith("A name may contain only letters")


def test_name_too_long() -> None:
    error = refusal(lambda: parse_name("Nguyễn " + "a" * 100))
    assert error.reason == "A name can be at most {maximum} characters long; you sent {count}."
    assert error.params == {"maximum": 100, "count": 107}


# --- căn cước -------------------------------------------------------------------------------


def test_province_table_has_the_63_provinces() -> None:
    assert len(PROVINCE_CODES) == 63
    assert {"001", "079", "096"} <= PROVINCE_CODES


@pytest.mark.parametrize(
    "typed", ["001090012345", "001 090 012 345", "001.090.012.345", "001-090-012-345", " 0010 9001 2345 "]
)
def test_cccd_accepted(typed: str) -> None:
    assert parse_cccd(typed, today=TODAY) == "001090012345"


def test_cccd_born_this_year_accepted() -> None:
    # Digit 2 = male born 2000–2099; a newborn gets the number at birth registration.
    assert parse_cccd("001226012345", today=TODAY) == "001226012345"


def test_cccd_empty() -> None:
    reason = refusal(lambda: parse_cccd("", today=TODAY)).reason
    assert reason == "Please type the 12-digit number printed on your căn cước card."


def test_cccd_with_letters() -> None:
    reason = refusal(lambda: parse_cccd("00109001234A", today=TODAY)).reason
    assert reason.startswith("The căn cước number may contain only digits")


@pytest.mark.parametrize(("typed", "count"), [("00109001234", 11), ("0010900123456", 13), ("001 090", 6)])
def test_cccd_wrong_digit_count(typed: str, count: int) -> None:
    error = refusal(lambda: parse_cccd(typed, today=TODAY))
    assert error.reason == "The căn cước number must have exactly 12 digits; you sent {count}."
    assert error.params == {"count": count}


@pytest.mark.parametrize("typed", ["999090012345", "003090012345"])
def test_cccd_unknown_province(typed: str) -> None:
    error = refusal(lambda: parse_cccd(typed, today=TODAY))
    assert error.reason.startswith("A căn cước number starts with a province code")
    assert error.params == {"code": typed[:3]}


@pytest.mark.parametrize(("typed", "year"), [("001227012345", 2027), ("001490012345", 2190)])
def test_cccd_birth_year_in_future(typed: str, year: int) -> None:
    error = refusal(lambda: parse_cccd(typed, today=TODAY))
    assert error.reason.startswith("This căn cước number would mean a birth year of {year}")
    assert error.params == {"year": year}


# --- phone ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "0912345678",
        "0912 345 678",
        "091.234.5678",
        "091-234-5678",
        "(091) 234 5678",
        "+84912345678",
        "84912345678",
        "+84 912 345 678",
    ],
)
def test_phone_accepted(typed: str) -> None:
    assert parse_phone(typed) == "0912345678"


@pytest.mark.parametrize("typed", ["0321234567", "0561234567", "0701234567", "0861234567", "0991234567"])
def test_phone_every_mobile_first_digit(typed: str) -> None:
    assert parse_phone(typed) == typed


def test_phone_empty() -> None:
    assert refusal(lambda: parse_phone(" ")).reason == "Please type your mobile number, for example 0912345678."


@pytest.mark.parametrize("typed", ["0912abc678", "09123456780+", "số 0912345678"])
def test_phone_not_digits(typed: str) -> None:
    reason = refusal(lambda: parse_phone(typed)).reason
    assert reason.startswith("A phone number may contain only digits")


@pytest.mark.parametrize("typed", ["912345678", "+1 202 555 0123"])
def test_phone_not_starting_with_0_or_84(typed: str) -> None:
    reason = refusal(lambda: parse_phone(typed)).reason
    assert reason == "Please write the mobile number starting with 0 or +84, for example 0912345678."


@pytest.mark.parametrize("typed", ["0241234567", "02412345678", "+84 24 1234 5678", "01686123456"])
def test_phone_not_mobile(typed: str) -> None:
    assert refusal(lambda: parse_phone(typed)).reason.startswith("This is not a mobile number")


@pytest.mark.parametrize(("typed", "count"), [("091234567", 9), ("09123456789", 11), ("+84 91234567", 9), ("0", 1)])
def test_phone_wrong_length(typed: str, count: int) -> None:
    error = refusal(lambda: parse_phone(typed))
    assert error.reason.startswith("A mobile number has 10 digits")
    assert error.params == {"count": count}


# --- date -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["1/2/1990", "01/02/1990", "01-02-1990", "1.2.1990", "1 2 1990", " 01 / 02 / 1990 "]
)
def test_date_accepted_day_first(typed: str) -> None:
    assert parse_date(typed, today=TODAY) == date(1990, 2, 1)


def test_date_today_is_not_future() -> None:
    assert parse_date("27/11/2026", today=TODAY, not_future=True) == TODAY


def test_date_future_allowed_unless_asked() -> None:
    assert parse_date("28/11/2026", today=TODAY) == date(2026, 11, 28)


def test_date_empty() -> None:
    reason = refusal(lambda: parse_date("", today=TODAY)).reason
    assert reason == "Please type the date as day/month/year, for example 25/12/1990."


@pytest.mark.parametrize("typed", ["1/2/90", "1990-02-01", "ngày 1 tháng 2", "1/2", "01021990"])
def test_date_wrong_shape(typed: str) -> None:
    reason = refusal(lambda: parse_date(typed, today=TODAY)).reason
    assert reason == "Please write the date as day/month/year with a 4-digit year, for example 25/12/1990."


@pytest.mark.parametrize("typed", ["31/02/2020", "29/02/2021", "0/1/2000", "12/13/2000"])
def test_date_impossible(typed: str) -> None:
    error = refusal(lambda: parse_date(typed, today=TODAY))
    assert error.reason == "{day}/{month}/{year} is not a real date; please check the day and the month."


def test_date_impossible_params() -> None:
    assert refusal(lambda: parse_date("31/02/2020", today=TODAY)).params == {"day": 31, "month": 2, "year": 2020}


def test_date_before_1900() -> None:
    error = refusal(lambda: parse_date("1/1/1899", today=TODAY))
    assert error.reason == "The year must be {earliest} or later; you wrote {year}."
    assert error.params == {"earliest": 1900, "year": 1899}


def test_date_in_future_refused_when_asked() -> None:
    reason = refusal(lambda: parse_date("28/11/2026", today=TODAY, not_future=True)).reason
    assert reason.startswith("This date is in the future")


# --- address --------------------------------------------------------------------------------


def test_address_accepted_and_collapsed() -> None:
    typed = "  Số 5,   thôn Đông\nxã Tây Đằng, Hà Nội "
    assert parse_address(typed) == "Số 5, thôn Đông xã Tây Đằng, Hà Nội"


def test_address_empty() -> None:
    assert refusal(lambda: parse_address("")).reason.startswith("Please type the address")


def test_address_too_short() -> None:
    assert refusal(lambda: parse_address("Số 5")).reason.startswith("This address is too short")


def test_address_too_long() -> None:
    error = refusal(lambda: parse_address("Thôn " + "a" * 300))
    assert error.reason == "An address can be at most {maximum} characters long; you sent {count}."
    assert error.params == {"maximum": 300, "count": 305}


def test_address_without_letters() -> None:
    assert refusal(lambda: parse_address("12 / 34 - 56")).reason.startswith("An address needs words")


# --- free text ------------------------------------------------------------------------------


def test_text_trimmed_with_line_breaks_kept() -> None:
    assert parse_text("  Cần bản sao\ncho con  ") == "Cần bản sao\ncho con"


def test_text_empty() -> None:
    assert refusal(lambda: parse_text(" \n ")).reason == "Please type your answer; it cannot be empty."


def test_text_too_long() -> None:
    assert parse_text("a" * 10, max_length=10) == "a" * 10
    error = refusal(lambda: parse_text("a" * 11, max_length=10))
    assert error.reason == "Please keep the answer to at most {maximum} characters; you sent {count}."
    assert error.params == {"maximum": 10, "count": 11}


def test_text_default_limit_is_500() -> None:
    assert refusal(lambda: parse_text("a" * 501)).params == {"maximum": 500, "count": 501}


# --- number ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "expected"), [("2", 2), (" 12 ", 12), ("+3", 3), ("007", 7)])
def test_number_accepted(typed: str, expected: int) -> None:
    assert parse_number(typed, minimum=None, maximum=None) == expected


def test_number_bounds_are_inclusive() -> None:
    assert parse_number("1", minimum=1, maximum=10) == 1
    assert parse_number("10", minimum=1, maximum=10) == 10


def test_number_empty() -> None:
    assert refusal(lambda: parse_number("", minimum=1, maximum=10)).reason == "Please type a number, for example 2."


@pytest.mark.parametrize("typed", ["hai", "2,5", "1.000", "2 bản", "1e3"])
def test_number_not_whole(typed: str) -> None:
    reason = refusal(lambda: parse_number(typed, minimum=None, maximum=None)).reason
    assert reason == "Please type a whole number in digits only, for example 2."


@pytest.mark.parametrize("typed", ["0", "11"])
def test_number_outside_both_bounds(typed: str) -> None:
    error = refusal(lambda: parse_number(typed, minimum=1, maximum=10))
    assert error.reason == "Please type a number from {minimum} to {maximum}."
    assert error.params == {"minimum": 1, "maximum": 10}


def test_number_below_minimum() -> None:
    error = refusal(lambda: parse_number("-1", minimum=0, maximum=None))
    assert error.reason == "Please type a number of at least {minimum}."
    assert error.params == {"minimum": 0}


def test_number_above_maximum() -> None:
    error = refusal(lambda: parse_number("51", minimum=None, maximum=50))
    assert error.reason == "Please type a number of at most {maximum}."
    assert error.params == {"maximum": 50}


# --- every parser refuses empty input with its own reason -----------------------------------


def test_each_parser_has_its_own_empty_reason() -> None:
    parsers: list[Callable[[], object]] = [
        lambda: parse_name(""),
        lambda: parse_cccd("", today=TODAY),
        lambda: parse_phone(""),
        lambda: parse_date("", today=TODAY),
        lambda: parse_address(""),
        lambda: parse_text(""),
        lambda: parse_number("", minimum=None, maximum=None),
    ]
    reasons = [refusal(parse).reason for parse in parsers]
    assert len(set(reasons)) == len(reasons)

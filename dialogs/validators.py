"""Turn a citizen's typed answer into a clean value, or say exactly what to fix.

The dialog engine re-asks the same question after a refusal, so a refusal is only useful if it
tells the citizen how to answer; every failure therefore has its own reason. Reasons are
English message ids, translated later with the citizen's translator, which keeps this module
free of Telegram, the database, the clock (today is passed in) and the user's language.
"""

from __future__ import annotations

import re
import string
import unicodedata
from datetime import date

from dialogs.text import fold
from locales import N_

NAME_MAX_LENGTH = 100
ADDRESS_MIN_LENGTH = 5
ADDRESS_MAX_LENGTH = 300
EARLIEST_YEAR = 1900

# Province codes (first three digits of a personal ID number): the 63 pre-2025 provinces, from
# the table of Thông tư 07/2016/TT-BCA, also cited with Thông tư 59/2021/TT-BCA
# (research/procedures.md, "Extra 1", sources [S66][S67]).
# The research advises caution and would not reject unknown codes outright: the codes of
# people whose birth was registered abroad were not found, and the codes used since the 2025
# merger into 34 provinces are unconfirmed. The issue nevertheless requires a valid province
# code, so such numbers may be refused: a known limitation.
PROVINCE_CODES: frozenset[str] = frozenset(
    {
        "001", "002", "004", "006", "008", "010", "011", "012", "014", "015", "017",
        "019", "020", "022", "024", "025", "026", "027", "030", "031", "033", "034",
        "035", "036", "037", "038", "040", "042", "044", "045", "046", "048", "049",
        "051", "052", "054", "056", "058", "060", "062", "064", "066", "067", "068",
        "070", "072", "074", "075", "077", "079", "080", "082", "083", "084", "086",
        "087", "089", "091", "092", "093", "094", "095", "096",
    }
)  # fmt: skip

# Permissive mobile pattern from the research ("Extra 2"): carriers' prefix lists go stale
# and numbers move between carriers, so only the first digit after 0 / +84 is checked.
_MOBILE = re.compile(r"^(?:\+?84|0)([35789]\d{8})$", re.ASCII)
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_PHONE_CHARACTERS = re.compile(r"\+?[0-9]+")
_PHONE_START = re.compile(r"\+?84|0")
_MOBILE_FIRST_DIGITS = "35789"

_CCCD_SEPARATORS = re.compile(r"[\s.\-]")
_DIGITS = re.compile(r"[0-9]+")
_DATE = re.compile(r"([0-9]{1,2})(?:\s*[/.\-]\s*|\s+)([0-9]{1,2})(?:\s*[/.\-]\s*|\s+)([0-9]{4})")
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")

# iPhones turn ' into ’ as it is typed; both mean the apostrophe of names like H'Hen Niê.
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'"})
_NAME_CHARACTERS = frozenset("'- ")
_LATIN_LETTERS = frozenset(string.ascii_lowercase)


class InvalidAnswer(Exception):
    """A refused answer: `reason` is an untranslated message id, `params` fill its placeholders.

    The reason stays untranslated here because only the engine knows the citizen's language.
    """

    def __init__(self, reason: str, params: dict[str, object] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params: dict[str, object] = params or {}


def _required(text: str, reason: str) -> str:
    """Trim the answer, refusing a blank one with the question's own prompt-like reason."""
    stripped = text.strip()
    if not stripped:
        raise InvalidAnswer(reason)
    return stripped


def _collapse(text: str) -> str:
    """One space between words; NFC so that text typed with combining marks is stored alike."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _is_vietnamese_letter(char: str) -> bool:
    """A Latin letter with or without Vietnamese marks; other scripts are not names on a form."""
    return char.isalpha() and fold(char) in _LATIN_LETTERS


def parse_name(text: str) -> str:
    """A full name as it goes on a form: "nguyễn  văn an" -> "Nguyễn Văn An"."""
    name = _collapse(_required(text, N_("Please type the full name, for example: Nguyễn Văn An.")))
    name = name.translate(_APOSTROPHES)
    if any(char.isdigit() for char in name):
        raise InvalidAnswer(N_("A name cannot contain digits; please type the name in letters only."))
    unexpected = [char for char in name if not (_is_vietnamese_letter(char) or char in _NAME_CHARACTERS)]
    if unexpected:
        raise InvalidAnswer(
            N_(
                "A name may contain only letters, spaces, apostrophes and hyphens; "
                "please remove: {characters}"
            ),
            {"characters": " ".join(dict.fromkeys(unexpected))},
        )
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidAnswer(
            N_("A name can be at most {maximum} characters long; you sent {count}."),
            {"maximum": NAME_MAX_LENGTH, "count": len(name)},
        )
    words = [word for word in name.split() if any(char.isalpha() for char in word)]
    if len(words) < 2:
        raise InvalidAnswer(
            N_(
                "Please type the full name, family name first and then the given name, "
                "for example: Nguyễn Văn An."
            )
        )
    return name.title()


def _birth_year(century_sex_digit: int, two_digit_year: int) -> int:
    """Digits 0–1 mean the 1900s, 2–3 the 2000s, and so on up to 8–9 for the 2300s."""
    return EARLIEST_YEAR + (century_sex_digit // 2) * 100 + two_digit_year


def parse_cccd(text: str, *, today: date) -> str:
    """The 12-digit personal ID number of a căn cước / CCCD card, as bare digits.

    Citizens copy it in groups ("001 090 012 345"), so spaces, dots and dashes are dropped.
    """
    stripped = _required(text, N_("Please type the 12-digit number printed on your căn cước card."))
    compact = _CCCD_SEPARATORS.sub("", stripped)
    if not _DIGITS.fullmatch(compact):
        raise InvalidAnswer(
            N_(
                "The căn cước number may contain only digits "
                "(spaces, dots or dashes between groups are fine)."
            )
        )
    if len(compact) != 12:
        raise InvalidAnswer(
            N_("The căn cước number must have exactly 12 digits; you sent {count}."), {"count": len(compact)}
        )
    if compact[:3] not in PROVINCE_CODES:
        raise InvalidAnswer(
            N_(
                "A căn cước number starts with a province code, and {code} is not one; "
                "please check the number on your card."
            ),
            {"code": compact[:3]},
        )
    year = _birth_year(int(compact[3]), int(compact[4:6]))
    if year > today.year:
        raise InvalidAnswer(
            N_(
                "This căn cước number would mean a birth year of {year}, which is in the future; "
                "please check the number on your card."
            ),
            {"year": year},
        )
    return compact


def _phone_refusal(compact: str) -> InvalidAnswer:
    """Say why `compact` (separators already removed) failed the mobile pattern."""
    if not _PHONE_CHARACTERS.fullmatch(compact):
        return InvalidAnswer(
            N_("A phone number may contain only digits, with + in front for +84; for example 0912345678.")
        )
    start = _PHONE_START.match(compact)
    if start is None:
        return InvalidAnswer(
            N_("Please write the mobile number starting with 0 or +84, for example 0912345678.")
        )
    subscriber = compact[start.end():]
    if subscriber and subscriber[0] not in _MOBILE_FIRST_DIGITS:
        return InvalidAnswer(
            N_(
                "This is not a mobile number: Vietnamese mobile numbers start with 03, 05, 07, 08 "
                "or 09 (+84 3, 5, 7, 8 or 9). Please send a mobile number."
            )
        )
    return InvalidAnswer(
        N_(
            "A mobile number has 10 digits when written with 0 in front, "
            "for example 0912345678; yours has {count}."
        ),
        {"count": len(subscriber) + 1},
    )


def parse_phone(text: str) -> str:
    """A Vietnamese mobile number in national form ("0912345678"), whatever form was typed."""
    stripped = _required(text, N_("Please type your mobile number, for example 0912345678."))
    compact = _PHONE_SEPARATORS.sub("", stripped)
    match = _MOBILE.fullmatch(compact)
    if match is None:
        raise _phone_refusal(compact)
    return "0" + match.group(1)


def parse_date(text: str, *, today: date, not_future: bool = False) -> date:
    """A date written day first, as Vietnamese write it: "1/2/1990" is 1 February 1990."""
    stripped = _required(text, N_("Please type the date as day/month/year, for example 25/12/1990."))
    match = _DATE.fullmatch(stripped)
    if match is None:
        raise InvalidAnswer(
            N_("Please write the date as day/month/year with a 4-digit year, for example 25/12/1990.")
        )
    day, month, year = (int(part) for part in match.groups())
    if year < EARLIEST_YEAR:
        raise InvalidAnswer(
            N_("The year must be {earliest} or later; you wrote {year}."),
            {"earliest": EARLIEST_YEAR, "year": year},
        )
    try:
        value = date(year, month, day)
    except ValueError:
        raise InvalidAnswer(
            N_("{day}/{month}/{year} is not a real date; please check the day and the month."),
            {"day": day, "month": month, "year": year},
        ) from None
    if not_future and value > today:
        raise InvalidAnswer(
            N_("This date is in the future; please give a date that has already passed or is today.")
        )
    return value


def parse_year(text: str, *, today: date) -> int:
    """A year of birth in four digits, from 1900 to this year."""
    stripped = _required(text, N_("Please type the year of birth in four digits, for example 1990."))
    if not re.fullmatch(r"[0-9]{4}", stripped):
        raise InvalidAnswer(N_("Please type the year in four digits, for example 1990."))
    year = int(stripped)
    if not EARLIEST_YEAR <= year <= today.year:
        raise InvalidAnswer(N_("The year must be from {earliest} to {latest}; you wrote {year}."),
                            {"earliest": EARLIEST_YEAR, "latest": today.year, "year": year})
    return year


def parse_address(text: str) -> str:
    """An address as one line; its parts are not checked, since their forms vary too much."""
    address = _collapse(
        _required(text, N_("Please type the address: house number or village, street, commune and province."))
    )
    if len(address) < ADDRESS_MIN_LENGTH:
        raise InvalidAnswer(
            N_("This address is too short; please add the village or street, the commune and the province.")
        )
    if len(address) > ADDRESS_MAX_LENGTH:
        raise InvalidAnswer(
            N_("An address can be at most {maximum} characters long; you sent {count}."),
            {"maximum": ADDRESS_MAX_LENGTH, "count": len(address)},
        )
    if not any(char.isalpha() for char in address):
        raise InvalidAnswer(
            N_("An address needs words as well as numbers; please add the village or street and the commune.")
        )
    return address


def parse_text(text: str, *, max_length: int = 500) -> str:
    """Free text; only trimmed, since line breaks may matter to the officer who reads it."""
    answer = unicodedata.normalize("NFC", _required(text, N_("Please type your answer; it cannot be empty.")))
    if len(answer) > max_length:
        raise InvalidAnswer(
            N_("Please keep the answer to at most {maximum} characters; you sent {count}."),
            {"maximum": max_length, "count": len(answer)},
        )
    return answer


def _bounds_refusal(minimum: int | None, maximum: int | None) -> InvalidAnswer:
    """State every bound there is, so the citizen need not guess the other one on the next try."""
    if minimum is not None and maximum is not None:
        return InvalidAnswer(
            N_("Please type a number from {minimum} to {maximum}."), {"minimum": minimum, "maximum": maximum}
        )
    if minimum is not None:
        return InvalidAnswer(N_("Please type a number of at least {minimum}."), {"minimum": minimum})
    return InvalidAnswer(N_("Please type a number of at most {maximum}."), {"maximum": maximum})


def parse_number(text: str, *, minimum: int | None, maximum: int | None) -> int:
    """A whole number in digits, such as a count of copies, within the field's bounds."""
    stripped = _required(text, N_("Please type a number, for example 2."))
    if not _WHOLE_NUMBER.fullmatch(stripped):
        raise InvalidAnswer(N_("Please type a whole number in digits only, for example 2."))
    value = int(stripped)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise _bounds_refusal(minimum, maximum)
    return value

"""Gettext catalogs and locale-aware formatting.

Message ids are English; `vi` is the default language and must translate every id (a test
enforces it); `en` may leave ids untranslated, which then show as written. Catalogs are read
from the `.po` files with Babel and compiled in memory once per process, so there is no
compiled `.mo` file to forget to rebuild.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent
DOMAIN = "messages"
DEFAULT_LANGUAGE = "vi"
LANGUAGES: dict[str, str] = {"vi": "Tiếng Việt", "en": "English"}


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (it is translated on use)."""
    return message


def po_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


class Translator:
    """Everything language-dependent that a reply needs: messages, dates and numbers."""

    def __init__(self, language: str, translations: NullTranslations) -> None:
        self.language = language
        self._translations = translations

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    def date(self, value: date) -> str:
        """A date as people write it: '27/11/2026' in Vietnamese, 'Nov 27, 2026' in English."""
        return format_date(value, format="dd/MM/yyyy" if self.language == "vi" else "medium", locale=self.language)

    def weekday_date(self, value: date) -> str:
        """A date with its weekday, for appointment dates: 'Thứ Hai, 30/11/2026'."""
        weekday = format_date(value, format="EEEE", locale=self.language)
        return f"{weekday.capitalize()}, {self.date(value)}"

    def datetime(self, value: datetime) -> str:
        return format_datetime(value, format="short", locale=self.language, tzinfo=value.tzinfo)

    def number(self, value: float | Decimal) -> str:
        """'10.000' and '970,5' in Vietnamese, '10,000' and '970.5' in English."""
        return format_decimal(value, format="#,##0.#", locale=self.language)


@cache
def get_translator(language: str) -> Translator:
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    path = po_path(language)
    if not path.exists():
        return Translator(language, NullTranslations())
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translator(language, Translations(fp=buffer, domain=DOMAIN))

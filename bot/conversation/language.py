"""The language menu and the choice it offers (Tiếng Việt / English)."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.output import Button, Press, Reply, Rich
from locales import LANGUAGES, Translator


@dataclass(frozen=True)
class LanguageMenu(Press):
    """The home screen's "Language" button, like /language."""

    ROUTE = "lang"


@dataclass(frozen=True)
class ChooseLanguage(Press):
    ROUTE = "language"

    code: str


def language_menu(tr: Translator) -> Reply:
    buttons = tuple((Button.to(name, ChooseLanguage(code)),) for code, name in LANGUAGES.items())
    return Reply(Rich.plain(tr.gettext("Choose your language:")), buttons)


def language_set(tr: Translator) -> Reply:
    return Reply(Rich.plain(tr.gettext("Language: Vietnamese.") if tr.language == "vi"
                            else tr.gettext("Language: English.")))

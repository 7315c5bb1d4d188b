"""The assistant's home screen: what a citizen can do, one tap each."""

from __future__ import annotations

from bot.announcements.presses import Unsubscribe
from bot.cases.presses import LookupMenu, MyCasesMenu
from bot.conversation.language import LanguageMenu
from bot.feedback.presses import FeedbackMenu
from dialogs.catalog import Catalog
from dialogs.model import DialogState
from dialogs.output import Button, Expect, Reply, Rich
from dialogs.prompts import short
from dialogs.steps import Navigate, Place
from locales import Translator


def home(state: DialogState | None, catalog: Catalog, tr: Translator, office_name: str) -> Reply:
    _ = tr.gettext
    text = Rich.of(_("Welcome to the one-stop desk of **{office}**.\n"
                     "I can tell you which documents each procedure needs, help you prepare your application "
                     "and give you an appointment date. What would you like to do?"), office=office_name)
    rows: list[tuple[Button, ...]] = []
    if state is not None and state.procedure_id and (procedure := catalog.get(state.procedure_id)):
        rows.append((Button.to(_("▶️ Continue: {procedure}").format(procedure=short(procedure, tr.language)),
                               Navigate(Place.RESUME)),))
    rows.append((Button.to(_("📝 Apply"), Navigate(Place.APPLY)), Button.to(_("📖 Procedures"), Navigate(Place.PROCEDURES))))
    rows.append((Button.to(_("🔎 Look up a case"), LookupMenu()), Button.to(_("📂 My cases"), MyCasesMenu())))
    rows.append((Button.to(_("💬 Feedback"), FeedbackMenu()), Button.to(_("🌐 Language"), LanguageMenu())))
    rows.append((Button.to(_("🔕 Stop announcements"), Unsubscribe()),))
    return Reply(text, tuple(rows), expects=Expect.CHOICE)

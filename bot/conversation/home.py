"""The assistant's home screen: what a citizen can do, one tap each."""

from __future__ import annotations

from bot.announcements.presses import Subscribe, Unsubscribe
from bot.announcements.subscriptions import Announcements
from bot.cases.presses import LookupMenu, MyCasesMenu
from bot.conversation.language import LanguageMenu
from bot.feedback.presses import FeedbackMenu
from bot.privacy.presses import DataAction, DataPress
from dialogs.catalog import Catalog
from dialogs.model import DialogState
from dialogs.output import Button, Expect, Reply, Rich
from dialogs.prompts import short
from dialogs.steps import Navigate, Place
from locales import Translator


def home(state: DialogState | None, catalog: Catalog, tr: Translator, office_name: str,
         announcements: Announcements | None = None) -> Reply:
    """`announcements`: the first greeting's question, or the button that changes the answer;
    None on a channel without announcements."""
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
    my_data = Button.to(_("🔐 My data"), DataPress(DataAction.SHOW))
    if announcements is Announcements.ASK:
        text += "\n\n" + Rich.of(_("📣 Would you like to receive the office's **announcements** (new rules, days "
                                   "the desk is closed, reminders)? This is separate from any application; you can "
                                   "change your mind at any time."))
        rows += [(my_data,), (Button.to(_("🔔 Yes, send them"), Subscribe()),
                              Button.to(_("🔕 No, thank you"), Unsubscribe()))]
    elif announcements is Announcements.SUBSCRIBED:
        rows.append((my_data, Button.to(_("🔕 Stop announcements"), Unsubscribe())))
    elif announcements is Announcements.NOT_SUBSCRIBED:
        rows.append((my_data, Button.to(_("🔔 Receive announcements"), Subscribe())))
    else:
        rows.append((my_data,))
    return Reply(text, tuple(rows), expects=Expect.CHOICE)

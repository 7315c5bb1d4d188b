"""Case lookup for citizens: one case by its code (/tracuu, the receipt's QR link, a button) and
the list of the chat's own cases.

A chat only ever sees cases it filed. Every other answer — unknown code, someone else's case,
a forged button — is the same "not found" text, so trying codes teaches nothing, not even
whether a case exists. Lookups only read, so no transaction or update claim is needed.
"""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.case_cards import procedure_title, status_label
from bot.case_status import CaseStatus
from bot.cases import find_case
from dialogs.catalog import Catalog
from dialogs.model import Button, Reply
from dialogs.steps import MENU_PREFIX, SUPPLEMENT_PREFIX
from locales import N_, Translator, get_translator
from storage.db import MAX_ROW_ID
from storage.models import Case, CaseEvent

CASE_PREFIX = "k."
MAX_LISTED = 10

NOTE_LABELS = {
    CaseStatus.REFUSED: N_("Reason:"),
    CaseStatus.NEEDS_MORE: N_("What to add:"),
    CaseStatus.READY: N_("How to collect it:"),
}
OTHER_NOTE_LABEL = N_("Note:")


def normalize_code(code: str) -> str:
    """People type codes in any case and with stray spaces ('hs-261127 -0001'); stored codes are
    upper-case without spaces."""
    return "".join(code.split()).upper()


class CaseLookup:
    def __init__(self, db: Engine, catalog: Catalog, tz: ZoneInfo) -> None:
        """`tz` is the office's zone: times are shown as the desk's clock shows them."""
        self.db = db
        self.catalog = catalog
        self.tz = tz

    def show(self, chat_id: int, code: str, language: str) -> Reply:
        tr = get_translator(language)
        code = normalize_code(code)
        with Session(self.db) as session:
            case = find_case(session, code)
            if case is None or case.chat_id != chat_id:
                return self._not_found(session, chat_id, tr, code)
            return self._card(session, case, tr)

    def show_by_id(self, chat_id: int, case_id: int | None, language: str) -> Reply:
        """`case_id` is None for a payload that is not a valid id: answered like another chat's case."""
        tr = get_translator(language)
        with Session(self.db) as session:
            case = session.get(Case, case_id) if case_id is not None and 0 < case_id <= MAX_ROW_ID else None
            if case is None or case.chat_id != chat_id:
                return self._not_found(session, chat_id, tr, None)
            return self._card(session, case, tr)

    def mine(self, chat_id: int, language: str) -> Reply:
        tr = get_translator(language)
        _ = tr.gettext
        with Session(self.db) as session:
            lines, buttons = self._listing(session, chat_id, tr)
        if not lines:
            return Reply(_("You have not filed any case with this bot yet."),
                         ((Button(_("📝 Apply"), MENU_PREFIX + "apply"),),))
        return Reply("\n".join([_("📂 <b>Your cases</b>, newest first:"), *lines]), buttons)

    def prompt(self, chat_id: int, language: str) -> Reply:
        """The menu's "look up a case" button: how to type a code, and the chat's own cases to tap."""
        tr = get_translator(language)
        _ = tr.gettext
        with Session(self.db) as session:
            lines, buttons = self._listing(session, chat_id, tr)
        text = _("To look up a case, type /tracuu followed by the case code, for example: /tracuu HS-261127-0001")
        if lines:
            text += "\n\n" + "\n".join([_("Or tap one of your cases:"), *lines])
        return Reply(text, buttons)

    # ----- internals -------------------------------------------------------------------------

    def _card(self, session: Session, case: Case, tr: Translator) -> Reply:
        _ = tr.gettext
        lines = [
            _("📁 Case <b>{code}</b>").format(code=escape(case.code)),
            _("Procedure: {procedure}").format(procedure=escape(procedure_title(self.catalog, case, tr))),
            _("Status: {status}").format(status="<b>" + escape(status_label(case.status, tr)) + "</b>"),
            _("Due: <b>{date}</b>").format(date=escape(tr.weekday_date(case.due_date))),
        ]
        last = session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)
                            .order_by(CaseEvent.id.desc())).first()  # type: ignore[union-attr]
        if last is not None:
            lines.append(_("Last update: {when} — {status}").format(
                when=escape(tr.datetime(last.at.astimezone(self.tz))),
                status=escape(status_label(last.to_status, tr))))
            if last.note:
                label = _(NOTE_LABELS.get(CaseStatus(last.to_status), OTHER_NOTE_LABEL))
                lines.append(label + ("\n" if "\n" in last.note else " ") + escape(last.note))
        rows: list[tuple[Button, ...]] = []
        if case.status == CaseStatus.NEEDS_MORE:
            rows.append((Button(_("📎 Send the additional documents"), f"{SUPPLEMENT_PREFIX}{case.id}"),))
        rows.append((Button(_("📂 My cases"), MENU_PREFIX + "mine"), Button(_("🏠 Main menu"), MENU_PREFIX + "menu")))
        return Reply("\n".join(lines), tuple(rows))

    def _not_found(self, session: Session, chat_id: int, tr: Translator, code: str | None) -> Reply:
        """Depends only on what was typed and on the chat's own cases, never on other chats'."""
        _ = tr.gettext
        text = (_("No case {code} was found among your cases.").format(code=f"<b>{escape(code)}</b>") if code
                else _("This case was not found among your cases."))
        text += " " + _("Please check the code on your receipt.")
        lines, buttons = self._listing(session, chat_id, tr)
        if lines:
            text += "\n\n" + "\n".join([_("Your cases:"), *lines])
        return Reply(text, (*buttons, (Button(_("🏠 Main menu"), MENU_PREFIX + "menu"),)))

    def _listing(self, session: Session, chat_id: int,
                 tr: Translator) -> tuple[list[str], tuple[tuple[Button, ...], ...]]:
        """One line and one button per case of the chat, newest first, at most MAX_LISTED."""
        cases = session.exec(select(Case).where(Case.chat_id == chat_id)
                             .order_by(Case.created_at.desc(), Case.id.desc())  # type: ignore[attr-defined, union-attr]
                             .limit(MAX_LISTED + 1)).all()
        lines = [tr.gettext("• <b>{code}</b> — {procedure}: {status}, due {date}").format(
            code=escape(case.code), procedure=escape(self._short_title(case, tr)),
            status=escape(status_label(case.status, tr)), date=escape(tr.date(case.due_date)))
            for case in cases[:MAX_LISTED]]
        if len(cases) > MAX_LISTED:
            lines.append(tr.gettext("Only the {n} newest are shown; type /tracuu and the code to find an older one.")
                         .format(n=MAX_LISTED))
        buttons = tuple((Button(case.code, f"{CASE_PREFIX}{case.id}"),) for case in cases[:MAX_LISTED])
        return lines, buttons

    def _short_title(self, case: Case, tr: Translator) -> str:
        procedure = self.catalog.get(case.procedure_id)
        if procedure is None:
            return case.procedure_id
        return (procedure.short_title or procedure.title).get(tr.language)

"""Case lookup for citizens: one case by its code (/tracuu, the receipt's QR link, a button) and
the list of the chat's own cases.

A chat only ever sees cases it filed. Every other answer — unknown code, someone else's case,
a forged button — is the same "not found" text, so trying codes teaches nothing, not even
whether a case exists. Lookups only read, so no transaction or update claim is needed.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.cases.cards import note_line, procedure_title, short_title, status_of, supplement_button
from bot.cases.codes import find_case, is_typed_code, normalize_code
from bot.cases.presses import MyCasesMenu, ShowCase
from bot.cases.status import CaseStatus
from dialogs.catalog import Catalog
from dialogs.output import MAX_ROW_ID, Button, Reply, Rich, Rows
from dialogs.steps import Navigate, Place
from locales import Translator, get_translator
from storage.models import Case, CaseEvent

MAX_LISTED = 10


class CaseLookup:
    def __init__(self, db: Engine, catalog: Catalog, tz: ZoneInfo, code_prefix: str) -> None:
        """`tz` is the office's zone: times are shown as the desk's clock shows them."""
        self.db = db
        self.catalog = catalog
        self.tz = tz
        self.code_prefix = code_prefix

    def is_code(self, text: str) -> bool:
        return is_typed_code(text, self.code_prefix)

    def show(self, chat_id: int, code: str, language: str) -> Reply:
        tr = get_translator(language)
        code = normalize_code(code)
        with Session(self.db) as session:
            case = find_case(session, code)
            if case is None or case.chat_id != chat_id:
                return self._not_found(session, chat_id, tr, code)
            return self._card(session, case, tr)

    def show_by_id(self, chat_id: int, case_id: int, language: str) -> Reply:
        """Any id is answered, even one no button of this bot can carry (0, beyond 32 bits)."""
        tr = get_translator(language)
        with Session(self.db) as session:
            case = session.get(Case, case_id) if 0 < case_id <= MAX_ROW_ID else None
            if case is None or case.chat_id != chat_id:
                return self._not_found(session, chat_id, tr, None)
            return self._card(session, case, tr)

    def mine(self, chat_id: int, language: str) -> Reply:
        tr = get_translator(language)
        _ = tr.gettext
        with Session(self.db) as session:
            lines, buttons = self._listing(session, chat_id, tr)
        if not lines:
            return Reply(Rich.plain(_("You have not filed any case with this bot yet.")),
                         ((Button.to(_("📝 Apply"), Navigate(Place.APPLY)),),))
        return Reply(Rich.join("\n", [Rich.of(_("📂 **Your cases**, newest first:")), *lines]), buttons)

    def prompt(self, chat_id: int, language: str) -> Reply:
        """The home screen's "look up a case" button: how to type a code, and the chat's own cases."""
        tr = get_translator(language)
        _ = tr.gettext
        with Session(self.db) as session:
            lines, buttons = self._listing(session, chat_id, tr)
        text = Rich.plain(_("To look up a case, type /tracuu followed by the case code, for example: "
                            "/tracuu HS-261127-0001"))
        if lines:
            text += "\n\n" + Rich.join("\n", [_("Or tap one of your cases:"), *lines])
        return Reply(text, buttons)

    def _card(self, session: Session, case: Case, tr: Translator) -> Reply:
        _ = tr.gettext
        lines = [
            Rich.of(_("📁 Case **{code}**"), code=case.code),
            Rich.plain(_("Procedure: {procedure}").format(procedure=procedure_title(self.catalog, case, tr))),
            Rich.of(_("Status: {status}"), status=Rich.bold(status_of(case).shown(tr))),
            Rich.of(_("Due: **{date}**"), date=tr.weekday_date(case.due_date)),
        ]
        last = session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)
                            .order_by(col(CaseEvent.id).desc())).first()
        if last is not None:
            lines.append(Rich.plain(_("Last update: {when} — {status}").format(
                when=tr.datetime(last.at.astimezone(self.tz)), status=CaseStatus(last.to_status).shown(tr))))
            if last.note:
                lines.append(Rich.plain(note_line(last, tr)))
        rows: list[tuple[Button, ...]] = []
        if case.status == CaseStatus.AWAITING_SUPPLEMENT:
            rows.append((supplement_button(case, tr),))
        rows.append((Button.to(_("📂 My cases"), MyCasesMenu()), Button.to(_("🏠 Main menu"), Navigate(Place.HOME))))
        return Reply(Rich.join("\n", lines), tuple(rows))

    def _not_found(self, session: Session, chat_id: int, tr: Translator, code: str | None) -> Reply:
        """Depends only on what was typed and on the chat's own cases, never on other chats'."""
        _ = tr.gettext
        text = (Rich.of(_("No case {code} was found among your cases."), code=Rich.bold(code)) if code
                else Rich.plain(_("This case was not found among your cases.")))
        text += " " + _("Please check the code on your receipt.")
        lines, buttons = self._listing(session, chat_id, tr)
        if lines:
            text += "\n\n" + Rich.join("\n", [_("Your cases:"), *lines])
        return Reply(text, (*buttons, (Button.to(_("🏠 Main menu"), Navigate(Place.HOME)),)))

    def _listing(self, session: Session, chat_id: int, tr: Translator) -> tuple[list[Rich], Rows]:
        """One line and one button per case of the chat, newest first, at most MAX_LISTED."""
        cases = session.exec(select(Case).where(Case.chat_id == chat_id)
                             .order_by(col(Case.created_at).desc(), col(Case.id).desc())
                             .limit(MAX_LISTED + 1)).all()
        lines = [Rich.of(tr.gettext("• **{code}** — {procedure}: {status}, due {date}"), code=case.code,
                         procedure=short_title(self.catalog, case, tr), status=status_of(case).shown(tr),
                         date=tr.date(case.due_date))
                 for case in cases[:MAX_LISTED]]
        if len(cases) > MAX_LISTED:
            lines.append(Rich.plain(tr.gettext("Only the {n} newest are shown; type /tracuu and the code to find an "
                                               "older one.").format(n=MAX_LISTED)))
        buttons = tuple((Button.to(case.code, ShowCase(case.id or 0)),) for case in cases[:MAX_LISTED])
        return lines, buttons

"""The supplement round trip ("Yêu cầu bổ sung"): an officer lists what is missing, the citizen
is asked for exactly those items one by one (see the dialog's supplement steps), and what they
send is attached to the case, which goes back to the officers with a new due date. An item that
names a question of the form corrects that answer, and the form is made again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.cases.due_dates import WorkCalendar, due_after_supplement
from bot.cases.notices import CaseNotices
from bot.cases.status import CaseStatus
from bot.cases.workflow import transition
from bot.forms.maker import PDF, FormMaker, attachment, file_name
from bot.settings import Settings
from dialogs.catalog import Catalog, ClockRule, Procedure
from dialogs.model import DialogState
from dialogs.navigation import SUPPLEMENT_DOCUMENT, field_for_item
from dialogs.output import Attachment, Reply, Rich
from dialogs.prompts import display_answer
from locales import N_, Translator
from storage.files import FileStore
from storage.models import Case, CaseDocument, CaseEvent

NO_LONGER_OPEN = N_("This request for more documents is no longer open.")


def requested_items(note: str | None) -> list[str]:
    """The officer typed one item a line; bullets and blank lines are not items."""
    return [line.strip(" -•\t") for line in (note or "").splitlines() if line.strip(" -•\t")]


class Supplements:
    def __init__(self, catalog: Catalog, settings: Settings, calendar: WorkCalendar, notices: CaseNotices,
                 clock: Callable[[], datetime]) -> None:
        self.catalog = catalog
        self.settings = settings
        self.calendar = calendar
        self.notices = notices
        self.clock = clock
        self.forms = FormMaker(catalog, FileStore(settings.files_dir), settings.office_name)

    def open_request(self, session: Session, chat_id: int, case_id: int) -> tuple[Case, list[str]] | None:
        """The chat's own case waiting for a supplement, with the items asked for; None otherwise."""
        case = session.get(Case, case_id)
        if case is None or case.chat_id != chat_id or case.status != CaseStatus.AWAITING_SUPPLEMENT:
            return None
        request = session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                       CaseEvent.to_status == CaseStatus.AWAITING_SUPPLEMENT)
                               .order_by(col(CaseEvent.id).desc())).first()
        return case, requested_items(request.note if request else None)

    def submit(self, session: Session, chat_id: int, state: DialogState, tr: Translator) -> Reply:
        """Attach what the citizen sent, move the case back to the officers and tell them."""
        case = session.get(Case, state.case_id)
        if case is None or case.chat_id != chat_id or case.status != CaseStatus.AWAITING_SUPPLEMENT:
            return Reply(Rich.plain(tr.gettext(NO_LONGER_OPEN)))
        now = self.clock()
        added = sum(1 for d in session.exec(select(CaseDocument).where(CaseDocument.case_id == case.id)).all()
                    if d.document_id.startswith(SUPPLEMENT_DOCUMENT))
        for document_id, files in sorted(state.documents.items()):
            for stored in files:
                added += 1
                session.add(CaseDocument(case_id=case.id or 0, document_id=document_id, position=added,
                                         sha256=stored.sha256, mime_type=stored.mime_type, size=stored.size,
                                         telegram_file_id=stored.telegram_file_id, telegram_file_unique_id=stored.file_unique_id,
                                         telegram_kind=stored.kind))
        procedure = self.catalog.get(case.procedure_id)
        data, corrected = answers_after_supplement(case.applicant_data, state, procedure, tr)
        if data != case.applicant_data:
            session.execute(update(Case).where(col(Case.id) == case.id).values(applicant_data=data))
            case.applicant_data = data
        forms: tuple[Attachment, ...] = ()
        if corrected and procedure is not None and procedure.form_documents:
            caption = Rich.plain(tr.gettext("📝 Your form, made again with the corrected answers."))
            forms = tuple(attachment(row, file_name(case.code, procedure, row), caption)
                          for row in self.forms.attach_to_case(session, case, procedure) if row.mime_type == PDF)
        due = due_after_supplement(self.calendar, procedure.processing.on_supplement if procedure else ClockRule.RESTART,
                                   working_days=procedure.processing.working_days if procedure else 0,
                                   old_due=case.due_date, waiting_since=case.waiting_since, now=now,
                                   cutoff=self.settings.same_day_cutoff, tz=self.settings.tz)
        if not transition(session, case, case.version, CaseStatus.SUBMITTED, actor=f"citizen:{chat_id}", note=None,
                          now=now, due=due):
            return Reply(Rich.plain(tr.gettext(NO_LONGER_OPEN)))
        self.notices.to_officers(session, case, supplement=True, forms_changed=bool(forms))
        return Reply(Rich.of(tr.gettext("✅ Thank you. Your additional documents were sent with case **{code}**. "
                                        "New appointment date: **{date}**."),
                             code=case.code, date=tr.weekday_date(case.due_date)), attachments=forms)


def answers_after_supplement(data: dict[str, Any], state: DialogState, procedure: Procedure | None,
                   tr: Translator) -> tuple[dict[str, Any], bool]:
    """The case's answers with what the citizen typed: an item naming a question replaces its
    answer; every typed item is also kept, as the officer reads it, under "supplements"."""
    updated = dict(data)
    texts: list[str] = []
    corrected = False
    for index, item in enumerate(state.items):
        typed = state.answers.get(str(index))
        if typed is None:
            continue
        field = field_for_item(procedure, item)
        if field is not None:
            corrected = corrected or updated.get(field.id) != typed
            updated[field.id] = typed
            typed = display_answer(field, typed, tr)
        texts.append(f"{item}: {typed}")
    if texts:
        updated["supplements"] = [*updated.get("supplements", []), *texts]
    return updated, corrected

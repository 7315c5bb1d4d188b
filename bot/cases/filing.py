"""Filing a case from a completed dialog: its code, its due date, its documents and filled forms,
the first audit entry, the officers' notice and the citizen's receipt, all in the dialog's
transaction."""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot.cases.codes import next_code
from bot.cases.due_dates import WorkCalendar, due_date
from bot.cases.notices import CaseNotices
from bot.cases.receipt import receipt
from bot.cases.status import CaseStatus
from bot.forms.maker import PDF, FormMaker, attachment, file_name
from bot.settings import Settings
from dialogs.catalog import Procedure
from dialogs.model import Context, DialogState
from dialogs.output import Reply, Rich
from storage.files import FileStore
from storage.models import Case, CaseDocument, CaseEvent, Consent


class CaseFiling:
    def __init__(self, settings: Settings, calendar: WorkCalendar, notices: CaseNotices) -> None:
        self.settings = settings
        self.calendar = calendar
        self.notices = notices
        self.forms = FormMaker(notices.catalog, FileStore(settings.files_dir), settings.office_name)

    def file(self, session: Session, chat_id: int, state: DialogState, procedure: Procedure, ctx: Context, *,
             bot_username: str | None) -> Reply:
        """Create the case, tell the officers, and return the citizen's receipt."""
        consent = session.exec(select(Consent).where(Consent.chat_id == chat_id, Consent.dialog_id == state.dialog_id)
                               .order_by(col(Consent.id).desc())).first()
        due = due_date(self.calendar, ctx.now, procedure.processing.working_days,
                       cutoff=self.settings.same_day_cutoff, tz=self.settings.tz)
        case = Case(
            code=next_code(session, ctx.today, self.settings.case_code_prefix),
            procedure_id=procedure.id,
            field_id=procedure.field.id,
            chat_id=chat_id,
            status=CaseStatus.SUBMITTED,
            applicant_name=state.answers.get("full_name", ""),
            applicant_data=dict(state.answers),
            language=ctx.tr.language,
            consent_id=consent.id if consent else None,
            created_at=ctx.now,
            due_date=due,
        )
        session.add(case)
        session.flush()
        assert case.id is not None
        for document in procedure.collected_documents:
            for position, stored in enumerate(state.documents.get(document.id, []), start=1):
                session.add(CaseDocument(
                    case_id=case.id, document_id=document.id, position=position, sha256=stored.sha256,
                    mime_type=stored.mime_type, size=stored.size, telegram_file_id=stored.telegram_file_id,
                    telegram_file_unique_id=stored.file_unique_id, telegram_kind=stored.kind,
                ))
        forms = self.forms.attach_to_case(session, case, procedure)
        session.add(CaseEvent(case_id=case.id, at=ctx.now, actor=f"citizen:{chat_id}", from_status=None,
                              to_status=CaseStatus.SUBMITTED))
        self.notices.to_officers(session, case)
        caption = Rich.plain(ctx.tr.gettext("📝 Your filled form. The desk prints it; you only read it and sign."))
        pdfs = tuple(attachment(row, file_name(case.code, procedure, row), caption) for row in forms
                     if row.mime_type == PDF)
        return receipt(case.code, due, state, procedure, ctx, bot_username=bot_username, forms=pdfs)

"""Who is told what when a case is filed or changes: the officers of its field (and their group
chats) get the case with its files and action buttons; the citizen gets each status change in
their language, and a rating request when the result is delivered. All of it goes through the
outbox, in the transaction of the change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlmodel import Session, col, select

from bot.cases.cards import case_card, citizen_update, officer_buttons
from bot.cases.status import CaseStatus
from bot.conversation.turns import language_of
from bot.feedback.ratings import enqueue_rating_request
from bot.forms.maker import DOCX, attachment, file_name
from bot.settings import Settings
from bot.staff.permissions import officers_for_field
from dialogs.catalog import Catalog, Procedure
from dialogs.navigation import SUPPLEMENT_DOCUMENT
from dialogs.output import Attachment, Reply, Rich
from locales import DEFAULT_LANGUAGE, Translator, get_translator
from storage.models import Case, CaseDocument
from storage.outbox import enqueue


def case_documents(session: Session, case: Case) -> list[CaseDocument]:
    return list(session.exec(select(CaseDocument).where(CaseDocument.case_id == case.id)
                             .order_by(col(CaseDocument.id))).all())


def is_form(document: CaseDocument, procedure: Procedure | None) -> bool:
    """A filled form the assistant made, not a page the citizen sent."""
    return procedure is not None and any(d.id == document.document_id for d in procedure.form_documents)


def form_attachments(case: Case, procedure: Procedure | None, documents: list[CaseDocument],
                     tr: Translator) -> tuple[Attachment, ...]:
    """The case's filled forms for the officers: the DOCX to correct and print, the PDF to read."""
    if procedure is None:
        return ()
    word = tr.gettext("📝 Filled form of case {code}, to correct and print (Word).").format(code=case.code)
    pdf = tr.gettext("📝 Filled form of case {code} (PDF).").format(code=case.code)
    return tuple(attachment(d, file_name(case.code, procedure, d), Rich.plain(word if d.mime_type == DOCX else pdf))
                 for d in documents if is_form(d, procedure))


def document_attachment(document: CaseDocument, caption: Rich = Rich()) -> Attachment:
    kind = "photo" if document.telegram_kind == "photo" else "document"
    return Attachment(kind, caption, sha256=document.sha256, telegram_file_id=document.telegram_file_id,
                      mime_type=document.mime_type)


class CaseNotices:
    def __init__(self, catalog: Catalog, settings: Settings, clock: Callable[[], datetime]) -> None:
        self.catalog = catalog
        self.settings = settings
        self.clock = clock

    def today(self) -> date:
        return self.clock().astimezone(self.settings.tz).date()

    def card(self, case: Case, documents: list[CaseDocument], tr: Translator, *, heading: Rich | None = None) -> Reply:
        """The officers' card; the filled forms are sent as files, not counted as pages."""
        procedure = self.catalog.get(case.procedure_id)
        pages = [d for d in documents if not is_form(d, procedure)]
        text = case_card(case, procedure, pages, tr, self.today(), heading=heading)
        return Reply(text, officer_buttons(case, tr))

    def to_officers(self, session: Session, case: Case, *, supplement: bool = False,
                    forms_changed: bool = False) -> None:
        """The case, its files (sent again by Telegram file id, never uploaded twice), its filled
        forms and its action buttons, to every officer of its field and to the field's group
        chats; after a supplement, only the pages the citizen added and the forms if the answers
        changed."""
        recipients = [(m.telegram_id, language_of(session, m.telegram_id))
                      for m in officers_for_field(session, case.field_id)]
        recipients += [(chat, DEFAULT_LANGUAGE) for chat in self.settings.chats_for_field(case.field_id)]
        procedure = self.catalog.get(case.procedure_id)
        documents = case_documents(session, case)
        pages = [d for d in documents if not is_form(d, procedure)]
        sent = [d for d in pages if d.document_id.startswith(SUPPLEMENT_DOCUMENT)] if supplement else pages
        photos = tuple(document_attachment(d) for d in sent if d.telegram_kind == "photo")
        files = [document_attachment(d) for d in sent if d.telegram_kind != "photo"]
        now = self.clock()
        for chat_id, language in recipients:
            tr = get_translator(language)
            heading = Rich.of(tr.gettext("📎 Case **{code}**: the citizen sent what was asked for.") if supplement
                              else tr.gettext("📥 New case **{code}**"), code=case.code)
            if photos:
                enqueue(session, chat_id, Reply(attachments=photos), now=now)
            for file in files:
                enqueue(session, chat_id, Reply(attachments=(file,)), now=now)
            if forms_changed or not supplement:
                for form in form_attachments(case, procedure, documents, tr):
                    enqueue(session, chat_id, Reply(attachments=(form,)), now=now)
            enqueue(session, chat_id, self.card(case, documents, tr, heading=heading), now=now)

    def to_citizen(self, session: Session, case: Case, note: str | None, result: Attachment | None) -> None:
        tr = get_translator(case.language)
        now = self.clock()
        if result is not None:
            enqueue(session, case.chat_id, Reply(attachments=(result,)), now=now)
        enqueue(session, case.chat_id, citizen_update(case, self.catalog, tr, note), now=now)
        if case.status == CaseStatus.DELIVERED:
            enqueue_rating_request(session, case, now=now)

"""Who is told what when a case is filed or changes: the officers of its field get the case with
its files and action buttons in their private chats, their group chats only its code, procedure,
due date and buttons; the citizen gets each status change in their language, and a rating
request when the result is delivered. All of it goes through the outbox, in the transaction of
the change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlmodel import Session, col, select

from bot.cases.cards import case_card, citizen_update, group_card, officer_button, officer_buttons
from bot.cases.presses import OfficerAction
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
from storage.models import Case, CaseDocument, StaffMember
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


def _heading(case: Case, tr: Translator, supplement: bool) -> Rich:
    return Rich.of(tr.gettext("📎 Case **{code}**: the citizen sent what was asked for.") if supplement
                   else tr.gettext("📥 New case **{code}**"), code=case.code)


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
        forms and its action buttons, to every officer of its field; after a supplement, only the
        pages the citizen added and the forms if the answers changed. The field's group chats
        get the case without any personal data (`group_card`): whoever taps a button there gets
        the rest in their private chat, if they may handle the case."""
        now = self.clock()
        documents = case_documents(session, case)
        for member in officers_for_field(session, case.field_id):
            tr = get_translator(language_of(session, member.telegram_id))
            for reply in self.files(case, documents, tr, supplement=supplement,
                                    forms=forms_changed or not supplement):
                enqueue(session, member.telegram_id, reply, now=now)
            enqueue(session, member.telegram_id, self.card(case, documents, tr, heading=_heading(case, tr, supplement)),
                    now=now)
        group = get_translator(DEFAULT_LANGUAGE)
        for chat in self.settings.chats_for_field(case.field_id):
            enqueue(session, chat, group_card(case, self.catalog, group, self.today(),
                                              heading=_heading(case, group, supplement)), now=now)

    def erasure_requested(self, session: Session, case: Case) -> None:
        """The citizen asked for their data to be deleted while the case is open: the officers who
        may handle it are told (privately) that it will be anonymised once it is closed."""
        now = self.clock()
        members = {m.telegram_id: m for m in officers_for_field(session, case.field_id)}
        handler = session.get(StaffMember, case.officer_id) if case.officer_id is not None else None
        if handler is not None and handler.active:
            members[handler.telegram_id] = handler
        for telegram_id in members:
            tr = get_translator(language_of(session, telegram_id))
            text = Rich.of(tr.gettext("🗑 The citizen of case **{code}** asked for their personal data to be deleted. "
                                      "The case is kept until it is closed, as the law allows, and is anonymised "
                                      "automatically then."), code=case.code)
            view = officer_button(case, OfficerAction.VIEW, tr.gettext("📂 Open the case"))
            enqueue(session, telegram_id, Reply(text, ((view,),)), now=now)

    def files(self, case: Case, documents: list[CaseDocument], tr: Translator, *, supplement: bool = False,
              forms: bool = True) -> list[Reply]:
        """The pages the citizen sent (photos as one album), then the filled forms; after a
        supplement, only the pages it added."""
        procedure = self.catalog.get(case.procedure_id)
        pages = [d for d in documents if not is_form(d, procedure)]
        sent = [d for d in pages if d.document_id.startswith(SUPPLEMENT_DOCUMENT)] if supplement else pages
        photos = tuple(document_attachment(d) for d in sent if d.telegram_kind == "photo")
        replies = [Reply(attachments=photos)] if photos else []
        replies += [Reply(attachments=(document_attachment(d),)) for d in sent if d.telegram_kind != "photo"]
        if forms:
            replies += [Reply(attachments=(form,)) for form in form_attachments(case, procedure, documents, tr)]
        return replies

    def to_citizen(self, session: Session, case: Case, note: str | None, result: Attachment | None) -> None:
        tr = get_translator(case.language)
        now = self.clock()
        if result is not None:
            enqueue(session, case.chat_id, Reply(attachments=(result,)), now=now)
        enqueue(session, case.chat_id, citizen_update(case, self.catalog, tr, note), now=now)
        if case.status == CaseStatus.DELIVERED:
            enqueue_rating_request(session, case, now=now)

"""Making the filled forms of an application and keeping them: the PDF shown on the summary,
the PDF and DOCX of a case (made again when a supplement changes answers).

Files go into the content-addressed file store and are sent by their hash, like every file of a
case, so any channel and the outbox can send them. A case's forms are rows of `case_documents`
under the id of the document they fill (PDF first, then DOCX); the officer's card leaves them
out of its page counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import Session, col

from dialogs.catalog import Catalog, Document, Procedure
from dialogs.formfill import FilledForm, fill
from dialogs.model import StoredFile
from dialogs.output import Attachment, Rich
from storage.files import FileStore
from storage.models import Case, CaseDocument

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXTENSIONS = {PDF: "pdf", DOCX: "docx"}
MADE_BY = "bot"
"""The channel of a file the assistant made itself: it has no messenger file id."""


@dataclass(frozen=True)
class Made:
    document: Document
    form: FilledForm


class FormMaker:
    def __init__(self, catalog: Catalog, files: FileStore, office_name: str) -> None:
        self.catalog = catalog
        self.files = files
        self.office_name = office_name

    def filled(self, procedure: Procedure, answers: Mapping[str, str]) -> list[Made]:
        """Every form of the procedure with these answers; none for a procedure without a form."""
        return [Made(d, fill(self.catalog.form(d), procedure, answers, self.office_name))
                for d in procedure.form_documents]

    def preview(self, procedure: Procedure, answers: Mapping[str, str]) -> list[StoredFile]:
        """The PDFs the citizen reads on the summary, stored until the application ends."""
        stored = []
        for made in self.filled(procedure, answers):
            content = _pdf(made.form)
            stored.append(StoredFile(sha256=self.files.put(content), mime_type=PDF, size=len(content),
                                     file_id="", file_unique_id="", channel=MADE_BY))
        return stored

    def attach_to_case(self, session: Session, case: Case, procedure: Procedure) -> list[CaseDocument]:
        """Make the case's forms from its answers and keep them with the case, in place of any
        made before (the files of earlier versions stay in the store: queued messages may still
        send them)."""
        made = self.filled(procedure, case.applicant_data)
        ids = [m.document.id for m in made]
        if ids:
            session.execute(delete(CaseDocument).where(col(CaseDocument.case_id) == case.id,
                                                       col(CaseDocument.document_id).in_(ids)))
        rows = []
        for item in made:
            for position, (mime, content) in enumerate(((PDF, _pdf(item.form)), (DOCX, _docx(item.form))),
                                                       start=1):
                row = CaseDocument(case_id=case.id or 0, document_id=item.document.id, position=position,
                                   sha256=self.files.put(content), mime_type=mime, size=len(content),
                                   telegram_file_id="", telegram_file_unique_id="", telegram_kind="document")
                session.add(row)
                rows.append(row)
        return rows


def file_name(case_code: str, procedure: Procedure, row: CaseDocument) -> str:
    """"HS-261201-0001-to-khai-dang-ky-khai-sinh.pdf": the case and the form, readable in a folder."""
    form = procedure.document(row.document_id).form
    return f"{case_code}-{form}.{EXTENSIONS.get(row.mime_type, 'bin')}"


def attachment(row: CaseDocument, name: str, caption: Rich) -> Attachment:
    return Attachment("document", caption, sha256=row.sha256, file_name=name, mime_type=row.mime_type)


def preview_attachments(procedure: Procedure, stored: list[StoredFile], caption: Rich) -> tuple[Attachment, ...]:
    """The summary's PDFs (made in the order of the procedure's form documents), named by their form."""
    return tuple(Attachment("document", caption, sha256=file.sha256, file_name=f"{document.form}.pdf",
                            mime_type=file.mime_type)
                 for document, file in zip(procedure.form_documents, stored, strict=True))


def _pdf(form: FilledForm) -> bytes:
    """fpdf2 and Pillow (about 26 MB resident) load with the first form the bot makes, not at
    start: a bot spends most of its life on dialogs in progress (bench/RESULTS.md, memory)."""
    from bot.forms.pdf import render_pdf  # noqa: PLC0415

    return render_pdf(form)


def _docx(form: FilledForm) -> bytes:
    from bot.forms.docx import render_docx  # noqa: PLC0415 - python-docx and lxml, likewise

    return render_docx(form)

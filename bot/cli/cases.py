"""`motcua cases list | show | history | form`: the cases filed by citizens, as the desk sees them."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlmodel import Session, col, func, select

from bot.cases.status import CaseStatus
from bot.cli.common import (
    Format,
    FormatOption,
    case_or_fail,
    catalog,
    console,
    database,
    fail,
    print_record,
    print_rows,
)
from bot.forms.maker import FormMaker
from locales import get_translator
from storage.files import FileStore
from storage.models import Case, CaseDocument, CaseEvent, StaffMember

app = typer.Typer(help="Cases filed by citizens.", no_args_is_help=True)


def _case_row(case: Case, documents: int) -> dict[str, Any]:
    return {
        "code": case.code,
        "procedure_id": case.procedure_id,
        "status": case.status,
        "applicant_name": case.applicant_name,
        "created_at": case.created_at.isoformat(),
        "due_date": case.due_date.isoformat(),
        "document_count": documents,
    }


def _document_counts(session: Session) -> dict[int, int]:
    statement = select(CaseDocument.case_id, func.count()).group_by(CaseDocument.case_id)
    return {case_id: count for case_id, count in session.exec(statement).all()}


@app.command("list")
def cases_list(output: FormatOption = Format.TABLE) -> None:
    """All cases, newest first."""
    with database() as (_, session):
        counts = _document_counts(session)
        cases = session.exec(select(Case).order_by(col(Case.created_at).desc())).all()
        rows = [_case_row(case, counts.get(case.id or 0, 0)) for case in cases]
    print_rows(rows, output, title="Hồ sơ")


@app.command("show")
def cases_show(code: str, output: FormatOption = Format.TABLE) -> None:
    """One case, with its documents."""
    with database() as (config, session):
        case = case_or_fail(session, code)
        documents = session.exec(select(CaseDocument).where(CaseDocument.case_id == case.id)
                                 .order_by(col(CaseDocument.document_id), col(CaseDocument.position))).all()
        row = _case_row(case, len(documents))
        row["chat_id"] = case.chat_id  # what `motcua citizen show|forget` take
        row["status_label"] = CaseStatus(case.status).shown(get_translator("vi"))
        row["applicant_data"] = case.applicant_data
        row["documents"] = [{"document_id": d.document_id, "page": d.position, "sha256": d.sha256,
                             "mime_type": d.mime_type, "size": d.size,
                             "path": str(config.files_dir / d.sha256[:2] / d.sha256)} for d in documents]
    if output is Format.JSON:
        print_record(row, output, title=f"Hồ sơ {case.code}")
        return
    table = Table(title=f"Hồ sơ {case.code}", show_header=False)
    for key, value in row.items():
        if key not in ("documents", "applicant_data"):
            table.add_row(key, str(value))
    for key, value in row["applicant_data"].items():
        table.add_row(f"  {key}", str(value))
    for document in row["documents"]:
        table.add_row(f"  {document['document_id']} #{document['page']}", document["path"])
    console.print(table)


class FormFormat(StrEnum):
    DOCX = "docx"
    PDF = "pdf"


@app.command("form")
def cases_form(code: str,
               output_format: Annotated[FormFormat, typer.Option("--format", help="docx or pdf")] = FormFormat.PDF,
               output: Annotated[Path | None, typer.Option("--output", help="the file to write (default: "
                                                           "CODE-FORM.docx|pdf here)")] = None) -> None:
    """Print a case's filled form again, made from its current answers (after any supplement)."""
    with database() as (config, session):
        case = case_or_fail(session, code)
        forms = FormMaker(catalog(config), FileStore(config.files_dir), config.office_name)
        procedure = forms.catalog.get(case.procedure_id)
        made = forms.filled(procedure, case.applicant_data) if procedure is not None else []
        if not made:
            raise fail(f"case {case.code} ({case.procedure_id}) has no form to fill in")
        from bot.forms.docx import render_docx  # noqa: PLC0415 - `motcua run` imports every command: see bot.forms.maker
        from bot.forms.pdf import render_pdf  # noqa: PLC0415

        render = render_docx if output_format is FormFormat.DOCX else render_pdf
        for item in made:
            target = output if output is not None and len(made) == 1 else \
                Path(f"{case.code}-{item.form.form_id}.{output_format.value}")
            target.write_bytes(render(item.form))
            typer.echo(str(target))


@app.command("history")
def cases_history(code: str, output: FormatOption = Format.TABLE) -> None:
    """The audit log of one case: who changed what, when, from which status, and why."""
    with database() as (_, session):
        case = case_or_fail(session, code)
        staff = {m.id: m.name for m in session.exec(select(StaffMember)).all()}
        events = session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)
                              .order_by(col(CaseEvent.id))).all()
        rows = [{"at": e.at.isoformat(), "actor": _actor(e.actor, staff), "from": e.from_status or "",
                 "to": e.to_status, "note": e.note or ""} for e in events]
    print_rows(rows, output, title=f"Lịch sử hồ sơ {case.code}")


def _actor(actor: str, staff: dict[int | None, str]) -> str:
    kind, _, identifier = actor.partition(":")
    if kind == "staff" and identifier.isdigit():
        return f"{staff.get(int(identifier), '?')} (staff {identifier})"
    return actor

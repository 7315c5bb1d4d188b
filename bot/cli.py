"""The `motcua` command: run the bot and look at procedures and cases.

Configuration mistakes are reported as one line and exit code 2, because the person reading
them is usually the commune's IT person, not a Python developer.
"""

from __future__ import annotations

import json
import logging
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session, func, select

from bot.app import ALLOWED_UPDATES, build_application
from bot.cases import find_case
from bot.case_status import CaseStatus
from bot.settings import Settings, SettingsError, load_settings
from dialogs.catalog import Catalog, CatalogError, load_catalog
from locales import get_translator
from storage.db import make_engine, upgrade
from storage.models import Case, CaseDocument

app = typer.Typer(help="motcua: Telegram assistant for a commune's one-stop desk.", no_args_is_help=True)
procedures_app = typer.Typer(help="The procedure catalog.", no_args_is_help=True)
cases_app = typer.Typer(help="Cases filed by citizens.", no_args_is_help=True)
app.add_typer(procedures_app, name="procedures")
app.add_typer(cases_app, name="cases")

console = Console(width=None if sys.stdout.isatty() else 240)


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


FormatOption = Annotated[Format, typer.Option("--format", help="table or json")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code=2)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise _fail(str(exc)) from None


def _catalog(settings: Settings) -> Catalog:
    try:
        return load_catalog(settings.procedures_dir)
    except CatalogError as exc:
        raise _fail(str(exc)) from None


@app.command()
def run() -> None:
    """Start the bot (long polling), after applying pending database migrations."""
    settings = _settings()
    try:
        settings.require_token()
    except SettingsError as exc:
        raise _fail(str(exc)) from None
    _catalog(settings)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    upgrade(settings.resolved_database_url)
    build_application(settings).run_polling(allowed_updates=ALLOWED_UPDATES)


@procedures_app.command("list")
def procedures_list(output: FormatOption = Format.TABLE) -> None:
    """The procedures of this desk, from the data files."""
    catalog = _catalog(_settings())
    rows = [
        {"id": p.id, "title": p.title.vi, "field": p.field.id, "working_days": p.processing.working_days,
         "same_day": p.same_day, "documents_to_upload": len(p.collected_documents),
         "questions": len(p.applicant_fields)}
        for p in catalog
    ]
    _print(rows, output, title="Thủ tục")


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


@cases_app.command("list")
def cases_list(output: FormatOption = Format.TABLE) -> None:
    """All cases, newest first."""
    settings = _settings()
    upgrade(settings.resolved_database_url)
    with Session(make_engine(settings.resolved_database_url)) as session:
        counts = _document_counts(session)
        cases = session.exec(select(Case).order_by(Case.created_at.desc())).all()  # type: ignore[attr-defined]
        rows = [_case_row(case, counts.get(case.id or 0, 0)) for case in cases]
    _print(rows, output, title="Hồ sơ")


@cases_app.command("show")
def cases_show(code: str, output: FormatOption = Format.TABLE) -> None:
    """One case, with its documents."""
    settings = _settings()
    upgrade(settings.resolved_database_url)
    with Session(make_engine(settings.resolved_database_url)) as session:
        case = find_case(session, code)
        if case is None:
            raise _fail(f"no case with code {code}")
        documents = session.exec(select(CaseDocument).where(CaseDocument.case_id == case.id)
                                 .order_by(CaseDocument.document_id, CaseDocument.position)).all()
        row = _case_row(case, len(documents))
        row["status_label"] = get_translator("vi").gettext(CaseStatus(case.status).label)
        row["applicant_data"] = case.applicant_data
        row["documents"] = [{"document_id": d.document_id, "page": d.position, "sha256": d.sha256,
                             "mime_type": d.mime_type, "size": d.size,
                             "path": str(settings.files_dir / d.sha256[:2] / d.sha256)} for d in documents]
    if output is Format.JSON:
        typer.echo(json.dumps(row, ensure_ascii=False, indent=2))
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


def _print(rows: list[dict[str, Any]], output: Format, *, title: str) -> None:
    if output is Format.JSON:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=title)
    for column in rows[0].keys() if rows else ["(none)"]:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(value) for value in row.values()))
    console.print(table)

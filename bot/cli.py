"""The `motcua` command: run the bot and look at procedures and cases.

Configuration mistakes are reported as one line and exit code 2, because the person reading
them is usually the commune's IT person, not a Python developer.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session, func, select

from bot.app import ALLOWED_UPDATES, build_application
from bot.broadcasts import broadcast_progress
from bot.cases import find_case
from bot.case_status import CaseStatus
from bot.settings import Settings, SettingsError, load_settings
from bot.workdays import WorkCalendar
from dialogs.catalog import Catalog, CatalogError, load_catalog
from locales import get_translator
from bot.reminders import run_jobs
from bot.staff import Role, StaffError, add_member, create_invite, remove_member
from storage.db import make_engine, transaction, upgrade
from storage.models import Broadcast, Case, CaseDocument, CaseEvent, StaffMember

app = typer.Typer(help="motcua: Telegram assistant for a commune's one-stop desk.", no_args_is_help=True)
procedures_app = typer.Typer(help="The procedure catalog.", no_args_is_help=True)
cases_app = typer.Typer(help="Cases filed by citizens.", no_args_is_help=True)
staff_app = typer.Typer(help="Officers, office staff and admins.", no_args_is_help=True)
app.add_typer(procedures_app, name="procedures")
app.add_typer(cases_app, name="cases")
app.add_typer(staff_app, name="staff")

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


@contextmanager
def _database() -> Iterator[tuple[Settings, Session]]:
    """Settings and a session on the migrated database, for the read-only commands."""
    settings = _settings()
    upgrade(settings.resolved_database_url)
    with Session(make_engine(settings.resolved_database_url)) as session:
        yield settings, session


def _case_or_fail(session: Session, code: str) -> Case:
    case = find_case(session, code)
    if case is None:
        raise _fail(f"no case with code {code}")
    return case


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


SANDBOX_PORT = 8080
PortOption = Annotated[int, typer.Option("--port", help="port of the sandbox page on 127.0.0.1 (0: any free port)",
                                         min=0, max=65535)]
DataDirOption = Annotated[Path | None, typer.Option(
    "--data-dir", help="keep the sandbox's database and files in this directory (default: a throw-away one)")]


@app.command()
def sandbox(port: PortOption = SANDBOX_PORT, data_dir: DataDirOption = None) -> None:
    """Try the whole bot without Telegram: a local Bot API emulator, the real bot and a web page
    with a citizen's, an officer's and the office staff's chats (http://127.0.0.1:8080)."""
    from sandbox.runner import run_sandbox  # noqa: PLC0415 - only this command needs it

    code = run_sandbox(port, data_dir)
    if code:
        raise typer.Exit(code=code)


@app.command()
def start(port: PortOption = SANDBOX_PORT, data_dir: DataDirOption = None) -> None:
    """`run` when MOTCUA_TELEGRAM_TOKEN is set (environment or .env); otherwise the local sandbox
    (the options apply to the sandbox only)."""
    try:
        load_settings().require_token()
    except SettingsError:
        pass
    else:
        run()
        return
    where = f"http://127.0.0.1:{port}" if port else "http://127.0.0.1 (a free port)"
    typer.echo(f"No MOTCUA_TELEGRAM_TOKEN: starting the local sandbox at {where} "
               "(set the token in .env to use real Telegram).")
    sandbox(port, data_dir)


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
    with _database() as (_, session):
        counts = _document_counts(session)
        cases = session.exec(select(Case).order_by(Case.created_at.desc())).all()  # type: ignore[attr-defined]
        rows = [_case_row(case, counts.get(case.id or 0, 0)) for case in cases]
    _print(rows, output, title="Hồ sơ")


@cases_app.command("show")
def cases_show(code: str, output: FormatOption = Format.TABLE) -> None:
    """One case, with its documents."""
    with _database() as (settings, session):
        case = _case_or_fail(session, code)
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


@cases_app.command("history")
def cases_history(code: str, output: FormatOption = Format.TABLE) -> None:
    """The audit log of one case: who changed what, when, from which status, and why."""
    with _database() as (_, session):
        case = _case_or_fail(session, code)
        staff = {m.id: m.name for m in session.exec(select(StaffMember)).all()}
        events = session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
        rows = [{"at": e.at.isoformat(), "actor": _actor(e.actor, staff), "from": e.from_status or "",
                 "to": e.to_status, "note": e.note or ""} for e in events]
    _print(rows, output, title=f"Lịch sử hồ sơ {case.code}")


def _actor(actor: str, staff: dict[int | None, str]) -> str:
    kind, _, identifier = actor.partition(":")
    if kind == "staff" and identifier.isdigit():
        return f"{staff.get(int(identifier), '?')} (staff {identifier})"
    return actor


def _fields(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


@staff_app.command("add")
def staff_add(
    telegram_id: Annotated[int, typer.Option("--telegram-id", help="the person's numeric Telegram id")],
    name: Annotated[str, typer.Option("--name")],
    role: Annotated[Role, typer.Option("--role")] = Role.OFFICER,
    fields: Annotated[str, typer.Option("--fields", help="comma-separated field ids, e.g. ho-tich,chung-thuc")] = "",
) -> None:
    """Register (or update) a staff member by Telegram id."""
    settings = _settings()
    known = {p.field.id for p in _catalog(settings)}
    upgrade(settings.resolved_database_url)
    try:
        with transaction(make_engine(settings.resolved_database_url)) as session:
            member = add_member(session, telegram_id=telegram_id, name=name, role=role, fields=_fields(fields),
                                known_fields=known, now=datetime.now(UTC))
            typer.echo(f"{member.name} ({member.role}; {', '.join(member.fields) or '-'}) can now use the bot.")
    except StaffError as exc:
        raise _fail(str(exc)) from None


@staff_app.command("list")
def staff_list(output: FormatOption = Format.TABLE) -> None:
    """Active staff members."""
    with _database() as (_, session):
        members = session.exec(select(StaffMember).where(StaffMember.active == True)  # noqa: E712
                               .order_by(StaffMember.id)).all()
        rows = [{"telegram_id": m.telegram_id, "name": m.name, "role": m.role, "fields": ",".join(m.fields)}
                for m in members]
    _print(rows, output, title="Cán bộ")


@staff_app.command("remove")
def staff_remove(telegram_id: Annotated[int, typer.Option("--telegram-id")]) -> None:
    """Take away a staff member's access (their past actions stay in the audit log)."""
    settings = _settings()
    upgrade(settings.resolved_database_url)
    try:
        with transaction(make_engine(settings.resolved_database_url)) as session:
            remove_member(session, telegram_id)
    except StaffError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Telegram id {telegram_id} no longer has staff access.")


@staff_app.command("invite")
def staff_invite(
    role: Annotated[Role, typer.Option("--role")] = Role.OFFICER,
    fields: Annotated[str, typer.Option("--fields")] = "",
    name: Annotated[str | None, typer.Option("--name")] = None,
    hours: Annotated[int | None, typer.Option("--hours", help="validity (default MOTCUA_INVITE_HOURS)")] = None,
) -> None:
    """Print a one-time link; the Telegram account that opens it becomes this staff member."""
    settings = _settings()
    known = {p.field.id for p in _catalog(settings)}
    upgrade(settings.resolved_database_url)
    username = settings.bot_username or _bot_username(settings)
    try:
        with transaction(make_engine(settings.resolved_database_url)) as session:
            invite = create_invite(session, role=role, fields=_fields(fields), name=name, known_fields=known,
                                   now=datetime.now(UTC), valid_for=timedelta(hours=hours or settings.invite_hours))
            code, expires = invite.code, invite.expires_at
    except StaffError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"https://t.me/{username}?start={code}")
    typer.echo(f"(valid once, until {expires.astimezone(settings.tz):%d/%m/%Y %H:%M})", err=True)


def _bot_username(settings: Settings) -> str:
    """Ask Telegram (through the configured Bot API URL) for the bot's username."""
    try:
        token = settings.require_token()
        response = httpx.get(f"{settings.telegram_api_url}/bot{token}/getMe", timeout=15)
        return str(response.json()["result"]["username"])
    except (SettingsError, httpx.HTTPError, KeyError, ValueError) as exc:
        raise _fail(f"cannot find the bot's username ({exc}); set MOTCUA_BOT_USERNAME") from None


jobs_app = typer.Typer(help="Scheduled notices: morning digests and due-date reminders.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


@jobs_app.command("run")
def jobs_run(
    at: Annotated[str | None, typer.Option(
        "--at", help="act as if it were this moment, e.g. 2026-12-01T07:35:00+07:00 (default: now; "
                     "without an offset, the office's time zone)")] = None,
) -> None:
    """Queue the digests and reminders that are due (the running bot sends them). Safe to run
    every minute from cron beside the bot: nothing is ever queued twice."""
    settings = _settings()
    now = _moment(at, settings) if at is not None else datetime.now(UTC)
    catalog = _catalog(settings)
    upgrade(settings.resolved_database_url)
    calendar = WorkCalendar(extra_holidays=frozenset(settings.extra_holidays),
                            extra_workdays=frozenset(settings.extra_workdays))
    report = run_jobs(make_engine(settings.resolved_database_url), catalog, settings, calendar, now)
    typer.echo(f"Queued {report.digests} digest(s) and {report.reminders} reminder(s).")


def _moment(value: str, settings: Settings) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(f"--at: '{value}' is not a date and time like 2026-12-01T07:35:00+07:00") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=settings.tz)


broadcasts_app = typer.Typer(help="Announcements sent by the office's staff.", no_args_is_help=True)
app.add_typer(broadcasts_app, name="broadcasts")


def _broadcast_row(session: Session, broadcast: Broadcast) -> dict[str, Any]:
    progress = broadcast_progress(session, broadcast)
    return {"id": broadcast.id, "status": broadcast.status, "author": broadcast.author_id,
            "created_at": broadcast.created_at.isoformat(), "recipients": progress.total, "sent": progress.sent,
            "failed": progress.failed, "remaining": max(progress.remaining, 0) if broadcast.status == "sending" else 0,
            "text": broadcast.text[:60]}


@broadcasts_app.command("list")
def broadcasts_list(output: FormatOption = Format.TABLE) -> None:
    """Announcements, newest first, with how many were sent and failed."""
    with _database() as (_, session):
        broadcasts = session.exec(select(Broadcast).order_by(Broadcast.id.desc())).all()  # type: ignore[union-attr]
        rows = [_broadcast_row(session, b) for b in broadcasts]
    _print(rows, output, title="Thông báo")


@broadcasts_app.command("show")
def broadcasts_show(broadcast_id: int, output: FormatOption = Format.TABLE) -> None:
    """One announcement: its text and its delivery figures."""
    with _database() as (_, session):
        broadcast = session.get(Broadcast, broadcast_id)
        if broadcast is None:
            raise _fail(f"no announcement {broadcast_id}")
        row = {**_broadcast_row(session, broadcast), "text": broadcast.text}
    if output is Format.JSON:
        typer.echo(json.dumps(row, ensure_ascii=False, indent=2))
        return
    _print([row], output, title=f"Thông báo #{broadcast_id}")


class ReportFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    XLSX = "xlsx"


@app.command("report")
def report(
    start: Annotated[str | None, typer.Option("--from", help="first day, e.g. 2026-11-01 (default: the "
                                                            "first day of the current month)")] = None,
    end: Annotated[str | None, typer.Option("--to", help="last day, included (default: today)")] = None,
    output_format: Annotated[ReportFormat, typer.Option("--format", help="table, csv or xlsx")] = ReportFormat.TABLE,
    output: Annotated[str | None, typer.Option("--output", help="file to write (csv: default stdout; xlsx: "
                                                               "default report-<from>-<to>.xlsx)")] = None,
    at: Annotated[str | None, typer.Option("--at", help="count 'overdue now' as at this moment (default: now)")] = None,
) -> None:
    """The office's figures for the cases filed between two dates (office-local, both included):
    counts by procedure and status, on-time rate, working days taken, satisfaction, and the
    indicators of Quyết định 766/QĐ-TTg that the bot's own data allows."""
    from datetime import date  # noqa: PLC0415 - kept with the command appended to this module
    from pathlib import Path  # noqa: PLC0415

    from bot.report import compute_report, report_csv, report_sections, report_xlsx, text  # noqa: PLC0415

    def day(value: str, option: str) -> date:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise _fail(f"{option}: '{value}' is not a date like 2026-11-01") from None

    settings = _settings()
    catalog = _catalog(settings)
    now = _moment(at, settings) if at is not None else datetime.now(UTC)
    today = now.astimezone(settings.tz).date()
    first = day(start, "--from") if start is not None else today.replace(day=1)
    last = day(end, "--to") if end is not None else today
    if last < first:
        raise _fail(f"--to ({last}) is before --from ({first})")
    calendar = WorkCalendar(extra_holidays=frozenset(settings.extra_holidays),
                            extra_workdays=frozenset(settings.extra_workdays))
    with _database() as (_, session):
        figures = compute_report(session, catalog, calendar, settings.tz, first, last, now)
    if output_format is ReportFormat.TABLE:
        typer.echo(f"Thống kê hồ sơ tiếp nhận từ {first:%d/%m/%Y} đến {last:%d/%m/%Y}")
        for section in report_sections(figures):
            _print(section.dicts(text), Format.TABLE, title=section.title)
    elif output_format is ReportFormat.CSV:
        content = report_csv(figures)
        if output is None:
            typer.echo(content, nl=False)
        else:
            Path(output).write_text(content, encoding="utf-8-sig")  # with a BOM, so Excel reads the accents
            typer.echo(output)
    else:
        path = Path(output or f"report-{first.isoformat()}-{last.isoformat()}.xlsx")
        path.write_bytes(report_xlsx(figures))
        typer.echo(str(path.resolve()))

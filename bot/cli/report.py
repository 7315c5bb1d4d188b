"""`motcua report`: the office's figures for a period, as tables, CSV or XLSX."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bot.cases.due_dates import WorkCalendar
from bot.cli.common import Format, catalog, database, fail, moment, print_rows, settings
from bot.reports.export import report_csv, report_sections, report_xlsx, text
from bot.reports.figures import MAX_PERIOD_YEARS, compute_report, period_too_long


class ReportFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    XLSX = "xlsx"


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option}: '{value}' is not a date like 2026-11-01") from None


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
    config = settings()
    procedures = catalog(config)
    now = moment(at, config) if at is not None else datetime.now(UTC)
    today = now.astimezone(config.tz).date()
    first = _day(start, "--from") if start is not None else today.replace(day=1)
    last = _day(end, "--to") if end is not None else today
    if last < first:
        raise fail(f"--to ({last}) is before --from ({first})")
    if period_too_long(first, last):
        raise fail(f"{first} – {last} is longer than {MAX_PERIOD_YEARS} years: ask for a shorter period")
    with database() as (_, session):
        figures = compute_report(session, procedures, WorkCalendar.of(config), config.tz, first, last, now)
    if output_format is ReportFormat.TABLE:
        typer.echo(f"Thống kê hồ sơ tiếp nhận từ {first:%d/%m/%Y} đến {last:%d/%m/%Y}")
        for section in report_sections(figures):
            print_rows(section.dicts(text), Format.TABLE, title=section.title)
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

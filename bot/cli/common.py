"""What every `motcua` command shares: settings and the catalog read with one-line errors, the
migrated database, and tables or JSON on the terminal.

Configuration mistakes are reported as one line and exit code 2, because the person reading
them is usually the commune's IT person, not a Python developer.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlmodel import Session

from bot.cases.codes import find_case
from bot.settings import Settings, SettingsError, load_settings
from dialogs.catalog import Catalog, CatalogError, load_catalog
from storage.db import make_engine, upgrade
from storage.models import Case

console = Console(width=None if sys.stdout.isatty() else 240)


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


FormatOption = Annotated[Format, typer.Option("--format", help="table or json")]


def fail(message: str) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code=2)


def settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise fail(str(exc)) from None


def catalog(config: Settings) -> Catalog:
    try:
        return load_catalog(config.procedures_dir)
    except CatalogError as exc:
        raise fail(str(exc)) from None


def engine(config: Settings) -> Engine:
    """The migrated database: commands may run before the bot ever did."""
    upgrade(config.resolved_database_url)
    return make_engine(config.resolved_database_url)


@contextmanager
def database() -> Iterator[tuple[Settings, Session]]:
    """Settings and a session on the migrated database, for the read-only commands."""
    config = settings()
    with Session(engine(config)) as session:
        yield config, session


def case_or_fail(session: Session, code: str) -> Case:
    case = find_case(session, code)
    if case is None:
        raise fail(f"no case with code {code}")
    return case


def moment(value: str, config: Settings) -> datetime:
    """--at: an ISO date and time; without an offset, the office's time zone."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"--at: '{value}' is not a date and time like 2026-12-01T07:35:00+07:00") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=config.tz)


def print_rows(rows: list[dict[str, Any]], output: Format, *, title: str) -> None:
    if output is Format.JSON:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=title)
    for column in rows[0].keys() if rows else ["(none)"]:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(value) for value in row.values()))
    console.print(table)


def print_record(row: dict[str, Any], output: Format, *, title: str) -> None:
    """One record: JSON, or a two-column table of its fields."""
    if output is Format.JSON:
        typer.echo(json.dumps(row, ensure_ascii=False, indent=2))
        return
    table = Table(title=title, show_header=False)
    for key, value in row.items():
        table.add_row(key, str(value))
    console.print(table)

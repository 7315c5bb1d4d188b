"""`motcua jobs run`: queue the morning digests and due-date reminders that are due."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from bot.cases.due_dates import WorkCalendar
from bot.cases.reminders import run_jobs
from bot.cli.common import catalog, engine, moment, settings

app = typer.Typer(help="Scheduled notices: morning digests and due-date reminders.", no_args_is_help=True)


@app.command("run")
def jobs_run(
    at: Annotated[str | None, typer.Option(
        "--at", help="act as if it were this moment, e.g. 2026-12-01T07:35:00+07:00 (default: now; "
                     "without an offset, the office's time zone)")] = None,
) -> None:
    """Queue the digests and reminders that are due (the running bot sends them). Safe to run
    every minute from cron beside the bot: nothing is ever queued twice."""
    config = settings()
    now = moment(at, config) if at is not None else datetime.now(UTC)
    report = run_jobs(engine(config), catalog(config), config, WorkCalendar.of(config), now)
    typer.echo(f"Queued {report.digests} digest(s) and {report.reminders} reminder(s).")

"""`motcua privacy purge`: delete the personal data kept long enough, for cron (the running bot
also does it once a day)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from bot.cli.common import engine, moment, settings
from bot.privacy.purge import Purge
from storage.files import FileStore

app = typer.Typer(help="Personal data: the purge of what was kept long enough.", no_args_is_help=True)


@app.command("purge")
def privacy_purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count what would be deleted, change nothing")] = False,
    at: Annotated[str | None, typer.Option(
        "--at", help="act as if it were this moment (default: now; without an offset, the office's time zone)")] = None,
) -> None:
    """Anonymise the cases closed longer ago than MOTCUA_RETENTION_MONTHS, delete applications left
    unfinished longer than MOTCUA_ABANDONED_DIALOG_DAYS, and the rest the README lists. Safe to
    run from cron while the bot runs, and twice: each run does only what is left."""
    config = settings()
    now = moment(at, config) if at is not None else datetime.now(UTC)
    report = Purge(engine(config), FileStore(config.files_dir), config).run(now, dry_run=dry_run)
    typer.echo(("Would purge" if dry_run else "Purged") + f" — {report}.")

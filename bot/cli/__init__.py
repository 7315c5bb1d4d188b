"""The `motcua` command: run the bot and look after the desk's data. One module per group."""

from __future__ import annotations

import typer

from bot.cli import backup, broadcasts, cases, citizen, jobs, privacy, procedures, report, run, staff
from bot.privacy.owner_only import restrict_new_files

app = typer.Typer(help="motcua: chat assistant for a commune's one-stop desk.", no_args_is_help=True,
                  pretty_exceptions_show_locals=False)


@app.callback()
def _owner_only() -> None:
    """Whatever a command creates (the database, stored files, backups) is the bot's user's alone."""
    restrict_new_files()


run.register(app)
app.command("report")(report.report)
app.add_typer(procedures.app, name="procedures")
app.add_typer(cases.app, name="cases")
app.add_typer(staff.app, name="staff")
app.add_typer(jobs.app, name="jobs")
app.add_typer(broadcasts.app, name="broadcasts")
app.add_typer(privacy.app, name="privacy")
app.add_typer(citizen.app, name="citizen")
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)

"""`motcua procedures list`: the procedures of this desk, from the data files."""

from __future__ import annotations

import typer

from bot.cli.common import Format, FormatOption, catalog, print_rows, settings

app = typer.Typer(help="The procedure catalog.", no_args_is_help=True)


@app.command("list")
def procedures_list(output: FormatOption = Format.TABLE) -> None:
    """The procedures of this desk, from the data files."""
    rows = [
        {"id": p.id, "title": p.title.vi, "field": p.field.id, "working_days": p.processing.working_days,
         "same_day": p.same_day, "documents_to_upload": len(p.collected_documents),
         "questions": len(p.applicant_fields)}
        for p in catalog(settings())
    ]
    print_rows(rows, output, title="Thủ tục")

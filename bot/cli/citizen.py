"""`motcua citizen show | forget CHAT_ID`: what the office holds about one chat, and erasing it
when a citizen asks at the desk (the same as "Delete my data" in the chat)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import Session

from bot.cases.notices import CaseNotices
from bot.cli.common import Format, FormatOption, catalog, console, engine, fail, settings
from bot.conversation.turns import Turns
from bot.privacy.files import delete_unreferenced
from bot.privacy.holdings import holdings, to_json
from bot.privacy.retention import Retention
from bot.privacy.rights import CitizenRights
from storage.db import transaction
from storage.files import FileStore

app = typer.Typer(help="One citizen's personal data, by chat id.", no_args_is_help=True)
ChatId = Annotated[int, typer.Argument(help="the chat id (a Telegram user id, or a Zalo chat's id in this bot)")]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@app.command("show")
def citizen_show(chat_id: ChatId, output: FormatOption = Format.TABLE) -> None:
    """Everything held about the chat: answers, cases, files, subscription, consent records."""
    config = settings()
    with Session(engine(config)) as session:
        data = to_json(holdings(session, chat_id), catalog(config), Retention.of(config))
    if output is Format.JSON:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Dữ liệu của chat {chat_id}", show_header=False)
    for key, value in data.items():
        table.add_row(key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=1))
    console.print(table)


@app.command("forget")
def citizen_forget(chat_id: ChatId,
                   yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False) -> None:
    """Erase the chat's data. Open cases are kept until they are closed (their officers are told)
    and anonymised then; everything else is anonymised or deleted now."""
    if chat_id == 0:
        raise fail("chat id 0 is the anonymous placeholder, not a chat")
    if not yes and not typer.confirm(f"Erase the personal data of chat {chat_id}?"):
        raise typer.Exit(code=1)
    config = settings()
    db = engine(config)
    procedures = catalog(config)
    files = FileStore(config.files_dir)
    rights = CitizenRights(Turns(db, _utc_now), procedures, CaseNotices(procedures, config, _utc_now), files, config)
    with transaction(db) as session:
        done = rights.forget(session, chat_id, _utc_now())
    deleted = delete_unreferenced(db, files, done.files)
    typer.echo(f"Chat {chat_id}: application in progress deleted: {'yes' if done.dialog else 'no'}; "
               f"closed cases anonymised: {', '.join(done.anonymised) or 'none'}; "
               f"consent records anonymised: {done.consents}; "
               f"subscription removed: {'yes' if done.subscription else 'no'}; files deleted: {deleted}.")
    if done.kept_open:
        typer.echo(f"Kept until closed (officers told): {', '.join(c.code for c in done.kept_open)}.")

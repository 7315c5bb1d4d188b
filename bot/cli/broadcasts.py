"""`motcua broadcasts list | show`: the announcements sent by the office's staff."""

from __future__ import annotations

from typing import Any

import typer
from sqlmodel import Session, col, select

from bot.announcements.broadcasts import BroadcastStatus, broadcast_progress
from bot.cli.common import Format, FormatOption, database, fail, print_record, print_rows
from storage.models import Broadcast

app = typer.Typer(help="Announcements sent by the office's staff.", no_args_is_help=True)


def _broadcast_row(session: Session, broadcast: Broadcast) -> dict[str, Any]:
    progress = broadcast_progress(session, broadcast)
    sending = broadcast.status == BroadcastStatus.SENDING
    return {"id": broadcast.id, "status": broadcast.status, "author": broadcast.author_id,
            "created_at": broadcast.created_at.isoformat(), "recipients": progress.total, "sent": progress.sent,
            "failed": progress.failed, "remaining": max(progress.remaining, 0) if sending else 0,
            "text": broadcast.text[:60]}


@app.command("list")
def broadcasts_list(output: FormatOption = Format.TABLE) -> None:
    """Announcements, newest first, with how many were sent and failed."""
    with database() as (_, session):
        broadcasts = session.exec(select(Broadcast).order_by(col(Broadcast.id).desc())).all()
        rows = [_broadcast_row(session, b) for b in broadcasts]
    print_rows(rows, output, title="Thông báo")


@app.command("show")
def broadcasts_show(broadcast_id: int, output: FormatOption = Format.TABLE) -> None:
    """One announcement: its text and its delivery figures."""
    with database() as (_, session):
        broadcast = session.get(Broadcast, broadcast_id)
        if broadcast is None:
            raise fail(f"no announcement {broadcast_id}")
        row = {**_broadcast_row(session, broadcast), "text": broadcast.text}
    if output is Format.JSON:
        print_record(row, output, title=f"Thông báo #{broadcast_id}")
        return
    print_rows([row], output, title=f"Thông báo #{broadcast_id}")

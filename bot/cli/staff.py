"""`motcua staff add | list | remove | invite`: officers, office staff and admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import httpx
import typer
from sqlmodel import col, select

from bot.cli.common import Format, FormatOption, catalog, database, engine, fail, print_rows, settings
from bot.settings import Settings, SettingsError
from bot.staff.members import InviteLink, StaffError, add_member, create_invite, remove_member
from bot.staff.permissions import Role
from storage.db import transaction
from storage.models import StaffMember

app = typer.Typer(help="Officers, office staff and admins.", no_args_is_help=True)


def _fields(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


@app.command("add")
def staff_add(
    telegram_id: Annotated[int, typer.Option("--telegram-id", help="the person's numeric Telegram id")],
    name: Annotated[str, typer.Option("--name")],
    role: Annotated[Role, typer.Option("--role")] = Role.OFFICER,
    fields: Annotated[str, typer.Option("--fields", help="comma-separated field ids, e.g. ho-tich,chung-thuc")] = "",
) -> None:
    """Register (or update) a staff member by Telegram id."""
    config = settings()
    known = {p.field.id for p in catalog(config)}
    try:
        with transaction(engine(config)) as session:
            member = add_member(session, telegram_id=telegram_id, name=name, role=role, fields=_fields(fields),
                                known_fields=known, now=datetime.now(UTC))
            typer.echo(f"{member.name} ({member.role}; {', '.join(member.fields) or '-'}) can now use the bot.")
    except StaffError as exc:
        raise fail(str(exc)) from None


@app.command("list")
def staff_list(output: FormatOption = Format.TABLE) -> None:
    """Active staff members."""
    with database() as (_, session):
        members = session.exec(select(StaffMember).where(col(StaffMember.active).is_(True))
                               .order_by(col(StaffMember.id))).all()
        rows = [{"telegram_id": m.telegram_id, "name": m.name, "role": m.role, "fields": ",".join(m.fields)}
                for m in members]
    print_rows(rows, output, title="Cán bộ")


@app.command("remove")
def staff_remove(telegram_id: Annotated[int, typer.Option("--telegram-id")]) -> None:
    """Take away a staff member's access (their past actions stay in the audit log)."""
    try:
        with transaction(engine(settings())) as session:
            remove_member(session, telegram_id)
    except StaffError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"Telegram id {telegram_id} no longer has staff access.")


@app.command("invite")
def staff_invite(
    role: Annotated[Role, typer.Option("--role")] = Role.OFFICER,
    fields: Annotated[str, typer.Option("--fields")] = "",
    name: Annotated[str | None, typer.Option("--name")] = None,
    hours: Annotated[int | None, typer.Option("--hours", help="validity (default MOTCUA_INVITE_HOURS)")] = None,
) -> None:
    """Print a one-time link; the Telegram account that opens it becomes this staff member."""
    config = settings()
    known = {p.field.id for p in catalog(config)}
    username = config.bot_username or _bot_username(config)
    try:
        with transaction(engine(config)) as session:
            invite = create_invite(session, role=role, fields=_fields(fields), name=name, known_fields=known,
                                   now=datetime.now(UTC), valid_for=timedelta(hours=hours or config.invite_hours))
            code, expires = invite.code, invite.expires_at
    except StaffError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"https://t.me/{username}?start={InviteLink(code).encode()}")
    typer.echo(f"(valid once, until {expires.astimezone(config.tz):%d/%m/%Y %H:%M})", err=True)


def _bot_username(config: Settings) -> str:
    """Ask Telegram (through the configured Bot API URL) for the bot's username."""
    try:
        token = config.require_token()
        response = httpx.get(f"{config.telegram_api_url}/bot{token}/getMe", timeout=15)
        return str(response.json()["result"]["username"])
    except (SettingsError, httpx.HTTPError, KeyError, ValueError) as exc:
        raise fail(f"cannot find the bot's username ({exc}); set MOTCUA_BOT_USERNAME") from None

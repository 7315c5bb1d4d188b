"""Who is in the sandbox: two citizens, an officer of every field and an office staff member,
registered with the bot's own staff code, and the three Telegram chat panels of the page; and
one citizen on Zalo, who needs no registration (following the Official Account introduces them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.staff.members import add_member
from bot.staff.permissions import Role
from dialogs.catalog import load_catalog
from sandbox.botapi import FakeBotAPI
from storage.db import make_engine, transaction, upgrade
from storage.models import OTHER_CHANNEL_UPDATE_IDS, ProcessedUpdate


@dataclass(frozen=True)
class Person:
    telegram_id: int
    name: str


@dataclass(frozen=True)
class Panel:
    key: str  # data-testid="chat-<key>"
    title: str
    people: tuple[Person, ...]
    shortcuts: tuple[str, ...]  # commands offered as one-tap buttons above the chat


CITIZENS = (Person(1001, "Nguyễn Văn An"), Person(1002, "Trần Thị Bình"))
OFFICER = Person(2001, "Cán bộ Một Cửa")
STAFF = Person(3001, "Văn phòng UBND")
PANELS = (
    Panel("citizen", "Người dân", CITIZENS, ("/start", "/tracuu", "/gopy", "/language", "/cancel")),
    Panel("officer", "Cán bộ một cửa", (OFFICER,), ("/hoso", "/thongke", "/start")),
    Panel("staff", "Văn phòng UBND", (STAFF,), ("/thongbao", "/thongke", "/start")),
)
EVERYONE = {person.telegram_id: person for panel in PANELS for person in panel.people}


@dataclass(frozen=True)
class ZaloPerson:
    user_id: str  # Zalo's OA-scoped user id: a numeric string, never a number (it exceeds 2**53)
    name: str


ZALO_CITIZEN = ZaloPerson("8421730065291187364", "Lê Thị Cúc")
ZALO_PANEL_KEY = "zalo"  # data-testid="chat-zalo"
ZALO_PANEL_TITLE = "Người dân (Zalo)"


def seed(database_url: str, procedures_dir: Path, api: FakeBotAPI) -> None:
    """Migrate the database, register the officer (all fields of the catalog) and the office
    staff member, and mark everyone as having started the bot, so the bot may write to them."""
    fields = sorted({procedure.field.id for procedure in load_catalog(procedures_dir)})
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        now = datetime.now(UTC)
        with transaction(engine) as session:
            add_member(session, telegram_id=OFFICER.telegram_id, name=OFFICER.name, role=Role.OFFICER,
                       fields=fields, known_fields=set(fields), now=now)
            add_member(session, telegram_id=STAFF.telegram_id, name=STAFF.name, role=Role.STAFF,
                       fields=[], known_fields=set(fields), now=now)
    finally:
        engine.dispose()
    for person in EVERYONE.values():
        api.register_users([person.telegram_id], first_name=person.name)


def last_processed_update(database_url: str) -> int:
    """Highest Telegram update_id the bot has acted on (0 for a new database): a kept data
    directory's bot skips update ids it has seen, so a new emulator must number its updates after
    it. Zalo events are processed under ids from OTHER_CHANNEL_UPDATE_IDS up; counting them would
    make the emulator hand out Telegram ids in that range, which the bot would then drop as seen."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            highest = select(func.max(ProcessedUpdate.update_id)).where(
                col(ProcessedUpdate.update_id) < OTHER_CHANNEL_UPDATE_IDS)
            return int(session.exec(highest).one() or 0)
    finally:
        engine.dispose()

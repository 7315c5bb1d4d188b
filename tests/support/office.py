"""An office for the officer tests: its own bot process and database, a citizen, two officers of
different fields, a second officer of one field, and a staff member, all registered with the
real `motcua staff add` command and all having started the bot as real people would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sandbox.botprocess import BotProcess
from tests.support.people import Citizen
from sandbox.botapi import FakeBotAPI
from tests.support.walk import query

HO_TICH_OFFICER = 501
CHUNG_THUC_OFFICER = 502
CHUNG_THUC_OFFICER_2 = 503
STAFF_MEMBER = 504


def motcua(*args: str, database_url: str, data_dir: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env = {**clean, "MOTCUA_DATABASE_URL": database_url, "MOTCUA_DATA_DIR": str(data_dir),
           **{f"MOTCUA_{k.upper()}": v for k, v in settings.items()}}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env,
                          cwd=data_dir, timeout=60, check=False)


@dataclass
class Office:
    fake: FakeBotAPI
    process: BotProcess
    database_url: str
    data_dir: Path

    def cli(self, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
        result = motcua(*args, database_url=self.database_url, data_dir=self.data_dir,
                        telegram_token=self.fake.token, telegram_api_url=self.fake.url, **settings)
        return result

    def person(self, chat_id: int) -> Citizen:
        return Citizen(self.fake, chat_id)

    def case(self, code: str) -> dict[str, object]:
        (row,) = query(self.database_url, "SELECT * FROM cases WHERE code = :code", code=code)
        return row

    def history(self, code: str) -> list[dict[str, object]]:
        result = self.cli("cases", "history", code, "--format", "json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def register_staff(self) -> None:
        for telegram_id, name, role, fields in (
            (HO_TICH_OFFICER, "Cán bộ Hộ Tịch", "officer", "ho-tich"),
            (CHUNG_THUC_OFFICER, "Cán bộ Chứng Thực", "officer", "chung-thuc"),
            (CHUNG_THUC_OFFICER_2, "Cán bộ Thứ Hai", "officer", "chung-thuc"),
            (STAFF_MEMBER, "Văn Phòng", "staff", ""),
        ):
            self.add_staff(telegram_id, name, role, fields)

    def add_staff(self, telegram_id: int, name: str, role: str, fields: str = "") -> Citizen:
        """One more member, registered with the real `motcua staff add` and having started the bot."""
        added = self.cli("staff", "add", "--telegram-id", str(telegram_id), "--name", name, "--role", role,
                         "--fields", fields)
        assert added.returncode == 0, added.stderr
        member = self.person(telegram_id)
        member.send("/start")
        return member


@contextmanager
def running_office(make_database_url: Callable[[], str], data_dir: Path, **settings: str) -> Iterator[Office]:
    """A bot process of its own with the staff of this module registered; stopped afterwards."""
    from tests.conftest import start_bot

    fake, process, url = start_bot(make_database_url, data_dir, **settings)
    office = Office(fake, process, url, data_dir)
    try:
        office.register_staff()
        yield office
    finally:
        process.stop()
        fake.stop()

"""Citizens' data readable by the bot's own user only: the SQLite database and the file store
are created owner-only (umask 077 from start-up), and those made by earlier versions, readable
by every user of the host (0644 files, 0755 directories), are fixed when the bot starts.

Only what the bot keeps is touched: the data directory itself, the file store under it and the
SQLite database with its journal files, never other files an installer put there.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from bot.settings import Settings

UMASK = 0o077
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def restrict_new_files() -> None:
    os.umask(UMASK)


def _restrict(path: Path, mode: int) -> None:
    try:
        info = path.lstat()
        if not stat.S_ISLNK(info.st_mode) and info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) != mode:
            path.chmod(mode)
    except FileNotFoundError:
        pass


def restrict_existing(settings: Settings) -> None:
    _restrict(settings.data_dir, 0o700)
    files = settings.files_dir
    if files.is_dir():
        _restrict(files, 0o700)
        for path in files.rglob("*"):
            _restrict(path, 0o700 if path.is_dir() else 0o600)
    url = settings.resolved_database_url
    if url.startswith("sqlite:///"):
        database = Path(url.removeprefix("sqlite:///"))
        for suffix in SQLITE_COMPANIONS:
            _restrict(database.with_name(database.name + suffix), 0o600)

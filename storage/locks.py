"""Locks that let several bot processes share one database safely, and keep SQLite to one.

SQLite serves one bot process: its writers queue on one file lock, and nothing below would hold
across processes. `SqliteLock` takes an exclusive `flock` on a file beside the database; the
kernel releases it when the process ends in any way, SIGKILL included, so a crash never leaves a
stale lock behind (the file itself stays and means nothing).

PostgreSQL serves several: `AdvisoryLock` holds a session-level advisory lock on a connection
of its own, for as long as the process wants it; the server releases it when that connection
closes, which also happens when the process is killed. Keys are fixed numbers in one namespace
(`NAMESPACE`), so they cannot clash with another application's locks on the same server.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

NAMESPACE = 0x6D6F7463  # "motc"
LEADER = 1
"""Held by the one process that sends the outbox, runs the scheduled jobs and shows broadcast progress."""
RECEIVING = 2
"""Held shared by processes fed by the webhook, exclusively by the one process that polls."""
SEND_BUDGET = 3
"""Taken for the length of one transaction to count a send in the shared budget."""


class SqliteLock:
    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self._file: IO[str] | None = None

    def acquire(self) -> bool:
        """False when another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class AdvisoryLock:
    """One PostgreSQL advisory lock on a connection kept for it alone."""

    def __init__(self, db: Engine, key: int, *, shared: bool = False) -> None:
        self.db = db
        self.key = key
        self.shared = shared
        self._connection: Connection | None = None

    @property
    def held(self) -> bool:
        return self._connection is not None

    def try_acquire(self) -> bool:
        if self._connection is not None:
            return True
        connection = self.db.connect().execution_options(isolation_level="AUTOCOMMIT")
        function = "pg_try_advisory_lock_shared" if self.shared else "pg_try_advisory_lock"
        try:
            got = connection.execute(text(f"SELECT {function}(:namespace, :key)"),
                                     {"namespace": NAMESPACE, "key": self.key}).scalar_one()
        except SQLAlchemyError:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def still_held(self) -> bool:
        """False once the lock's connection is gone (the server then released the lock, and
        another process may hold it now)."""
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            self._drop()
            return False
        return True

    def release(self) -> None:
        """Unlock first, which the server does before answering: closing the connection alone
        frees the lock only once the server has ended that session, a moment later, and a
        process starting right after could still find it held. Closing it then frees the lock
        whatever state the connection is in."""
        if self._connection is not None:
            function = "pg_advisory_unlock_shared" if self.shared else "pg_advisory_unlock"
            try:
                self._connection.execute(text(f"SELECT {function}(:namespace, :key)"),
                                         {"namespace": NAMESPACE, "key": self.key})
            except SQLAlchemyError:
                pass  # the connection is gone, and the lock with it
        self._drop()

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            except SQLAlchemyError:
                pass
            self._connection = None


def is_postgresql(db: Engine) -> bool:
    return db.dialect.name == "postgresql"


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for an in-memory database."""
    path = url.split(":///", 1)[1] if ":///" in url else ""
    return Path(path).resolve() if path and path != ":memory:" else None

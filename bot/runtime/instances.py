"""Which `motcua run` processes may run side by side on one database, checked before the bot starts.

- SQLite: one process. A second one is refused with one line, whatever its mode.
- PostgreSQL: any number fed by the webhook, or a single one that polls Telegram (Telegram
  answers a second poller with 409 Conflict, and a poller deletes the webhook the others live
  on). Webhook processes hold the `RECEIVING` advisory lock shared, a poller holds it alone.

The locks die with the process, SIGKILL included (see `storage.locks`), so nothing stale is left
to clean up after a crash.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from storage.locks import RECEIVING, AdvisoryLock, SqliteLock, is_postgresql, sqlite_path


class AnotherProcess(Exception):
    """This process may not start next to one already running; the message is one line."""


@contextmanager
def sole_receiver(db: Engine, database_url: str, *, webhook: bool) -> Iterator[None]:
    if not is_postgresql(db):
        path = sqlite_path(database_url)
        if path is None:
            yield
            return
        lock = SqliteLock(path)
        if not lock.acquire():
            raise AnotherProcess(f"another motcua process already runs on the SQLite database {path}: SQLite serves "
                                 "one process; to run several, use PostgreSQL (MOTCUA_DATABASE_URL) and --webhook")
        try:
            yield
        finally:
            lock.release()
        return
    receiving = AdvisoryLock(db, RECEIVING, shared=webhook)
    if not receiving.try_acquire():
        if webhook:
            raise AnotherProcess("a motcua process polls Telegram on this database: stop it, or start every "
                                 "process with --webhook")
        raise AnotherProcess("another motcua process serves this bot on this database: long polling allows one "
                             "process only; start every process with --webhook to run several")
    try:
        yield
    finally:
        receiving.release()

"""Engine creation and schema migrations.

The schema is only ever created by Alembic migrations (`upgrade`), never by
`SQLModel.metadata.create_all`, so a database made today and one made a year ago end up the same.
Alembic is imported only where migrations are run: `motcua run` runs them in a child process
(`bot.cli.run`), so Alembic and the migration scripts (about 18 MB) never stay in the bot's memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Insert, Table, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel, create_engine

from storage.models import ProcessedUpdate, utcnow

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
WRITES = "motcua_writes"
"""Execution option of a transaction that will write (see `_sqlite_begin`)."""


def make_engine(url: str) -> Engine:
    """`hide_parameters`: a database error in a log must not carry a citizen's answers."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """WAL lets the CLI read while the bot writes; foreign keys are off by default in SQLite.

    Python's sqlite3 module (before 3.12) starts a transaction only before an INSERT, UPDATE or
    DELETE, so reads ran outside it and a SAVEPOINT opened a transaction of its own, which its
    RELEASE committed at once: an update's claim was committed even when handling it then failed.
    Taking the driver's hand off (`isolation_level = None`) lets `_sqlite_begin` open every
    transaction itself, as SQLAlchemy's SQLite documentation recommends."""
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """A unit of work that will write takes SQLite's write lock at once (`BEGIN IMMEDIATE`,
    waiting its turn): a transaction that read first and then wrote would fail with "database
    is locked" whenever another one committed in between. Read-only sessions stay deferred, so
    a long report never holds up the bot's writes."""
    connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.get_execution_options().get(WRITES) else "BEGIN")


def begin_writing(session: Session) -> None:
    """Open `session`'s transaction as one that will write (see `_sqlite_begin`); call it first."""
    session.connection(execution_options={WRITES: True})


def alembic_config(url: str) -> Config:
    from alembic.config import Config  # noqa: PLC0415 - see the module's docstring

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Apply pending migrations; cheap when there are none, so `motcua run` always calls it."""
    from alembic import command  # noqa: PLC0415 - see the module's docstring

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back if it raises."""
    with Session(engine, expire_on_commit=False) as session:
        with session.begin():
            begin_writing(session)
            yield session


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """`transaction` without the ORM, for the statements every update runs (see
    `bot.conversation.turns`): committed when the block ends, rolled back if it raises."""
    with engine.connect() as connection:
        connection.execution_options(**{WRITES: True})
        with connection.begin():
            yield connection


def insert_if_new(target: Session | Connection, row: SQLModel) -> bool:
    """Add `row` unless a row with its primary key exists; True when added. One statement
    (`INSERT … ON CONFLICT DO NOTHING`) instead of a savepoint that catches the duplicate: this
    runs for every update, and a concurrent insert of the same key simply waits and adds nothing.
    `RETURNING` says whether the row was added (the row count is not reliable across drivers)."""
    table = type(row).__table__  # type: ignore[attr-defined]
    values = {column.name: getattr(row, column.name) for column in table.columns}
    return _insert_if_new(target, table, values)


def _insert_if_new(target: Session | Connection, table: Table, values: dict[str, Any]) -> bool:
    statement = _insert_ignoring(target.get_bind().dialect.name if isinstance(target, Session)
                                 else target.dialect.name, table)
    return target.execute(statement, values).first() is not None


def add_all_if_new(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Add the rows whose primary key is not there yet, all in one statement."""
    connection.execute(_insert_ignoring(connection.dialect.name, table, returning=False), rows)


@cache
def _insert_ignoring(dialect: str, table: Table, *, returning: bool = True) -> Insert:
    """Built once per table: SQLAlchemy then reuses the statement's cache key and compiled form.
    The VALUES clause comes from the parameters' names at execution."""
    insert = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table).on_conflict_do_nothing()
    return insert.returning(next(iter(table.primary_key.columns))) if returning else insert


def claim_update(target: Session | Connection, update_id: int) -> bool:
    """True the first time an update_id is seen; Telegram may deliver an update again after a
    crash, and it must be acted on once. Part of the caller's transaction."""
    return _insert_if_new(target, _PROCESSED, {"update_id": update_id, "processed_at": utcnow()})


_PROCESSED: Table = ProcessedUpdate.__table__  # type: ignore[attr-defined]

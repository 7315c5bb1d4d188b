"""One unit of work per update: claim the update id, open the transaction, load the chat.

Every handler that changes something runs inside `Turns.begin`: a channel may deliver an update
twice (after a crash, or a retried webhook), and the claim of its id in the same transaction as
the change makes sure it is acted on once. Reading the chat's row here gives every feature the
language to answer in and the dialog in progress without each loading it again.

This runs for every update, so it speaks SQLAlchemy Core on one connection with statements
built once (`storage.chat_rows`): an ORM session per update cost more than the dialog itself.
Features that need the ORM (filing a case, an officer's action) get `Turn.session`, made on
first use on the same connection and transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property

from sqlalchemy import Connection, Engine
from sqlmodel import Session

from locales import DEFAULT_LANGUAGE, Translator, get_translator
from storage.chat_rows import ChatRow, read_chat
from storage.db import claim_update, transaction, writing
from storage.outbox import tell_queued, took_queued


def language_of(session: Session, chat_id: int) -> str:
    """The language a chat chose, for messages to someone other than the person acting."""
    return _language(read_chat(session.connection(), chat_id))


def _language(row: ChatRow | None) -> str:
    return row.language if row is not None and row.language else DEFAULT_LANGUAGE


class Turn:
    """One update's unit of work: its connection (in the transaction), the chat's row as it was
    when the update arrived, and an ORM session for the features that want one."""

    def __init__(self, connection: Connection, chat_id: int, now: datetime, row: ChatRow | None) -> None:
        self.connection = connection
        self.chat_id = chat_id
        self.now = now
        self.row = row

    @cached_property
    def session(self) -> Session:
        """Joins the turn's transaction: its commit commits nothing (the turn commits when it
        ends), and its rollback, or a failed flush, rolls the whole turn back; a feature that
        expects a statement to fail wraps it in `begin_nested`, as case codes and ratings do."""
        return Session(bind=self.connection, expire_on_commit=False)

    @property
    def language(self) -> str:
        return _language(self.row)

    @property
    def tr(self) -> Translator:
        return get_translator(self.language)

    def _finish(self) -> bool:
        """Write what the ORM session holds before the transaction commits; whether it queued an
        outbox message (the session never commits, so the turn tells once it has)."""
        if "session" not in self.__dict__:
            return False
        self.session.flush()
        return took_queued(self.session)

    def _close(self) -> None:
        if "session" in self.__dict__:
            self.session.close()


class Turns:
    def __init__(self, db: Engine, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    @contextmanager
    def begin(self, update_id: int, chat_id: int) -> Iterator[Turn | None]:
        """Yields None when the update was handled before: the caller does nothing."""
        queued = False
        with writing(self.db) as connection:
            now = self.clock()
            if not claim_update(connection, update_id):
                yield None
                return
            turn = Turn(connection, chat_id, now, read_chat(connection, chat_id))
            try:
                yield turn
                queued = turn._finish()
            finally:
                turn._close()
        if queued:
            tell_queued()

    def set_aside(self, update_ids: list[int]) -> None:
        """Mark updates handled without acting on them (a flooding chat's excess, see
        `handlers.flood`): a restart or a re-delivery must not act on them later either."""
        with transaction(self.db) as session:
            for update_id in update_ids:
                claim_update(session, update_id)

    def language(self, chat_id: int) -> str:
        """For answers that change nothing (a lookup, a refusal)."""
        with self.db.connect() as connection:
            return _language(read_chat(connection, chat_id))

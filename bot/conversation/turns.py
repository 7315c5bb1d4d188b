"""One unit of work per update: claim the update id, open the transaction, load the chat.

Every handler that changes something runs inside `Turns.begin`: a channel may deliver an update
twice (after a crash, or a retried webhook), and the claim of its id in the same transaction as
the change makes sure it is acted on once. Reading the chat's row here gives every feature the
language to answer in and the dialog in progress without each loading it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from locales import DEFAULT_LANGUAGE, Translator, get_translator
from storage.db import claim_update, transaction
from storage.models import ChatSession


def language_of(session: Session, chat_id: int) -> str:
    """The language a chat chose, for messages to someone other than the person acting."""
    return _language(session.get(ChatSession, chat_id))


def _language(row: ChatSession | None) -> str:
    return row.language if row is not None and row.language else DEFAULT_LANGUAGE


@dataclass
class Turn:
    session: Session
    chat_id: int
    now: datetime
    row: ChatSession | None

    @property
    def language(self) -> str:
        return _language(self.row)

    @property
    def tr(self) -> Translator:
        return get_translator(self.language)


class Turns:
    def __init__(self, db: Engine, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    @contextmanager
    def begin(self, update_id: int, chat_id: int) -> Iterator[Turn | None]:
        """Yields None when the update was handled before: the caller does nothing."""
        with transaction(self.db) as session:
            if not claim_update(session, update_id):
                yield None
                return
            yield Turn(session, chat_id, self.clock(), session.get(ChatSession, chat_id))

    def set_aside(self, update_ids: list[int]) -> None:
        """Mark updates handled without acting on them (a flooding chat's excess, see
        `handlers.flood`): a restart or a re-delivery must not act on them later either."""
        with transaction(self.db) as session:
            for update_id in update_ids:
                claim_update(session, update_id)

    def language(self, chat_id: int) -> str:
        """For answers that change nothing (a lookup, a refusal)."""
        with Session(self.db) as session:
            return language_of(session, chat_id)

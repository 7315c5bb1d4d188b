"""One update, one transaction, on both engines: the claim of an update id is undone with the
change it guarded, and units of work that read before they write do not trip over each other."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.conversation.turns import Turns
from storage.chat_rows import add_chat, read_chat, save_dialog, set_language
from storage.db import claim_update, insert_if_new, transaction
from storage.models import ChatSession, ProcessedUpdate, Subscriber


class Failed(Exception):
    pass


def test_a_failed_turn_leaves_its_update_to_be_handled_again(db: Engine) -> None:
    with pytest.raises(Failed), transaction(db) as session:
        assert claim_update(session, 42)
        session.add(ChatSession(chat_id=5, version=1))
        session.flush()
        raise Failed
    with Session(db) as session:
        assert session.exec(select(ProcessedUpdate)).all() == [], "the claim was rolled back with the change"
        assert session.exec(select(ChatSession)).all() == []
    with transaction(db) as session:
        assert claim_update(session, 42), "so the redelivered update is acted on"
    with transaction(db) as session:
        assert not claim_update(session, 42), "and only once"


def test_insert_if_new_adds_a_row_once_within_a_transaction(db: Engine) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with transaction(db) as session:
        assert insert_if_new(session, Subscriber(chat_id=7, subscribed=False, created_at=now, changed_at=now))
        assert not insert_if_new(session, Subscriber(chat_id=7, subscribed=True, created_at=now, changed_at=now))
    with Session(db) as session:
        (row,) = session.exec(select(Subscriber)).all()
        assert row.subscribed is False, "the second insert changed nothing"


def test_units_of_work_that_read_then_write_all_succeed_side_by_side(db: Engine) -> None:
    """SQLite would refuse the later writers ("database is locked") if each transaction took its
    snapshot on the read and its write lock only on the write."""
    errors: list[BaseException] = []

    def work(update_id: int) -> None:
        try:
            with transaction(db) as session:
                session.exec(select(ProcessedUpdate)).all()
                time.sleep(0.05)
                claim_update(session, update_id)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(update_id,)) for update_id in range(1, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(db) as session:
        assert len(session.exec(select(ProcessedUpdate)).all()) == 6


def test_a_turn_commits_its_statements_and_its_orm_rows_together_or_not_at_all(db: Engine) -> None:
    """A turn runs the chat's row as plain statements on its connection and hands features an
    ORM session on the same transaction: both are undone by a failure, both kept otherwise (the
    session's rows written without the feature flushing them)."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    turns = Turns(db, lambda: now)

    def subscriber() -> Subscriber:
        return Subscriber(chat_id=5, subscribed=True, created_at=now, changed_at=now)

    with pytest.raises(Failed), turns.begin(1, 5) as turn:
        assert turn is not None and turn.row is None
        assert add_chat(turn.connection, 5, {"step": "a"}, turn.now)
        turn.session.add(subscriber())
        raise Failed
    with Session(db) as session:
        assert session.exec(select(ProcessedUpdate)).all() == []
        assert session.exec(select(ChatSession)).all() == []
        assert session.exec(select(Subscriber)).all() == []

    with turns.begin(1, 5) as turn:
        assert turn is not None
        assert add_chat(turn.connection, 5, {"step": "a"}, turn.now)
        turn.session.add(subscriber())
    with turns.begin(1, 5) as turn:
        assert turn is None, "the update was handled"
    with turns.begin(2, 5) as turn:
        assert turn is not None and turn.row is not None
        assert (turn.row.dialog, turn.row.version) == ({"step": "a"}, 1)
        assert not save_dialog(turn.connection, 5, 0, {"step": "b"}, turn.now), "a stale version changes nothing"
        assert save_dialog(turn.connection, 5, 1, {"step": "b"}, turn.now)
    with db.connect() as connection:
        row = read_chat(connection, 5)
    assert row is not None and (row.dialog, row.version) == ({"step": "b"}, 2)
    with Session(db) as session:
        assert [s.chat_id for s in session.exec(select(Subscriber)).all()] == [5]


def test_a_language_is_kept_for_a_new_chat_and_changed_for_a_known_one(db: Engine) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with db.begin() as connection:
        set_language(connection, 8, "en", now)
        assert add_chat(connection, 9, {"step": "a"}, now)
        set_language(connection, 9, "en", now)
    with db.connect() as connection:
        new, known = read_chat(connection, 8), read_chat(connection, 9)
    assert new is not None and (new.language, new.dialog) == ("en", None)
    assert known is not None and (known.language, known.dialog, known.version) == ("en", {"step": "a"}, 1), \
        "the dialog in progress and its version are left as they were"

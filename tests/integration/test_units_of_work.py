"""One update, one transaction, on both engines: the claim of an update id is undone with the
change it guarded, and units of work that read before they write do not trip over each other."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

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

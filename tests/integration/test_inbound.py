"""What messengers send, kept until handled: events pushed by a messenger (one update id per
event however often it arrives) and Telegram updates fetched by long polling; what a stopped
process left unhandled is found again at start."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update

from bot.runtime.inbox import PolledInbox
from storage.db import claim_update, make_engine, transaction, upgrade
from storage.inbound import IN_LIST, MAX_HANDOVERS, Handover, hand_over_events, hand_over_polled, keep_polled, record_event
from storage.models import OTHER_CHANNEL_UPDATE_IDS, PolledUpdate

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_a_repeated_event_keeps_its_update_id_and_unhandled_ones_are_found(database_url: str) -> None:
    upgrade(database_url)
    db = make_engine(database_url)
    first = record_event(db, "zalo", "msg-1", {"n": 1}, NOW)
    assert record_event(db, "zalo", "msg-1", {"n": 1}, NOW) == first >= OTHER_CHANNEL_UPDATE_IDS
    second = record_event(db, "zalo", "msg-2", {"n": 2}, NOW)
    record_event(db, "other", "msg-1", {"n": 3}, NOW)
    with transaction(db) as session:
        assert claim_update(session, first)
    assert hand_over_events(db, "zalo", counted=False).items == [(second, {"n": 2})]
    db.dispose()


def test_an_event_handed_over_at_every_start_without_being_handled_is_given_up(database_url: str) -> None:
    """A process died after each handover, most likely on this event: the next start claims it
    instead, so nothing acts on it and it is never handed over again."""
    upgrade(database_url)
    db = make_engine(database_url)
    poison = record_event(db, "zalo", "msg-1", {"n": 1}, NOW)
    for _ in range(MAX_HANDOVERS + 2):  # the leader's rounds, which take orphans: not counted
        assert hand_over_events(db, "zalo", NOW + timedelta(minutes=5), counted=False).items == [(poison, {"n": 1})]
    for _ in range(MAX_HANDOVERS):  # starts
        assert hand_over_events(db, "zalo", counted=True).items == [(poison, {"n": 1})]
    last = hand_over_events(db, "zalo", counted=True)
    assert (last.items, last.given_up) == ([], [poison])
    with transaction(db) as session:
        assert not claim_update(session, poison), "given up means claimed: a late delivery does nothing either"
    assert hand_over_events(db, "zalo", counted=True) == Handover([], [])
    db.dispose()


def _update(update_id: int) -> dict[str, Any]:
    return {"update_id": update_id, "message": {"message_id": update_id, "date": 0, "text": f"tin {update_id}",
                                                "chat": {"id": 9, "type": "private"}}}


def _kept(db: Engine) -> list[dict[str, Any]]:
    with db.connect() as connection:
        return list(connection.scalars(select(PolledUpdate.payload).order_by(PolledUpdate.update_id)))  # type: ignore[call-overload]


def test_polled_updates_are_kept_once_until_handled(database_url: str) -> None:
    upgrade(database_url)
    db = make_engine(database_url)
    keep_polled(db, [_update(5), _update(6), _update(7)], [], NOW)
    keep_polled(db, [_update(7), _update(8)], [5, 6], NOW)  # 7 fetched again, 5 and 6 handled since
    assert _kept(db) == [_update(7), _update(8)]
    keep_polled(db, [], list(range(IN_LIST * 2 + 8)), NOW)  # more handled than one DELETE takes
    assert _kept(db) == []
    db.dispose()


class _Application:
    """What `PolledInbox.resume` uses of python-telegram-bot's application: its queue, and the
    bot's getUpdates, which here records the offset that confirms the kept updates."""

    def __init__(self) -> None:
        self.update_queue: asyncio.Queue[Update] = asyncio.Queue()
        self.offsets: list[int] = []
        self.bot = self

    async def get_updates(self, *, offset: int, limit: int, timeout: int) -> tuple[Update, ...]:
        self.offsets.append(offset)
        return ()


def test_the_inbox_hands_over_what_a_stopped_process_left_and_forgets_what_is_handled(database_url: str) -> None:
    upgrade(database_url)
    db = make_engine(database_url)

    async def scenario() -> None:
        before = PolledInbox(db, lambda: NOW)  # a process that fetched four updates and handled one
        await before.keep([_update(5), _update(6), _update(7), {"update_id": 8, "message": "unreadable"}])
        before.handled(5)
        before.handled(99)  # never kept by this inbox (say, came by webhook): nothing to forget
        await before.keep([])  # the next answer, empty: 5 is forgotten with it

        after, application = PolledInbox(db, lambda: NOW), _Application()
        assert await after.resume(application, polling=True) == 3  # type: ignore[arg-type]
        assert application.offsets == [9], "Telegram is told 6 to 8 are confirmed before they are handled"
        assert [application.update_queue.get_nowait().update_id for _ in range(2)] == [6, 7]
        assert application.update_queue.empty(), "the unreadable update is dropped, not handed over"
        after.handled(6)
        after.handled(7)
        await after.close()
        assert await PolledInbox(db, lambda: NOW).resume(_Application(), polling=True) == 0  # type: ignore[arg-type]

    asyncio.run(scenario())
    db.dispose()


def test_an_update_handed_over_at_every_start_without_being_handled_is_dropped(database_url: str) -> None:
    """Each start handed it over and died before handling it (out of memory, say): the next start
    drops it, so the bot gets past it, and hands over the others as before."""
    upgrade(database_url)
    db = make_engine(database_url)

    async def scenario() -> None:
        await PolledInbox(db, lambda: NOW).keep([_update(5)])
        for _ in range(MAX_HANDOVERS):  # a start hands 5 over, then dies
            application = _Application()
            assert await PolledInbox(db, lambda: NOW).resume(application, polling=True) == 1  # type: ignore[arg-type]
            assert application.update_queue.get_nowait().update_id == 5
        application = _Application()
        assert await PolledInbox(db, lambda: NOW).resume(application, polling=True) == 0  # type: ignore[arg-type]
        assert application.update_queue.empty()
        assert application.offsets == [6], "Telegram is told 5 is confirmed, or it would give it again"
        await PolledInbox(db, lambda: NOW).keep([_update(6)])  # fetched by that start, which then died too
        application = _Application()
        assert await PolledInbox(db, lambda: NOW).resume(application, polling=True) == 1  # type: ignore[arg-type]
        assert application.update_queue.get_nowait().update_id == 6

    asyncio.run(scenario())
    assert _kept(db) == [_update(6)], "5 is deleted; 6 stays until handled"
    assert hand_over_polled(db).given_up == []
    db.dispose()


def test_an_answer_the_database_cannot_keep_is_refused_and_nothing_handled_is_forgotten(
        database_url: str, tmp_path: Path) -> None:
    upgrade(database_url)
    db = make_engine(database_url)
    inbox = PolledInbox(db, lambda: NOW)
    asyncio.run(inbox.keep([_update(5)]))
    inbox.handled(5)
    broken = inbox.db = make_engine(f"sqlite:///{tmp_path / 'not-migrated.db'}")  # no tables: every write fails
    with pytest.raises(SQLAlchemyError):  # the answer is not returned (tests/unit/test_polling.py)
        asyncio.run(inbox.keep([_update(6)]))
    broken.dispose()
    inbox.db = db
    asyncio.run(inbox.keep([]))
    assert _kept(db) == [], "5 is forgotten at the next write, 6 was never kept"
    db.dispose()

"""What messengers send, kept until handled: events pushed by a messenger (one update id per
event however often it arrives) and Telegram updates fetched by long polling; what a stopped
process left unhandled is found again at start."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update

from bot.runtime.inbox import PolledInbox
from storage.db import claim_update, make_engine, transaction, upgrade
from storage.inbound import IN_LIST, keep_polled, record_event, unhandled_events, unhandled_polled
from storage.models import OTHER_CHANNEL_UPDATE_IDS

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
    assert unhandled_events(db, "zalo") == [(second, {"n": 2})]
    db.dispose()


def _update(update_id: int) -> dict[str, Any]:
    return {"update_id": update_id, "message": {"message_id": update_id, "date": 0, "text": f"tin {update_id}",
                                                "chat": {"id": 9, "type": "private"}}}


def test_polled_updates_are_kept_once_until_handled(database_url: str) -> None:
    upgrade(database_url)
    db = make_engine(database_url)
    keep_polled(db, [_update(5), _update(6), _update(7)], [], NOW)
    keep_polled(db, [_update(7), _update(8)], [5, 6], NOW)  # 7 fetched again, 5 and 6 handled since
    assert unhandled_polled(db) == [_update(7), _update(8)]
    keep_polled(db, [], list(range(IN_LIST * 2 + 8)), NOW)  # more handled than one DELETE takes
    assert unhandled_polled(db) == []
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
    assert unhandled_polled(db) == [], "5 is forgotten at the next write, 6 was never kept"
    db.dispose()

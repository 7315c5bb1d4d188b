"""What the outbox sends first: case notifications, then feedback, then urgent announcements,
then the others; a citizen's daily allowance of feedback; an officer's open cases picked by the
database. On a real database (SQLite and PostgreSQL), in process."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.conversation.turns import Turns
from bot.feedback.feedback import Feedbacks
from bot.runtime import outbox_sender
from bot.runtime.outbox_sender import IN_FLIGHT, PAID_IN_FLIGHT, Deliver, OutboxWorker
from bot.runtime.pacing import PER_CHAT_INTERVAL
from bot.staff.members import add_member
from bot.staff.permissions import Role, handled_by
from dialogs.output import Reply, Rich
from handlers.desk import RetryLater
from storage.db import transaction
from storage.models import Broadcast, Case, OutboxMessage, StaffMember
from storage.outbox import FEEDBACK_PRIORITY, enqueue, enqueue_broadcast, listen

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 10, 16, 50, tzinfo=UTC)  # 23:50 at the office
STAFF, CITIZEN = 504, 7001
NOTICE = Reply(Rich.plain("Hồ sơ HS-1 đã được tiếp nhận"))


def _queue_one_of_each(db: Engine) -> None:
    """Queued in the reverse of the order they must go out in."""
    with transaction(db) as session:
        normal, urgent = (Broadcast(author_id=STAFF, text=text, status="sending", created_at=NOW)
                          for text in ("Lịch tiếp dân", "Bão số 3"))
        session.add_all([normal, urgent])
        session.flush()
        enqueue_broadcast(session, [11, 12], Reply(Rich.plain("Lịch tiếp dân")), broadcast_id=normal.id or 0, now=NOW)
        enqueue_broadcast(session, [31, 32], Reply(Rich.plain("Bão số 3")), broadcast_id=urgent.id or 0, now=NOW,
                          urgent=True)
        enqueue(session, 21, Reply(Rich.plain("Góp ý #1")), now=NOW, priority=FEEDBACK_PRIORITY)
        enqueue(session, 41, NOTICE, now=NOW)


async def _until(done: Callable[[], bool], seconds: float = 10) -> None:
    """Wait until `done()`, or until `seconds` passed."""
    for _ in range(int(seconds / 0.02)):
        if done():
            return
        await asyncio.sleep(0.02)


def _run_worker(db: Engine, deliver: Deliver, sends: Callable[[], int], expected: int, **options: Any) -> None:
    """Run the outbox worker until `sends()` reaches `expected` (or a minute passed), then stop it."""
    async def run() -> None:
        worker = OutboxWorker(db, deliver, lambda: NOW + timedelta(seconds=1), set, idle_seconds=0.05, **options)
        task = asyncio.create_task(worker.run())
        await _until(lambda: sends() >= expected, 60)
        await worker.stop()
        await task

    asyncio.run(run())


def _send_all(db: Engine, *, paid_broadcast: bool) -> list[tuple[int, bool]]:
    sent: list[tuple[int, bool]] = []

    async def deliver(chat_id: int, reply: Reply, paid: bool) -> None:
        sent.append((chat_id, paid))

    _run_worker(db, deliver, lambda: len(sent), 6, max_in_flight=1, max_paid_in_flight=1, paid_broadcast=paid_broadcast)
    return sent


def test_case_notices_then_feedback_then_urgent_then_other_announcements(db: Engine) -> None:
    _queue_one_of_each(db)
    assert _send_all(db, paid_broadcast=True) == [(41, False), (21, False), (31, True), (32, True), (11, False),
                                                  (12, False)]


def test_the_worker_looks_again_soon_only_for_a_message_that_waits_for_a_busy_chat(db: Engine) -> None:
    async def deliver(chat_id: int, reply: Reply, paid: bool) -> None:
        return None

    worker = OutboxWorker(db, deliver, lambda: NOW + timedelta(seconds=1), set)
    assert worker.rows.claim_due({CITIZEN}, worker._room()) == ([], False), "nothing queued: nothing to look for soon"
    with transaction(db) as session:
        enqueue(session, CITIZEN, NOTICE, now=NOW)
    assert worker.rows.claim_due({CITIZEN}, worker._room()) == ([], True), "it waits until the chat is free"
    claims, waiting = worker.rows.claim_due({STAFF}, worker._room())
    assert ([claim.message.chat_id for claim in claims], waiting) == ([CITIZEN], False)
    for claim in claims:
        claim.abandon()


def test_a_busy_chat_makes_the_worker_look_again_soon_only_when_something_waits_for_it(
        db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """How long the worker waits after finding nothing to send (or until woken)."""
    async def deliver(chat_id: int, reply: Reply, paid: bool) -> None:
        return None

    waits: list[float] = []

    async def no_wait(awaitable: Coroutine[Any, Any, Any], timeout: float) -> None:
        awaitable.close()
        waits.append(timeout)
        raise TimeoutError

    worker = OutboxWorker(db, deliver, lambda: NOW + timedelta(seconds=1), lambda: {CITIZEN}, idle_seconds=0.5)
    monkeypatch.setattr(outbox_sender.asyncio, "wait_for", no_wait)
    asyncio.run(worker._step())
    with transaction(db) as session:
        enqueue(session, CITIZEN, NOTICE, now=NOW)
    asyncio.run(worker._step())
    assert waits == [0.5, PER_CHAT_INTERVAL / 4]


def _sleepy_worker(db: Engine, deliver: Deliver) -> tuple[OutboxWorker, list[int]]:
    """A worker that would look on its own only after a minute (what it sends sooner, it was woken
    for), and the number of looks it has taken. Its clock runs from `NOW`."""
    started = time.monotonic()
    worker = OutboxWorker(db, deliver, lambda: NOW + timedelta(seconds=time.monotonic() - started), set,
                          idle_seconds=60)
    looks = [0]
    claim_due = worker.rows.claim_due

    def counted(*args: Any) -> Any:
        looks[0] += 1
        return claim_due(*args)

    worker.rows.claim_due = counted  # type: ignore[method-assign]
    return worker, looks


def _queue(db: Engine, chat_id: int) -> None:
    with transaction(db) as session:
        enqueue(session, chat_id, NOTICE, now=NOW)


def test_a_message_queued_in_the_process_wakes_the_worker_at_its_commit(db: Engine) -> None:
    sent: list[int] = []

    async def deliver(chat_id: int, reply: Reply, paid: bool) -> None:
        sent.append(chat_id)

    async def run() -> list[int]:
        worker, looks = _sleepy_worker(db, deliver)
        task = asyncio.create_task(worker.run())
        await _until(lambda: looks[0] == 1)  # it found nothing, and sleeps
        await asyncio.sleep(0.1)
        await asyncio.to_thread(_queue, db, CITIZEN)
        await _until(lambda: bool(sent))
        await worker.stop()
        await task
        return sent

    assert asyncio.run(run()) == [CITIZEN]


def test_an_updates_unit_of_work_that_queued_a_message_wakes_the_worker_when_it_commits(db: Engine) -> None:
    """Case notices are queued through the ORM session joined to the update's connection, whose
    transaction the connection commits (`bot.conversation.turns`); a rolled-back one tells nobody."""
    calls: list[str] = []
    stop_listening = listen(lambda: calls.append("queued"))
    turns = Turns(db, lambda: NOW)
    try:
        with turns.begin(1, CITIZEN) as turn:
            assert turn is not None
            enqueue(turn.session, STAFF, NOTICE, now=NOW)
            assert calls == []
        assert calls == ["queued"]
        with pytest.raises(RuntimeError), turns.begin(2, CITIZEN) as turn:
            assert turn is not None
            enqueue(turn.session, STAFF, NOTICE, now=NOW)
            raise RuntimeError("the update failed")
        with turns.begin(3, CITIZEN) as turn:
            pass
        assert calls == ["queued"]
    finally:
        stop_listening()


def test_savepoints_neither_tell_early_nor_forget_and_a_failing_listener_fails_no_commit(db: Engine) -> None:
    """Filing a case and rating run savepoints in the session that queues the notices."""
    calls: list[str] = []

    def failing() -> None:
        raise RuntimeError("a listener's own bug")

    stop_failing = listen(failing)
    stop_listening = listen(lambda: calls.append("queued"))
    try:
        with Turns(db, lambda: NOW).begin(4, CITIZEN) as turn:
            assert turn is not None
            enqueue(turn.session, STAFF, NOTICE, now=NOW)
            with turn.session.begin_nested():
                pass
            assert calls == [], "a savepoint released commits nothing"
            turn.session.commit()
            assert calls == [], "nor does the commit of a session joined to the update's transaction"
        assert calls == ["queued"]
        with transaction(db) as session:
            enqueue(session, STAFF, NOTICE, now=NOW)
            with pytest.raises(RuntimeError), session.begin_nested():
                raise RuntimeError("a code already taken")
            with session.begin_nested():
                pass
            assert calls == ["queued"]
        assert calls == ["queued", "queued"], "the message queued before the savepoint is still told of"
    finally:
        stop_listening()
        stop_failing()


def test_the_worker_wakes_when_a_retry_falls_due(db: Engine) -> None:
    attempts: list[int] = []

    async def deliver(chat_id: int, reply: Reply, paid: bool) -> None:
        attempts.append(chat_id)
        if len(attempts) == 1:
            raise RetryLater("Too Many Requests: retry after 0.3", 0.3)

    async def run() -> list[int]:
        _queue(db, CITIZEN)
        worker, _ = _sleepy_worker(db, deliver)
        task = asyncio.create_task(worker.run())
        await _until(lambda: len(attempts) == 2)
        await worker.stop()
        await task
        return attempts

    assert asyncio.run(run()) == [CITIZEN, CITIZEN]


def test_without_paid_broadcasts_an_urgent_announcement_only_goes_first(db: Engine) -> None:
    _queue_one_of_each(db)
    assert [chat for chat, paid in _send_all(db, paid_broadcast=False) if not paid] == [41, 21, 31, 32, 11, 12]


def test_a_paid_broadcast_keeps_many_sends_under_way_where_claims_hold_no_connection(db: Engine) -> None:
    """Telegram answers from far away in about a tenth of a second: hundreds of paid messages a
    second need dozens under way at once, while free ones stay at the usual few. On PostgreSQL
    each claim holds a connection, so there every send counts toward the usual limit."""
    notices = range(40, 60)
    with transaction(db) as session:
        storm = Broadcast(author_id=STAFF, text="Bão số 3", status="sending", created_at=NOW)
        session.add(storm)
        session.flush()
        enqueue_broadcast(session, range(1000, 1300), Reply(Rich.plain("Bão số 3")), broadcast_id=storm.id or 0,
                          now=NOW, urgent=True)
        for chat in notices:
            enqueue(session, chat, Reply(Rich.plain("Hồ sơ đã được tiếp nhận")), now=NOW)
    order: list[int] = []
    levels: list[int] = []  # sends under way as each one started
    free_most = 0

    under_way: dict[bool, int] = {False: 0, True: 0}

    async def deliver(chat_id: int, reply: Reply, paid: bool) -> None:
        nonlocal free_most
        order.append(chat_id)
        under_way[paid] += 1
        levels.append(sum(under_way.values()))
        free_most = max(free_most, under_way[False])
        await asyncio.sleep(0.4)  # Telegram's answer (slow, so that a slow claim on a busy machine still refills in time)
        under_way[paid] -= 1

    _run_worker(db, deliver, lambda: len(order), 320, paid_broadcast=True)
    assert sorted(order) == [*notices, *range(1000, 1300)], "each once"
    assert set(order[:IN_FLIGHT]) <= set(notices), "case notices first"
    assert free_most == IN_FLIGHT
    if db.dialect.name == "postgresql":
        assert max(levels) == IN_FLIGHT
    else:
        assert max(levels) == PAID_IN_FLIGHT
        assert statistics.median(levels) > 2 * IN_FLIGHT, "many under way all along, not only at first"


def test_a_chats_urgent_message_waits_for_its_case_notice_even_when_only_paid_sends_may_start(db: Engine) -> None:
    with transaction(db) as session:
        storm = Broadcast(author_id=STAFF, text="Bão số 3", status="sending", created_at=NOW)
        session.add(storm)
        session.flush()
        enqueue(session, 41, NOTICE, now=NOW)
        enqueue(session, 42, Reply(Rich.plain("Hồ sơ HS-2 đã được tiếp nhận")), now=NOW)
        enqueue_broadcast(session, [42], Reply(Rich.plain("Bão số 3")), broadcast_id=storm.id or 0, now=NOW,
                          urgent=True)
    sent: list[tuple[int, bool]] = []

    async def deliver(chat_id: int, reply: Reply, paid: bool) -> None:
        sent.append((chat_id, paid))
        await asyncio.sleep(0.2)

    _run_worker(db, deliver, lambda: len(sent), 3, max_in_flight=1, paid_broadcast=True)  # one free send at a time
    assert sent == [(41, False), (42, False), (42, True)]


def test_a_citizen_may_send_a_few_feedbacks_a_day(db: Engine) -> None:
    with transaction(db) as session:
        add_member(session, telegram_id=STAFF, name="Văn Phòng", role=Role.STAFF, fields=[], known_fields=set(),
                   now=NOW)
    clock = [NOW]
    feedbacks = Feedbacks(Turns(db, lambda: clock[0]), TZ, per_day=2)
    update_ids = iter(range(1, 100))

    def submit(text: str) -> str:
        outcome = feedbacks.submit(next(update_ids), CITIZEN, text, None)
        assert outcome is not None
        return str(outcome.replies[0].text)

    assert "#1" in submit("Đường làng bị ngập") and "#2" in submit("Đèn đường hỏng")
    refused = submit("Cống bị tắc")
    assert "2 góp ý" in refused and "ngày mai" in refused
    prompt = feedbacks.feedback_prompt(next(update_ids), CITIZEN)
    assert prompt is not None and prompt.prompt is None and "ngày mai" in str(prompt.replies[0].text)
    clock[0] = NOW + timedelta(minutes=15)  # 00:05 the next day at the office
    assert "#3" in submit("Cống bị tắc")
    with Session(db) as session:
        queued = session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == STAFF)).all()
        assert len(queued) == 3 and {row.priority for row in queued} == {FEEDBACK_PRIORITY}


def test_an_officers_cases_are_picked_by_the_database(db: Engine) -> None:
    with transaction(db) as session:
        for n, field in enumerate(["ho-tich", "chung-thuc", "ho-tich"]):
            session.add(Case(code=f"HS-{n}", procedure_id="x", field_id=field, chat_id=CITIZEN, status="submitted",
                             applicant_name="A", language="vi", created_at=NOW, due_date=date(2026, 12, 11)))
        members = {role: add_member(session, telegram_id=600 + n, name=role, role=role,
                                    fields=["ho-tich"] if role == Role.OFFICER else [],
                                    known_fields={"ho-tich"}, now=NOW) for n, role in enumerate(Role)}
    with Session(db) as session:
        def codes(member: StaffMember) -> list[str]:
            return list(session.exec(select(Case.code).where(handled_by(member)).order_by(col(Case.code))).all())

        assert codes(members[Role.OFFICER]) == ["HS-0", "HS-2"]
        assert codes(members[Role.ADMIN]) == ["HS-0", "HS-1", "HS-2"]
        assert codes(members[Role.STAFF]) == []
        members[Role.OFFICER].active = False
        assert codes(members[Role.OFFICER]) == []

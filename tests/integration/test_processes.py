"""What lets several processes share one database, on a real database: outbox claims under row
locks, the send budget, the guards against a process that cannot run beside another, the
leader's election, and the health and metrics figures read from the database."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.routing import Route
from sqlmodel import Session, select

from bot.runtime.app import build_desk
from bot.runtime.instances import AnotherProcess, sole_receiver
from bot.runtime.leader import Leadership
from bot.runtime.metrics import Metrics
from bot.runtime.outbox_sender import OutboxWorker
from bot.runtime.server import health_endpoint
from bot.settings import Settings
from dialogs.model import Input
from dialogs.output import Reply, Rich
from storage.db import make_engine, transaction
from storage.inbound import hand_over_events, record_event
from storage.models import ChatSession, OutboxMessage
from storage.outbox import enqueue
from storage.send_budget import take_send_slot

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def db(migrated_db: Engine) -> Engine:
    return migrated_db


@pytest.fixture
def postgresql(database_backend: str) -> None:
    if database_backend != "postgresql":
        pytest.skip("PostgreSQL only: SQLite serves one process")


def _queue(db: Engine, *chats: int) -> None:
    with transaction(db) as session:
        for chat in chats:
            enqueue(session, chat, Reply(Rich.plain(f"to {chat}")), now=NOW - timedelta(minutes=1))


def _worker(db: Engine) -> OutboxWorker:
    async def deliver(chat_id: int, reply: Reply) -> None:
        return None

    return OutboxWorker(db, deliver, lambda: NOW, set)


def test_a_claimed_row_is_skipped_by_others_and_pending_again_if_its_claimant_lets_go(postgresql: None, db: Engine) -> None:
    _queue(db, 1, 2)
    first, second = _worker(db), _worker(db)
    (one,), _ = first.rows.claim_due(set(), first._room())
    (two,), _ = second.rows.claim_due(set(), second._room())  # does not wait for the first
    assert {one.message.chat_id, two.message.chat_id} == {1, 2}
    assert second.rows.claim_due(set(), second._room()) == ([], False), "nothing else is free"
    first.rows.finish(one, "sent", None)
    two.abandon()  # as when the process dies: its transaction ends, the row is pending again
    with Session(db) as session:
        statuses = {row.chat_id: row.status for row in session.exec(select(OutboxMessage)).all()}
    assert statuses == {1: "sent", 2: "pending"}


def test_the_send_budget_is_one_window_for_every_process(postgresql: None, db: Engine) -> None:
    def take(channel: str, *, paid: bool = False) -> float:
        return take_send_slot(db, channel, free=2, paid=4, window_seconds=60, is_paid=paid)

    assert [take("telegram") for _ in range(2)] == [0.0, 0.0]
    assert take("telegram") > 0, "a third send within the window waits"
    assert take("zalo") == 0.0, "each messenger has its own"
    assert [take("telegram", paid=True) for _ in range(2)] == [0.0, 0.0], "paid sends do not count the free ones"
    assert take("telegram", paid=True) > 0, "every send counts toward the paid limit"


def test_sqlite_takes_one_process(database_backend: str, tmp_path: Path) -> None:
    if database_backend != "sqlite":
        pytest.skip("SQLite only")
    url = f"sqlite:///{tmp_path / 'motcua.db'}"
    engine = make_engine(url)
    with sole_receiver(engine, url, webhook=True):
        with pytest.raises(AnotherProcess, match="SQLite serves one process"), sole_receiver(engine, url, webhook=True):
            pass
    with sole_receiver(engine, url, webhook=False):
        pass


def test_postgresql_takes_many_webhook_processes_or_one_poller(postgresql: None, db: Engine, database_url: str) -> None:
    with sole_receiver(db, database_url, webhook=True), sole_receiver(db, database_url, webhook=True):
        with pytest.raises(AnotherProcess, match="long polling allows one process only"):
            with sole_receiver(db, database_url, webhook=False):
                pass
    with sole_receiver(db, database_url, webhook=False):
        with pytest.raises(AnotherProcess, match="polls Telegram"):
            with sole_receiver(db, database_url, webhook=True):
                pass


class Duties:
    def __init__(self) -> None:
        self.running = False

    def start(self) -> None:
        self.running = True

    async def stop(self) -> None:
        self.running = False


def test_one_leader_at_a_time_and_another_takes_over(postgresql: None, db: Engine) -> None:
    async def scenario() -> None:
        first_duties, second_duties = Duties(), Duties()
        first = Leadership(db, first_duties, retry_seconds=0.05)  # type: ignore[arg-type]
        second = Leadership(db, second_duties, retry_seconds=0.05)  # type: ignore[arg-type]
        first.start()
        await _until(lambda: first.leading)
        second.start()
        await asyncio.sleep(0.3)
        assert not second.leading and not second_duties.running
        await first.stop()
        assert not first_duties.running
        await _until(lambda: second.leading and second_duties.running)
        await second.stop()

    asyncio.run(scenario())


async def _until(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "never happened"
        await asyncio.sleep(0.02)


def test_health_and_metrics_read_the_outbox_backlog(db: Engine) -> None:
    _queue(db, 5, 6)
    metrics = Metrics(db, lambda: NOW)
    metrics.answered("telegram", "sendMessage", 200)
    metrics.answered("telegram", "sendMessage", 429)
    metrics.answered("telegram", "getFile", 502)
    health = metrics.health()
    assert health.as_json(NOW) == {"database": True, "outbox_pending": 2, "outbox_oldest_pending_seconds": 60.0,
                                   "last_update_seconds": None}
    text = metrics.render().decode()
    for line in ("motcua_outbox_pending 2.0", "motcua_outbox_oldest_pending_seconds 60.0", "motcua_database_up 1.0",
                 'motcua_messages_sent_total{channel="telegram"} 1.0', 'motcua_flood_answers_total{channel="telegram"} 1.0',
                 'motcua_server_errors_total{channel="telegram"} 1.0', "motcua_broadcasts_running 0.0"):
        assert line in text, text


def test_two_processes_writing_one_chat_s_dialog_lose_neither_write(postgresql: None, db: Engine, database_url: str,
                                                                     tmp_path: Path) -> None:
    """Two desks with engines of their own, as two processes would have, handle updates of one chat
    at the same moment: the version check makes the later writer start again from the newer state,
    so every update counts (without it, both would write the same next version)."""
    settings = Settings(_env_file=None, database_url=database_url, data_dir=tmp_path)  # type: ignore[call-arg]
    first, second = build_desk(settings).dialogs, build_desk(settings).dialogs
    chat = 8001
    first.handle(1, chat, Input(1, text="chứng thực bản sao"))
    rounds = 6
    for n in range(rounds):
        together = threading.Barrier(2)

        def handle(dialogs, update_id: int) -> None:  # type: ignore[no-untyped-def]
            together.wait()
            dialogs.handle(update_id, chat, Input(update_id, text="xin chào"))

        threads = [threading.Thread(target=handle, args=(dialogs, 10 + 2 * n + k)) for k, dialogs in
                   enumerate((first, second))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    with Session(db) as session:
        row = session.get(ChatSession, chat)
    assert row is not None and row.version == 1 + 2 * rounds


def test_the_leader_takes_over_only_events_old_enough_to_have_lost_their_process(db: Engine) -> None:
    old = record_event(db, "zalo", "old", {"n": 1}, NOW - timedelta(minutes=5))
    record_event(db, "zalo", "new", {"n": 2}, NOW)  # another process may be handling it right now
    assert hand_over_events(db, "zalo", received_before=NOW - timedelta(minutes=2), counted=False).items == [(old, {"n": 1})]


def test_health_is_503_when_the_database_does_not_answer() -> None:
    unreachable = make_engine("postgresql+psycopg://motcua@127.0.0.1:1/motcua?connect_timeout=2")
    metrics = Metrics(unreachable, lambda: NOW)
    assembly = SimpleNamespace(metrics=metrics, leadership=SimpleNamespace(leading=False))
    app = Starlette(routes=[Route("/healthz", health_endpoint(assembly))])  # type: ignore[arg-type]

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as client:
            return await client.get("/healthz")

    response = asyncio.run(get())
    assert response.status_code == 503 and response.json()["database"] is False
    assert "motcua_database_up 0.0" in metrics.render().decode()

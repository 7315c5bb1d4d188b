"""Several bot processes on one PostgreSQL database serve one bot, by webhook behind a proxy, and
one of them can die at any instant without a case, a notification or a dialog being lost or
repeated. Single-process webhook mode, the health and metrics pages, and the refusal of a second
process where it cannot work are checked here too."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.botapi import FakeBotAPI
from sandbox.botprocess import BotDidNotStart, BotProcess
from sandbox.flood import CODE, OFFICERS, TAKEN_NOTICE, Bots, Flood, free_port
from tests.support.walk import query

CITIZENS = 200
KILL_WINDOW = 5.0
"""A send the killed leader had made but not yet recorded is made again by the next leader; its
first copy was accepted at most this long before the kill (the time to record a send, with room)."""
DYING_SEND = 1.0
"""A send the leader made just before it was killed may reach the fake's clock a little after the
kill returned (the fake's server thread accepts it when it is next scheduled): seconds allowed."""
MAX_IN_FLIGHT = 8
SEND_RATE = "100"
"""The bot's own pacing lifted (the emulator does not enforce Telegram's limits here), so the
citizens are not held to 25 messages a second: what takes time is the officers' new-case cards,
one a second per officer whatever the rate."""
NEW_CASE = "Hồ sơ mới"


@pytest.fixture
def postgresql_only(database_backend: str) -> None:
    if database_backend != "postgresql":
        pytest.skip("several processes need PostgreSQL: SQLite serves one process "
                    "(test_a_second_process_on_sqlite_is_refused checks that it says so)")


def _leader(bots: Bots) -> BotProcess:
    for process, port in zip(bots.processes, bots.ports, strict=True):
        if process.running and httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()["leader"]:
            return process
    raise AssertionError("no process leads")


def test_three_processes_lose_and_repeat_nothing_when_the_leader_is_killed(
        postgresql_only: None, make_database_url: Callable[[], str], tmp_path: Path) -> None:
    bots = Bots(make_database_url(), tmp_path, 3, send_rate=SEND_RATE)
    bots.start()
    killed: list[float] = []  # when the kill began, and when it had ended

    def kill_the_leader() -> None:
        leader = _leader(bots)
        killed.append(time.monotonic())
        leader.kill()
        killed.append(time.monotonic())

    try:
        report = Flood(bots.fake, CITIZENS).run(timeout=900, halfway=kill_the_leader)
        url = bots.database_url
        bots.fake.wait_until(lambda: not query(url, "SELECT id FROM outbox_messages WHERE status <> 'sent'"),
                             timeout=600, message="the outbox never emptied")
        bots.fake.wait_idle(timeout=60)
        assert len(killed) == 2 and sum(p.running for p in bots.processes) == 2

        cases = query(url, "SELECT chat_id, code FROM cases")
        per_citizen = Counter(row["chat_id"] for row in cases)
        assert len(per_citizen) == CITIZENS and set(per_citizen.values()) == {1}, "each case exactly once"
        assert report.lost_dialogs == 0, "a citizen's dialog was gone after the kill"
        taken = query(url, "SELECT case_id, count(*) AS n FROM case_events WHERE to_status = 'in_progress' "
                           "GROUP BY case_id")
        assert len(taken) == CITIZENS and {row["n"] for row in taken} == {1}, "each case taken exactly once"
        assert not query(url, "SELECT id FROM outbox_messages WHERE status <> 'sent'")
        assert len(query(url, "SELECT id FROM outbox_messages")) == CITIZENS * (len(OFFICERS) + 1)

        codes = {row["code"]: row["chat_id"] for row in cases}
        copies = _notifications(bots.fake, codes)
        assert set(copies) == {(code, chat) for code, citizen in codes.items() for chat in (*OFFICERS, citizen)}, \
            "every notification delivered"
        repeated = {key: times for key, times in copies.items() if len(times) > 1}
        in_flight = {key: times for key, times in repeated.items()
                     if len(times) == 2 and killed[0] - KILL_WINDOW <= times[0] <= killed[1] + DYING_SEND
                     and killed[0] < times[1]}
        assert repeated == in_flight, "a notification was repeated other than one in flight at the kill"
        assert len(in_flight) <= MAX_IN_FLIGHT
        assert not bots.fake.violations
        print(f"\n{report}; repeated because in flight at the kill: {len(in_flight)}; "
              f"webhook requests the proxy moved to another process: {bots.proxy.retried}")
    finally:
        bots.stop()


def _notifications(fake: FakeBotAPI, codes: dict[str, int]) -> dict[tuple[str, int], list[float]]:
    """(case code, chat) -> acceptance times of each copy: the officers' new-case cards and the
    citizen's notice that the case was taken."""
    copies: dict[tuple[str, int], list[float]] = {}
    chats = {*OFFICERS, *codes.values()}
    for chat in chats:
        for message in fake.bot_messages(chat):
            text = message.text or ""
            found = CODE.search(text)
            if found is None:
                continue
            is_card = chat in OFFICERS and NEW_CASE in text
            is_notice = chat not in OFFICERS and TAKEN_NOTICE in text
            if is_card or is_notice:
                copies.setdefault((found.group(0), chat), []).append(message.sent_at)
    return copies


@pytest.fixture
def webhook_bot(make_database_url: Callable[[], str], tmp_path: Path) -> Iterator[tuple[FakeBotAPI, BotProcess, int]]:
    fake = FakeBotAPI()
    fake.start()
    port = free_port()
    process = BotProcess(fake, make_database_url(), tmp_path, webhook=f"http://127.0.0.1:{port}/telegram/webhook",
                         listen=f"127.0.0.1:{port}")
    try:
        process.start()
        yield fake, process, port
    finally:
        process.stop()
        fake.stop()


def test_one_process_by_webhook_answers_and_reports_its_health(webhook_bot: tuple[FakeBotAPI, BotProcess, int]) -> None:
    fake, process, port = webhook_bot
    base = f"http://127.0.0.1:{port}"
    fake.send_text(7001, "/start")
    fake.wait_for_messages(7001, 1)
    assert fake.webhook_url == f"{base}/telegram/webhook"
    (webhook,) = [r for r in fake.requests if r.method == "setWebhook"]
    assert webhook.params["allowed_updates"] == ["message", "callback_query"]
    assert re.fullmatch(r"[0-9a-f]{64}", webhook.params["secret_token"])

    forged = {"update_id": 99, "message": {"message_id": 1, "date": 0, "chat": {"id": 7001, "type": "private"},
                                           "from": {"id": 7001, "is_bot": False, "first_name": "X"}, "text": "/start"}}
    refused = httpx.post(f"{base}/telegram/webhook", json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
    assert refused.status_code == 403 and refused.content == b""
    assert httpx.post(f"{base}/telegram/webhook", json=forged).status_code == 403
    fake.wait_idle()
    assert len(fake.bot_messages(7001)) == 1, "a refused request reaches nothing"

    health = httpx.get(f"{base}/healthz").json()
    assert health["database"] is True and health["leader"] is True
    assert health["outbox_pending"] == 0 and health["outbox_oldest_pending_seconds"] is None
    assert health["last_update_seconds"] is not None
    metrics = httpx.get(f"{base}/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'motcua_updates_handled_total{channel="telegram",kind="command"} 1.0' in metrics.text
    assert 'motcua_messages_sent_total{channel="telegram"} 1.0' in metrics.text
    assert "motcua_update_handling_seconds_bucket" in metrics.text and "motcua_outbox_pending 0.0" in metrics.text

    process.stop()
    fake.send_text(7001, "/start")  # sent while no process runs: Telegram keeps it for the next start
    polling = BotProcess(fake, process.env["MOTCUA_DATABASE_URL"], process.data_dir, log_name="polling.log")
    polling.start()
    try:
        fake.wait_for_messages(7001, 2)
        assert fake.webhook_url is None, "back to long polling, the webhook is deleted"
    finally:
        polling.stop()


def test_a_second_process_on_sqlite_is_refused(database_backend: str, make_database_url: Callable[[], str],
                                               tmp_path: Path) -> None:
    if database_backend != "sqlite":
        pytest.skip("SQLite only")
    with FakeBotAPI() as fake:
        url = make_database_url()
        first = BotProcess(fake, url, tmp_path / "one")
        first.start()
        try:
            second = BotProcess(fake, url, tmp_path / "two")
            with pytest.raises(BotDidNotStart) as refused:
                second.start(timeout=30)
            assert "another motcua process already runs on the SQLite database" in refused.value.args[0]
            first.kill()
            second.start()  # a killed process leaves no stale lock behind
            second.stop()
        finally:
            first.stop()


def test_on_postgresql_one_poller_or_many_webhook_processes(
        postgresql_only: None, make_database_url: Callable[[], str], tmp_path: Path) -> None:
    with FakeBotAPI() as fake:
        url = make_database_url()
        ports = [free_port(), free_port()]
        hooked = [BotProcess(fake, url, tmp_path, webhook=f"http://127.0.0.1:{port}/telegram/webhook",
                             listen=f"127.0.0.1:{port}", log_name=f"bot-{port}.log") for port in ports]
        try:
            for process in hooked:
                process.start()
            poller = BotProcess(fake, url, tmp_path, log_name="poller.log")
            with pytest.raises(BotDidNotStart) as refused:
                poller.start(timeout=30)
            assert "polls Telegram" not in refused.value.args[0]
            assert "long polling allows one process only" in refused.value.args[0]
        finally:
            for process in hooked:
                process.stop()

"""The Zalo access token's refresh, on both engines: while Zalo's OAuth server is slow to answer,
no other chat's database work and no other Zalo message waits for it; a failed refresh is not
retried at every message, and a token that is still valid keeps serving meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.settings import Settings
from bot.staff.members import add_member
from bot.staff.permissions import Role
from handlers.desk import Transient
from handlers.zalo.tokens import CHANNEL, RETRY_AFTER_FAILURE, NewPair, TokenKeeper
from storage.db import transaction
from storage.models import ChannelToken, OutboxMessage, Subscriber

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NEW_PAIR = NewPair("AT-new", "RT-new", timedelta(seconds=90000))


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class SlowZalo:
    """Stands in for Zalo's OAuth answer: counts the requests and, when `held`, answers only
    once released, as a slow server would."""

    def __init__(self, answer: NewPair | str = NEW_PAIR, *, held: bool = False,
                 meanwhile: Callable[[], None] = lambda: None) -> None:
        self.answer = answer
        self.meanwhile = meanwhile
        self.asked: list[str] = []
        self.asking = threading.Event()
        self.release = threading.Event()
        if not held:
            self.release.set()

    def __call__(self, refresh_token: str) -> NewPair | str:
        self.asked.append(refresh_token)
        self.asking.set()
        assert self.release.wait(10), "the test never released the refresh"
        self.meanwhile()
        return self.answer


def _keeper(db: Engine, clock: Clock, zalo: SlowZalo, *, expires_in: timedelta) -> TokenKeeper:
    with transaction(db) as session:
        session.add(ChannelToken(channel=CHANNEL, access_token="AT-old", refresh_token="RT-old",
                                 expires_at=NOW + expires_in, updated_at=NOW))
    keeper = TokenKeeper(db, Settings(_env_file=None), clock)  # type: ignore[call-arg]
    keeper._ask_zalo = zalo  # type: ignore[method-assign]
    return keeper


def _stored(db: Engine) -> ChannelToken:
    with transaction(db) as session:
        return session.exec(select(ChannelToken)).one()


@pytest.fixture
def clock() -> Iterator[Clock]:
    yield Clock()


def _in_thread(work: object) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())  # type: ignore[operator]
        except Exception as exc:  # noqa: BLE001 - handed to the test to assert on
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_while_zalo_is_slow_to_refresh_nothing_else_waits_for_it(db: Engine, clock: Clock) -> None:
    zalo = SlowZalo(held=True)
    keeper = _keeper(db, clock, zalo, expires_in=timedelta(minutes=30))  # due, still valid
    refreshing, refreshed = _in_thread(keeper.access_token)
    assert zalo.asking.wait(5)

    def another_chats_write() -> None:
        with transaction(db) as session:
            session.add(Subscriber(chat_id=42, created_at=NOW, changed_at=NOW))

    writing, _ = _in_thread(another_chats_write)
    writing.join(3)
    assert not writing.is_alive(), "another chat's database work waited for Zalo's OAuth server"
    sending, sent = _in_thread(keeper.access_token)
    sending.join(3)
    assert sent == ["AT-old"], "a message sent meanwhile goes with the token that is still valid"

    zalo.release.set()
    refreshing.join(5)
    assert refreshed == ["AT-new"] and len(zalo.asked) == 1
    stored = _stored(db)
    assert (stored.access_token, stored.refresh_token) == ("AT-new", "RT-new")
    assert stored.expires_at == NOW + timedelta(seconds=90000)
    assert keeper.access_token() == "AT-new" and len(zalo.asked) == 1


def test_a_rejected_token_being_refreshed_sends_the_message_to_wait_instead_of_the_thread(
        db: Engine, clock: Clock) -> None:
    zalo = SlowZalo(held=True)
    keeper = _keeper(db, clock, zalo, expires_in=timedelta(hours=20))
    refreshing, refreshed = _in_thread(lambda: keeper.rejected("AT-old"))
    assert zalo.asking.wait(5)
    with pytest.raises(Transient, match="under way"):
        keeper.rejected("AT-old")
    zalo.release.set()
    refreshing.join(5)
    assert refreshed == ["AT-new"]
    assert keeper.rejected("AT-old") == "AT-new" and len(zalo.asked) == 1, "another caller already refreshed"


def test_a_failed_refresh_is_retried_after_a_pause_and_the_valid_token_serves_meanwhile(
        db: Engine, clock: Clock) -> None:
    zalo = SlowZalo("Zalo error -14014")
    keeper = _keeper(db, clock, zalo, expires_in=timedelta(minutes=30))
    assert keeper.access_token() == "AT-old"
    assert keeper.access_token() == "AT-old"
    assert len(zalo.asked) == 1, "not asked again at every message"
    stored = _stored(db)
    assert stored.failure == "Zalo error -14014" and stored.failed_at == NOW

    clock.now += RETRY_AFTER_FAILURE
    zalo.answer = NEW_PAIR
    assert keeper.access_token() == "AT-new" and len(zalo.asked) == 2
    assert _stored(db).failure is None


def test_without_a_valid_token_a_failed_refresh_makes_the_message_wait(db: Engine, clock: Clock) -> None:
    zalo = SlowZalo("Zalo error -14014")
    keeper = _keeper(db, clock, zalo, expires_in=timedelta(seconds=-1))
    for _ in range(2):
        with pytest.raises(Transient, match="-14014"):
            keeper.access_token()
    assert len(zalo.asked) == 1


def test_the_pause_after_a_failure_counts_from_zalos_answer_and_staff_hear_once_per_outage(
        db: Engine, clock: Clock) -> None:
    with transaction(db) as session:
        add_member(session, telegram_id=504, name="Văn phòng", role=Role.STAFF, fields=[], known_fields=set(), now=NOW)

    def times_out() -> None:
        clock.now += timedelta(seconds=8)  # Zalo's OAuth server does not answer before the timeout

    zalo = SlowZalo("timed out", meanwhile=times_out)
    keeper = _keeper(db, clock, zalo, expires_in=timedelta(minutes=30))
    assert keeper.access_token() == "AT-old"
    assert keeper.access_token() == "AT-old"
    assert len(zalo.asked) == 1, "asked again at once after an answer that took longer than the pause"
    clock.now += RETRY_AFTER_FAILURE
    assert keeper.access_token() == "AT-old" and len(zalo.asked) == 2
    assert len(_alerts(db)) == 1, "told once, not at every failure"

    clock.now += RETRY_AFTER_FAILURE
    zalo.answer, zalo.meanwhile = NEW_PAIR, lambda: None
    assert keeper.access_token() == "AT-new"
    with transaction(db) as session:  # three months later, the refresh token expired
        session.get(ChannelToken, CHANNEL).expires_at = clock.now  # type: ignore[union-attr]
    keeper = _keeper_for(db, clock, SlowZalo("refresh token expired"))
    with pytest.raises(Transient):
        keeper.access_token()
    assert len(_alerts(db)) == 2, "a new outage after a success is told again"


@pytest.mark.skipif("config.getoption('--db') != 'postgresql'", reason="PostgreSQL only: SQLite serves one process")
def test_two_processes_never_spend_the_same_refresh_token(db: Engine, clock: Clock) -> None:
    zalo = SlowZalo(held=True)
    first = _keeper(db, clock, zalo, expires_in=timedelta(hours=20))
    second = _keeper_for(db, clock, zalo)
    refreshing, refreshed = _in_thread(lambda: first.rejected("AT-old"))
    assert zalo.asking.wait(5)
    waiting, answer = _in_thread(lambda: second.rejected("AT-old"))
    waiting.join(1)
    assert waiting.is_alive(), "the second process waits on the token's row"
    zalo.release.set()
    refreshing.join(5)
    waiting.join(5)
    assert refreshed == answer == ["AT-new"]
    assert zalo.asked == ["RT-old"], "the second process used the first one's new pair"


def test_the_first_pair_comes_from_the_settings(db: Engine, clock: Clock) -> None:
    zalo = SlowZalo()
    settings = Settings(_env_file=None, zalo_refresh_token="RT-env")  # type: ignore[call-arg]
    keeper = TokenKeeper(db, settings, clock)
    keeper._ask_zalo = zalo  # type: ignore[method-assign]
    assert keeper.access_token() == "AT-new"
    assert zalo.asked == ["RT-env"] and _stored(db).refresh_token == "RT-new"


def test_callers_that_know_no_token_yet_wait_for_the_one_reading_it(db: Engine, clock: Clock) -> None:
    keeper = _keeper(db, clock, SlowZalo(), expires_in=timedelta(hours=20))
    keeper._refreshing.acquire()  # another thread is reading the pair, just after the start
    starting, token = _in_thread(keeper.access_token)
    starting.join(0.3)
    keeper._refreshing.release()
    starting.join(5)
    assert token == ["AT-old"]


def test_a_new_pair_that_could_not_be_stored_is_stored_at_the_next_call(db: Engine, clock: Clock) -> None:
    if db.dialect.name != "sqlite":
        pytest.skip("SQLite only: on PostgreSQL the pair is written in the transaction that holds its row")

    def table_gone() -> None:
        with db.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE channel_tokens RENAME TO channel_tokens_away")

    zalo = SlowZalo(meanwhile=table_gone)
    keeper = _keeper(db, clock, zalo, expires_in=timedelta(minutes=30))
    with pytest.raises(Transient, match="database"):
        keeper.access_token()
    with db.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE channel_tokens_away RENAME TO channel_tokens")
    assert keeper.access_token() == "AT-new"
    assert (_stored(db).refresh_token, zalo.asked) == ("RT-new", ["RT-old"]), "stored, not asked for again"


def _keeper_for(db: Engine, clock: Clock, zalo: SlowZalo) -> TokenKeeper:
    """Another process's keeper (or this one's after a restart) over the pair already stored."""
    keeper = TokenKeeper(db, Settings(_env_file=None), clock)  # type: ignore[call-arg]
    keeper._ask_zalo = zalo  # type: ignore[method-assign]
    return keeper


def _alerts(db: Engine) -> list[OutboxMessage]:
    with transaction(db) as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == 504)).all())


def test_a_token_zalo_refused_is_not_used_again_while_the_refresh_fails(db: Engine, clock: Clock) -> None:
    zalo = SlowZalo("Zalo error -14014")
    keeper = _keeper(db, clock, zalo, expires_in=timedelta(hours=20))
    assert keeper.access_token() == "AT-old"
    with pytest.raises(Transient):
        keeper.rejected("AT-old")
    with pytest.raises(Transient):
        keeper.access_token()
    assert len(zalo.asked) == 1
    clock.now += RETRY_AFTER_FAILURE  # a message waiting in the outbox tries again
    zalo.answer = NEW_PAIR
    assert keeper.access_token() == "AT-new" and len(zalo.asked) == 2, "the refused token is refreshed"

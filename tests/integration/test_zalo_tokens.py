"""The Zalo access token's refresh, on both engines: while Zalo's OAuth server is slow to answer,
no other chat's database work and no other Zalo message waits for it; a failed refresh is not
retried at every message, and a token that is still valid keeps serving meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.settings import Settings
from handlers.desk import Transient
from handlers.zalo.tokens import CHANNEL, RETRY_AFTER_FAILURE, TokenKeeper
from storage.db import transaction
from storage.models import ChannelToken, Subscriber

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NEW_PAIR = {"access_token": "AT-new", "refresh_token": "RT-new", "expires_in": "90000"}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class SlowZalo:
    """Stands in for Zalo's OAuth answer: counts the requests and, when `held`, answers only
    once released, as a slow server would."""

    def __init__(self, answer: dict[str, object] | str = NEW_PAIR, *, held: bool = False) -> None:
        self.answer = answer
        self.asked: list[str] = []
        self.asking = threading.Event()
        self.release = threading.Event()
        if not held:
            self.release.set()

    def __call__(self, refresh_token: str) -> dict[str, object] | str:
        self.asked.append(refresh_token)
        self.asking.set()
        assert self.release.wait(10), "the test never released the refresh"
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

"""Fixtures: a database on the chosen engine (`--db sqlite|postgresql`), the fake Bot API server,
and the real bot process talking to it."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, create_engine, text

from sandbox.botprocess import BotDidNotStart, BotProcess
from storage.db import make_engine, upgrade
from tests.support.people import Citizen
from sandbox.botapi import FakeBotAPI
from sandbox.postgres import PostgresServer, PostgresUnavailable


# Property tests (tests/unit/test_properties_*.py): a hundred random examples each while developing,
# a thousand in the README's full test command (`--hypothesis-profile=ci`, set by scripts/test),
# derandomized there so that a run's result depends on the code alone. No deadline: a busy
# machine must not fail a test that checks answers, never speed.
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("ci", max_examples=1000, deadline=None, database=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("dev")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", choices=("sqlite", "postgresql"), default="sqlite",
                     help="database engine the suite runs on (the README's test command runs both)")


@pytest.fixture(scope="session")
def database_backend(request: pytest.FixtureRequest) -> str:
    return request.config.getoption("--db")


@pytest.fixture(scope="session")
def postgres_url(database_backend: str) -> Iterator[str | None]:
    if database_backend != "postgresql":
        yield None
        return
    server = PostgresServer()
    try:
        url = server.start()
    except PostgresUnavailable as exc:
        server.stop()
        pytest.fail(str(exc), pytrace=False)
    yield url
    server.stop()


@pytest.fixture(scope="session")
def make_database_url(postgres_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Callable[[], str]:
    """A new, empty database each call, on the engine under test."""

    def make() -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        if postgres_url is None:
            return f"sqlite:///{tmp_path_factory.mktemp('db') / name}.db"
        admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return postgres_url.rsplit("/", 1)[0] + f"/{name}"

    return make


@pytest.fixture
def database_url(make_database_url: Callable[[], str]) -> str:
    return make_database_url()


@pytest.fixture
def migrated_db(database_url: str) -> Iterator[Engine]:
    """An engine on a new database with the schema of the last migration."""
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


class RunningBot:
    def __init__(self, fake: FakeBotAPI, process: BotProcess, database_url: str, data_dir: Path) -> None:
        self.fake = fake
        self.process = process
        self.database_url = database_url
        self.data_dir = data_dir


def start_bot(make_database_url: Callable[[], str], data_dir: Path, **settings: str) -> tuple[FakeBotAPI, BotProcess, str]:
    fake = FakeBotAPI()
    fake.start()
    url = make_database_url()
    # An album's merged reply waits this long after its last photo is handled; the next photo's
    # download and database step must fit in it, and on a loaded machine that can take over 0.7 s.
    process = BotProcess(fake, url, data_dir, album_wait_seconds="2", **settings)
    try:
        process.start()
    except BotDidNotStart:
        fake.stop()
        raise
    return fake, process, url


@pytest.fixture(scope="session")
def shared_bot(make_database_url: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    """One bot process for the whole session; each test talks to it from its own chat."""
    data_dir = tmp_path_factory.mktemp("bot")
    fake, process, url = start_bot(make_database_url, data_dir)
    yield RunningBot(fake, process, url, data_dir)
    process.stop()
    fake.stop()


_chat_ids = itertools.count(10_001)


@pytest.fixture
def bot(shared_bot: RunningBot) -> Iterator[RunningBot]:
    """The shared bot; the test fails if any request it caused broke the Bot API contract."""
    before = len(shared_bot.fake.violations)
    yield shared_bot
    new = shared_bot.fake.violations[before:]
    assert not new, "Bot API contract violations:\n" + "\n".join(new) + "\n\nbot log:\n" + shared_bot.process.log()[-4000:]


@pytest.fixture
def citizen(bot: RunningBot) -> Citizen:
    return Citizen(bot.fake, next(_chat_ids))


@pytest.fixture
def clean_contract(office: object) -> Iterator[None]:
    """For modules with their own `office`: the test fails if a request it caused broke the Bot API contract."""
    fake = office.fake  # type: ignore[attr-defined]
    before = len(fake.violations)
    yield
    new = fake.violations[before:]
    assert not new, "Bot API contract violations:\n" + "\n".join(new)

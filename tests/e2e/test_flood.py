"""No chat can slow or fill the service for the others, shown on the real bot process: a chat
that floods is turned away (one "please wait", its excess marked processed and never answered)
while another files a case, and a chat Telegram asks to wait (429) waits alone. Speed itself is
measured by `bench/flood.py`; here only what shows that one chat is not held behind another."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from handlers.flood import PLEASE_WAIT
from locales import get_translator
from sandbox.botapi import BotMessage
from storage.models import OTHER_CHANNEL_UPDATE_IDS
from tests.support.office import Office, running_office
from tests.support.walk import CATALOG, file_case, query
from tests.support.zalo import running_zalo_office

BUDGET = 20
FLOOD = 500
SLOW_SEND = 0.1
"""Seconds each message to the flooding chat is held by the fake: its BUDGET + 1 answers take two seconds."""
WAITING = get_translator("vi").gettext(PLEASE_WAIT)


@pytest.fixture(scope="module")
def office(make_database_url: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    with running_office(make_database_url, tmp_path_factory.mktemp("flood"),
                        chat_budget_updates=str(BUDGET), chat_budget_seconds="10") as office:
        yield office


def _homes(messages: list[BotMessage]) -> int:
    return sum("Nộp hồ sơ" in " ".join(m.button_labels()) for m in messages)


def test_a_flooding_chat_is_turned_away_once_while_another_files_a_case(office: Office, clean_contract: None) -> None:
    fake = office.fake
    flooding, filing = office.person(60_001), office.person(60_002)
    # Every answer to the flooding chat takes a while to deliver, so its lane is busy for seconds
    # whatever this machine's speed: a filing chat held behind that lane would be answered last.
    fake.slow_chat(flooding.chat_id, SLOW_SEND)
    flood_ids = [fake.send_text(flooding.chat_id, "/start") for _ in range(FLOOD)]
    # The filing chat's first update is queued behind the whole flood, as Telegram would order it.
    receipt = file_case(filing, CATALOG["chung-thuc-ban-sao"])
    assert "HS-" in receipt.text

    fake.wait_until(lambda: any(m.text == WAITING for m in flooding.messages), message=fake.transcript(60_001))
    fake.wait_until(lambda: _processed(office, flood_ids) == FLOOD, message="every update of the flood is marked")
    fake.wait_idle()
    answers = flooding.messages
    assert [m.text for m in answers].count(WAITING) == 1 and answers[-1].text == WAITING
    assert _homes(answers) == BUDGET and len(answers) == BUDGET + 1, "read what fit the budget, nothing twice"
    sends = [r for r in fake.requests if r.method == "sendMessage" and r.params.get("chat_id") == 60_001]
    assert len(sends) == BUDGET + 1, "the excess cost no message"

    # The filing chat was not held behind the flood: its first answer came before the bot was
    # through with the flooding chat's lane (the "please wait" follows its last answer there).
    waiting = next(m for m in answers if m.text == WAITING)
    assert filing.messages[0].message_id < waiting.message_id
    cases = query(office.database_url, "SELECT code FROM cases WHERE chat_id = :chat", chat=60_002)
    assert len(cases) == 1 and cases[0]["code"] in receipt.text
    assert not any(m.text == WAITING for m in filing.messages)
    assert fake.limit_violations == []


def test_a_chat_telegram_asks_to_wait_waits_alone(office: Office, clean_contract: None) -> None:
    fake = office.fake
    paused, other = office.person(61_001), office.person(61_002)
    paused.send("/start")
    other.send("/start")
    fake.flood_wait(paused.chat_id, 8)
    fake.send_text(paused.chat_id, "/start")
    fake.wait_until(lambda: any(r.status == 429 and r.params.get("chat_id") == paused.chat_id for r in fake.requests),
                    message="the paused chat's answer met the 429")
    answer = other.send("/start")
    assert len(paused.messages) == 1, "the paused chat's answer waits for Telegram's retry_after"
    late = fake.wait_for_messages(paused.chat_id, 2, timeout=30)[-1]
    assert answer.message_id < late.message_id and _homes(paused.messages) == 2
    fake.wait_idle()
    assert len(paused.messages) == 2, "sent once after the pause, not again"
    assert [v for v in fake.limit_violations if str(paused.chat_id) not in v] == []


def test_a_flooding_zalo_chat_is_turned_away_once_too(make_database_url: Callable[[], str],
                                                     tmp_path_factory: pytest.TempPathFactory) -> None:
    with running_zalo_office(make_database_url, tmp_path_factory.mktemp("zalo-flood"),
                             chat_budget_updates=str(BUDGET), chat_budget_seconds="10") as office:
        user = "246845883529190001"
        zalo = office.zalo
        zalo.follow(user)  # the first of the chat's updates
        sent = [zalo.send_text(user, "/start") for _ in range(2 * BUDGET)]
        zalo.wait_until(lambda: any(m.text == WAITING for m in zalo.messages(user)), message=zalo.transcript(user))
        zalo.wait_idle(timeout=30)
        texts = [m.text for m in zalo.messages(user)]
        assert texts.count(WAITING) == 1 and texts[-1] == WAITING, zalo.transcript(user)
        events = query(office.database_url, "SELECT COUNT(*) AS n FROM processed_updates WHERE update_id > :low",
                       low=OTHER_CHANNEL_UPDATE_IDS)
        assert int(events[0]["n"]) == 1 + len(sent), "every event, read or dropped, is marked processed"  # type: ignore[call-overload]
        assert zalo.violations == []


def _processed(office: Office, update_ids: list[int]) -> int:
    rows = query(office.database_url, "SELECT COUNT(*) AS n FROM processed_updates WHERE update_id BETWEEN :low AND :high",
                 low=min(update_ids), high=max(update_ids))
    return int(rows[0]["n"])  # type: ignore[call-overload]

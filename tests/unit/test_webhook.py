"""Telegram by webhook: the secret, the refusal of anything not from Telegram, and the answer only
once the update was handled; the settings of webhook mode and of the send budget."""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from telegram import Update
from telegram.ext import ApplicationBuilder

from bot.runtime.pacing import WINDOW, SendBudget
from bot.runtime.webhook import PATH, SECRET_HEADER, Receipts, TelegramWebhook, webhook_secret
from bot.settings import Settings, SettingsError, load_settings

TOKEN = "123456:TEST-TOKEN"
UPDATE = {"update_id": 5, "message": {"message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"},
                                      "from": {"id": 7, "is_bot": False, "first_name": "An"}, "text": "xin chào"}}


def test_the_secret_is_the_same_for_every_process_of_a_bot_and_fits_telegram_s_rules() -> None:
    secret = webhook_secret(TOKEN)
    assert secret == webhook_secret(TOKEN) != webhook_secret("654321:OTHER")
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret)
    assert "TEST-TOKEN" not in secret


async def _post(body: bytes, headers: dict[str, str], handle_after: float | None) -> tuple[int, bytes, list[str]]:
    """POST to the webhook route; a stand-in for the update processor marks the update handled
    `handle_after` seconds after it reaches the queue (never when None)."""
    application = ApplicationBuilder().token(TOKEN).updater(None).build()
    receipts = Receipts()
    webhook = TelegramWebhook(application, TOKEN, receipts)
    events: list[str] = []

    async def processor() -> None:
        update = await application.update_queue.get()
        events.append(f"queued {update.update_id}")
        if handle_after is not None:
            await asyncio.sleep(handle_after)
            events.append("handled")
            receipts.handled(update)

    asyncio.create_task(processor())
    app = Starlette(routes=[Route(PATH, webhook.handle, methods=["POST"])])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as client:
        response = await client.post(PATH, content=body, headers=headers)
    events.append("answered")
    return response.status_code, response.content, events


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "guess"}, {SECRET_HEADER: webhook_secret(TOKEN)[:-1]}])
def test_a_request_without_the_secret_gets_403_and_no_detail(headers: dict[str, str]) -> None:
    status, body, events = asyncio.run(_post(json.dumps(UPDATE).encode(), headers, 0))
    assert (status, body) == (403, b"") and events == ["answered"]


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", json.dumps({"message": {}}).encode()])
def test_a_malformed_update_is_refused(body: bytes) -> None:
    status, _, events = asyncio.run(_post(body, {SECRET_HEADER: webhook_secret(TOKEN)}, 0))
    assert status == 400 and events == ["answered"]


def test_telegram_is_answered_only_once_the_update_was_handled() -> None:
    status, _, events = asyncio.run(_post(json.dumps(UPDATE).encode(), {SECRET_HEADER: webhook_secret(TOKEN)}, 0.05))
    assert status == 200 and events == ["queued 5", "handled", "answered"]


def test_receipts_answer_every_request_of_an_update_delivered_twice() -> None:
    async def scenario() -> list[bool]:
        receipts = Receipts()
        first, second = receipts.expect(5), receipts.expect(5)
        receipts.handled(Update.de_json(UPDATE, None))
        return [first.done(), second.done()]

    assert asyncio.run(scenario()) == [True, True]


def test_webhook_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")  # no .env file
    for name in ("MOTCUA_WEBHOOK_URL", "MOTCUA_LISTEN", "MOTCUA_ZALO_APP_ID", "MOTCUA_SEND_RATE", "MOTCUA_TELEGRAM_API_URL"):
        monkeypatch.delenv(name, raising=False)
    polling = Settings()
    assert polling.webhook_url is None and not polling.serves_http and polling.listen_address == ("127.0.0.1", 8443)
    hooked = load_settings(webhook_url="https://motcua.example.vn/telegram/webhook", listen="127.0.0.1:8444")
    assert hooked.serves_http and hooked.listen_address == ("127.0.0.1", 8444)
    monkeypatch.setenv("MOTCUA_LISTEN", "0.0.0.0:9000")
    assert load_settings().serves_http, "an address alone serves /healthz and /metrics"
    with pytest.raises(SettingsError, match="MOTCUA_WEBHOOK_URL"):
        load_settings(webhook_url="motcua.example.vn/telegram/webhook")


def test_the_send_rate_stays_within_telegram_s_limit_unless_against_an_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")
    monkeypatch.delenv("MOTCUA_TELEGRAM_API_URL", raising=False)
    with pytest.raises(SettingsError, match="MOTCUA_SEND_RATE"):
        load_settings(send_rate=100)
    assert load_settings(send_rate=100, telegram_api_url="http://127.0.0.1:8081").send_rate == 100


class CountingWindow:
    def __init__(self) -> None:
        self.taken = 0

    async def take(self, *, paid: bool) -> None:
        self.taken += 1


def test_every_send_draws_on_the_budget_s_window_shared_or_not() -> None:
    async def scenario() -> tuple[int, set[int | str]]:
        window = CountingWindow()
        budget = SendBudget(25, shared=window)  # type: ignore[arg-type]
        await budget.slot(1, bulk=False)
        await budget.slot(2, bulk=True)
        return window.taken, budget.busy_chats()

    taken, busy = asyncio.run(scenario())
    assert taken == 2, "direct replies and outbox messages alike"
    assert busy == {1, 2}, "the outbox leaves a chat alone for a second after any message to it"
    assert WINDOW > 1.0, "a margin over Telegram's one second"


class FailingWindow:
    """The database's window fails once (a lost connection), then takes every send."""

    def __init__(self) -> None:
        self.failed = False

    async def take(self, *, paid: bool) -> None:
        if not self.failed:
            self.failed = True
            raise ConnectionError("the database went away")


def test_a_send_the_shared_window_refused_is_not_left_in_flight() -> None:
    async def scenario() -> int:
        budget = SendBudget(1, shared=FailingWindow())  # type: ignore[arg-type]
        with pytest.raises(ConnectionError):
            await budget.slot(1, bulk=False, until_ended=True)
        send = await asyncio.wait_for(budget.slot(2, bulk=False, until_ended=True), timeout=5)
        budget.ended(send)
        return len(budget.windows._all)

    assert asyncio.run(scenario()) == 1, "with a rate of 1, the failed send would have blocked every later one"

"""Requests without files go to Telegram as JSON bodies carrying what python-telegram-bot would
have form-encoded; requests with files stay multipart; timeouts and network failures behave as in
python-telegram-bot's own `HTTPXRequest`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import NetworkError, TimedOut

from bot.runtime.json_bodies import JsonBodies

TOKEN = "123:abc"
SENT = {"message_id": 7, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "x"}


def sent_through(answer: Callable[[httpx.Request], httpx.Response], call: Callable[[Bot], Any]) -> Any:
    async def run() -> Any:
        request = JsonBodies(connection_pool_size=1, read_timeout=5,
                             httpx_kwargs={"transport": httpx.MockTransport(answer)})
        bot = Bot(TOKEN, base_url="http://telegram.invalid/bot", request=request)
        await request.initialize()
        try:
            return await call(bot)
        finally:
            await request.shutdown()

    return asyncio.run(run())


def recorded(requests: list[httpx.Request]) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        request.read()
        requests.append(request)
        return httpx.Response(200, json={"ok": True, "result": SENT})
    return answer


def test_a_text_with_buttons_goes_as_json_with_the_same_parameters() -> None:
    requests: list[httpx.Request] = []
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Đăng ký khai sinh", callback_data="nav:apply")]])
    text = "Thủ tục cần: tờ khai, giấy chứng sinh & căn cước"
    sent = sent_through(recorded(requests),
                        lambda bot: bot.send_message(42, text, parse_mode="HTML", reply_markup=keyboard))
    assert sent.message_id == 7
    [request] = requests
    assert request.url.path == f"/bot{TOKEN}/sendMessage"
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.content)
    assert body["chat_id"] == "42" and body["text"] == text and body["parse_mode"] == "HTML"
    assert json.loads(body["reply_markup"]) == {
        "inline_keyboard": [[{"text": "Đăng ký khai sinh", "callback_data": "nav:apply"}]]}
    assert request.extensions["timeout"]["read"] == 5  # the request's own default


def test_a_timeout_the_caller_gives_is_kept() -> None:
    requests: list[httpx.Request] = []
    sent_through(recorded(requests), lambda bot: bot.send_message(42, "x", read_timeout=11, connect_timeout=None))
    timeout = requests[0].extensions["timeout"]
    assert timeout["read"] == 11 and timeout["connect"] is None


def test_a_file_still_goes_multipart() -> None:
    requests: list[httpx.Request] = []
    sent_through(recorded(requests), lambda bot: bot.send_document(42, InputFile(b"%PDF-1.4", filename="to_khai.pdf")))
    assert requests[0].headers["content-type"].startswith("multipart/form-data")


@pytest.mark.parametrize(("failure", "error", "words"), [
    (httpx.ConnectError("refused"), NetworkError, "httpx.ConnectError: refused"),
    (httpx.ReadTimeout("slow"), TimedOut, "Timed out"),
    (httpx.PoolTimeout("full"), TimedOut, "Pool timeout"),
])
def test_network_failures_are_python_telegram_bot_s_errors(failure: Exception, error: type[Exception],
                                                          words: str) -> None:
    def answer(_: httpx.Request) -> httpx.Response:
        raise failure

    with pytest.raises(error, match=words):
        sent_through(answer, lambda bot: bot.send_message(42, "x"))

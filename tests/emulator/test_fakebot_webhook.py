"""The fake Bot API's webhook side (sandbox/botapi/webhook.py): checked setWebhook, 409 for
getUpdates while a webhook is set, the secret header, one update of a chat at a time, retries."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from sandbox.botapi import FakeBotAPI

SECRET = "s3cret_-token"


class Receiver:
    """A webhook endpoint: records every POST; `answer` decides the status; `hold` blocks answers."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, Any], str | None]] = []
        self.statuses: list[int] = []
        self.hold = threading.Event()
        self.hold.set()
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver.cond:
                    receiver.received.append((body, self.headers.get("X-Telegram-Bot-Api-Secret-Token")))
                    receiver.cond.notify_all()
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.hold.wait(10)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/telegram/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 10) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.received) >= count, timeout), self.received

    def close(self) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


def call(api: FakeBotAPI, method: str, **params: Any) -> httpx.Response:
    data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return httpx.post(f"{api.url}/bot{api.token}/{method}", data=data, timeout=10)


def test_updates_are_posted_with_the_secret_and_polling_is_refused_meanwhile(api: FakeBotAPI,
                                                                             receiver: Receiver) -> None:
    assert call(api, "setWebhook", url=receiver.url, secret_token=SECRET,
                allowed_updates=["message", "callback_query"]).json()["result"] is True
    update_id = api.send_text(11, "xin chào")
    receiver.wait_for(1)
    (update, secret), = receiver.received
    assert update["update_id"] == update_id and update["message"]["text"] == "xin chào" and secret == SECRET
    api.wait_idle()
    polled = call(api, "getUpdates")
    assert polled.status_code == 409 and "webhook is active" in polled.json()["description"]
    info = call(api, "getWebhookInfo").json()["result"]
    assert info["url"] == receiver.url and info["pending_update_count"] == 0
    assert api.spec.check_object(info, "WebhookInfo") == []
    assert not api.violations


def test_a_chat_gets_its_next_update_only_once_the_previous_is_answered(api: FakeBotAPI,
                                                                        receiver: Receiver) -> None:
    call(api, "setWebhook", url=receiver.url)
    receiver.hold.clear()
    first = api.send_text(21, "một")
    api.send_text(21, "hai")
    other = api.send_text(22, "ba")
    receiver.wait_for(2)
    assert {body["update_id"] for body, _ in receiver.received} == {first, other}, "other chats go side by side"
    receiver.hold.set()
    receiver.wait_for(3)
    assert [body["message"]["text"] for body, _ in receiver.received if body["message"]["chat"]["id"] == 21] == \
        ["một", "hai"]


def test_a_failed_post_is_tried_again_and_the_chat_waits_behind_it(api: FakeBotAPI, receiver: Receiver) -> None:
    call(api, "setWebhook", url=receiver.url)
    receiver.statuses = [500, 502]
    first = api.send_text(31, "một")
    api.send_text(31, "hai")
    receiver.wait_for(4)
    ids = [body["update_id"] for body, _ in receiver.received]
    assert ids[:3] == [first, first, first] and ids[3] == first + 1
    deliveries = api.webhook_deliveries()
    assert [d.status for d in deliveries[:3]] == [500, 502, 200]
    assert call(api, "getWebhookInfo").json()["result"]["last_error_message"] == "Wrong response from the webhook: 502"


def test_deleting_the_webhook_returns_to_polling(api: FakeBotAPI) -> None:
    call(api, "setWebhook", url="http://127.0.0.1:9/telegram/webhook")  # nothing listens there
    waiting = api.send_text(41, "đợi")
    assert call(api, "deleteWebhook").json()["result"] is True
    assert api.webhook_url is None
    updates = call(api, "getUpdates").json()["result"]
    assert [u["update_id"] for u in updates] == [waiting], "what could not be delivered is kept for polling"


@pytest.mark.parametrize("params, problem", [
    ({"secret_token": "has space"}, "secret_token must be"),
    ({"max_connections": 0}, "max_connections must be 1-100"),
])
def test_set_webhook_is_checked(api: FakeBotAPI, params: dict[str, Any], problem: str) -> None:
    response = call(api, "setWebhook", url="https://example.org/telegram/webhook", **params)
    assert response.status_code == 400
    assert any(problem in violation for violation in api.violations)

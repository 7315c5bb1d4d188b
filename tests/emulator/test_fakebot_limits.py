"""Opt-in Telegram rate limits, blocked users and fault injection of the fake Bot API server
(sandbox/botapi), driven by plain HTTP: the harness of the broadcast tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from sandbox.botapi import FakeBotAPI

USERS = range(1001, 1041)  # 40 subscribers who started the bot earlier


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI(enforce_limits=True) as server:
        server.register_users(USERS)
        yield server


@pytest.fixture
def client(api: FakeBotAPI) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{api.url}/bot{api.token}/", timeout=30) as http:
        yield http


def send(client: httpx.Client, chat_id: int, text: str = "Thông báo", method: str = "sendMessage", **params: Any) -> httpx.Response:
    fields = {"chat_id": chat_id, "text": text, **params} if method == "sendMessage" else {"chat_id": chat_id, **params}
    return client.post(method, data={k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()})


def test_31st_message_within_a_second_is_429(api: FakeBotAPI, client: httpx.Client) -> None:
    started = time.monotonic()
    answers = [send(client, chat) for chat in list(USERS)[:31]]
    assert time.monotonic() - started < 0.9, "too slow to test the rolling window"
    assert [a.status_code for a in answers[:30]] == [200] * 30
    assert answers[30].status_code == 429
    body = answers[30].json()
    retry_after = body["parameters"]["retry_after"]
    assert isinstance(retry_after, int) and retry_after >= 1
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {retry_after}",
        "parameters": {"retry_after": retry_after},
    }
    [violation] = api.limit_violations
    assert "sendMessage to chat 1031" in violation and "more than 30 messages" in violation
    assert api.requests[-1].status == 429 and api.requests[-1].params["chat_id"] == 1031
    api.assert_no_violations()  # honouring 429 is correct behaviour, not a contract violation
    assert api.delivery_count == 30 and 1031 not in api.messages_per_chat()
    # Until retry_after has passed every send is refused, even to a chat that got nothing.
    early = send(client, 1032)
    assert early.status_code == 429 and "retry_after of an earlier 429" in api.limit_violations[-1]
    time.sleep(retry_after)
    assert send(client, 1031).status_code == 200
    assert api.messages_per_chat()[1031] == 1


def test_second_message_to_same_chat_within_a_second_is_429(api: FakeBotAPI, client: httpx.Client) -> None:
    assert send(client, 1001, "một").status_code == 200
    second = send(client, 1001, "hai")
    assert second.status_code == 429
    retry_after = second.json()["parameters"]["retry_after"]
    assert retry_after >= 1
    assert len(api.limit_violations) == 1 and "to the same chat" in api.limit_violations[0]
    assert send(client, 1002, "khác").status_code == 200  # other chats are not affected
    time.sleep(retry_after)
    assert send(client, 1001, "hai").status_code == 200
    assert [m.text for m in api.bot_messages(1001)] == ["một", "hai"]
    assert len(api.limit_violations) == 1
    api.assert_no_violations()


def test_album_counts_as_one_message_and_chat_action_is_free(api: FakeBotAPI, client: httpx.Client) -> None:
    media = [{"type": "photo", "media": "https://example.vn/a.jpg"}, {"type": "photo", "media": "https://example.vn/b.jpg"}]
    assert send(client, 1001, method="sendChatAction", action="typing").status_code == 200
    assert send(client, 1001, method="sendMediaGroup", media=media).status_code == 200
    assert send(client, 1001, method="sendMediaGroup", media=media).status_code == 429
    assert [(chat, method) for _, chat, method in api.delivery_log()] == [(1001, "sendMediaGroup")]
    assert api.messages_per_chat() == {1001: 2}  # two photos
    api.assert_no_violations()


def test_limits_are_off_by_default() -> None:
    with FakeBotAPI() as api, httpx.Client(base_url=f"{api.url}/bot{api.token}/") as client:
        assert not api.limits_enforced
        api.register_users(USERS)
        answers = [send(client, chat) for chat in USERS] + [send(client, 1001) for _ in range(3)]
        assert {a.status_code for a in answers} == {200}
        assert api.limit_violations == [] and api.delivery_count == 43
        assert api.peak_rate() == 43
        api.enforce_limits()
        assert api.limits_enforced
        assert send(client, 1002).status_code == 429  # the rolling window includes earlier sends
        api.enforce_limits(False)
        assert send(client, 1002).status_code == 200
        api.assert_no_violations()


def test_configurable_limits(api: FakeBotAPI, client: httpx.Client) -> None:
    api.enforce_limits(per_second=3, per_chat_per_second=2)
    assert [send(client, chat).status_code for chat in (1001, 1001, 1001)] == [200, 200, 429]
    assert "more than 2 message(s)" in api.limit_violations[0]


def test_paid_broadcast_sends_have_the_higher_limit(api: FakeBotAPI, client: httpx.Client) -> None:
    """`allow_paid_broadcast`: up to 1000 a second instead of 30 (a lower figure here, so that
    the test need not send a thousand); free sends keep their 30, paid ones count toward the total."""
    api.enforce_limits(paid_per_second=38)
    started = time.monotonic()
    paid = [send(client, chat, allow_paid_broadcast=True) for chat in USERS]
    assert time.monotonic() - started < 0.9, "too slow to test the rolling window"
    assert [a.status_code for a in paid] == [200] * 38 + [429] * 2
    assert "more than 38 messages" in api.limit_violations[0] and "paid broadcast" in api.limit_violations[0]
    assert api.delivery_count == 38 and api.peak_rate() == 38
    assert api.requests[0].params["allow_paid_broadcast"] is True
    api.assert_no_violations()


def test_free_sends_keep_their_30_beside_paid_ones(api: FakeBotAPI, client: httpx.Client) -> None:
    started = time.monotonic()
    answers = [send(client, chat, allow_paid_broadcast=True) for chat in list(USERS)[:20]]
    answers += [send(client, chat) for chat in list(USERS)[20:]]
    assert time.monotonic() - started < 0.9, "too slow to test the rolling window"
    assert {a.status_code for a in answers} == {200}, "20 paid and 20 free: each within its limit"
    api.register_users(range(2001, 2012))
    assert [send(client, chat).status_code for chat in range(2001, 2012)] == [200] * 10 + [429]
    assert "more than 30 messages" in api.limit_violations[0]
    assert send(client, 2011, allow_paid_broadcast=True).status_code == 200, "a paid send ignores the free limit"
    api.assert_no_violations()


def test_well_paced_broadcast_has_no_limit_violations(api: FakeBotAPI, client: httpx.Client) -> None:
    subscribers = range(2001, 2051)
    api.register_users(subscribers)
    interval = 1 / 25
    for chat in subscribers:
        started = time.monotonic()
        assert send(client, chat, "Lịch nghỉ lễ 2/9").status_code == 200
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
    assert api.limit_violations == []
    assert api.messages_per_chat(contains="nghỉ lễ") == {chat: 1 for chat in subscribers}
    log = api.delivery_log()
    assert [chat for _, chat, _ in log] == list(subscribers) and {method for _, _, method in log} == {"sendMessage"}
    assert 10 <= api.peak_rate() <= 30
    assert 10 <= (len(log) - 1) / (log[-1][0] - log[0][0]) <= 30


def test_blocked_chat_gets_403(api: FakeBotAPI, client: httpx.Client) -> None:
    api.block_chat(1005)
    answer = send(client, 1005)
    assert answer.status_code == 403
    assert answer.json() == {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
    assert api.requests[-1].status == 403 and api.requests[-1].params["chat_id"] == 1005
    api.assert_no_violations()
    assert api.limit_violations == [] and api.bot_messages(1005) == []
    api.block_chat(4_000_000)  # blocking implies the user had started the bot
    assert send(client, 4_000_000).status_code == 403
    api.unblock_chat(1005)
    time.sleep(1)
    assert send(client, 1005).status_code == 200
    api.assert_no_violations()


def test_fail_next_gives_5xx_then_normal(api: FakeBotAPI, client: httpx.Client) -> None:
    api.fail_next(2)
    api.fail_next(1, status=503, method="sendPhoto")
    first = send(client, 1001)
    assert first.status_code == 502
    assert first.json() == {"ok": False, "error_code": 502, "description": "Bad Gateway"}
    assert client.get("getUpdates").status_code == 200  # getUpdates is spared unless named
    assert send(client, 1001).status_code == 502  # not carried out, so no per-chat limit either
    assert send(client, 1001).status_code == 200
    assert api.bot_messages(1001)[0].text == "Thông báo" and len(api.bot_messages(1001)) == 1
    photo = send(client, 1002, method="sendPhoto", photo="https://example.vn/a.jpg")
    assert photo.status_code == 503 and photo.json()["description"] == "Service Unavailable"
    assert [r.status for r in api.requests] == [502, 200, 502, 200, 503]
    assert api.requests[0].params["chat_id"] == "1001"  # recorded as received (not decoded)
    api.fail_next(1, method="getUpdates")
    assert client.get("getUpdates").status_code == 502
    api.assert_no_violations()
    assert api.limit_violations == []
    with pytest.raises(ValueError):
        api.fail_next(1, status=429)


def test_delay_next_delays_and_still_delivers(api: FakeBotAPI) -> None:
    api.delay_next(1, 0.6, method="sendMessage")
    with httpx.Client(base_url=f"{api.url}/bot{api.token}/", timeout=0.2) as impatient:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            send(impatient, 1001, "chậm")
        assert time.monotonic() - started < 0.5
    # The request is carried out after the delay although the client gave up.
    api.wait_for_messages(1001, 1, timeout=5)
    with httpx.Client(base_url=f"{api.url}/bot{api.token}/") as client:
        api.delay_next(1, 0.4)
        started = time.monotonic()
        assert client.get("getMe").status_code == 200
        assert time.monotonic() - started >= 0.4
        started = time.monotonic()
        assert client.get("getMe").status_code == 200  # only the next one
        assert time.monotonic() - started < 0.3
    api.assert_no_violations()


def test_slow_chat_holds_only_that_chats_messages(api: FakeBotAPI, client: httpx.Client) -> None:
    api.enforce_limits(False)
    api.slow_chat(1001, 0.5)
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        slow = pool.submit(send, client, 1001, "chậm")
        api.wait_until(lambda: api._inflight == 1, timeout=5)
        fast = send(client, 1002, "nhanh")
        assert slow.result().status_code == 200 and time.monotonic() - started >= 0.5
    assert fast.json()["result"]["message_id"] < slow.result().json()["result"]["message_id"]
    api.assert_no_violations()


def test_a_send_held_for_a_slow_chat_is_let_through_when_the_chat_is_fast_again(
        api: FakeBotAPI, client: httpx.Client) -> None:
    api.enforce_limits(False)
    api.slow_chat(1001, 60)
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(send, client, 1001, "chậm")
        api.wait_until(lambda: api.held_sends(1001) == 1, timeout=5)
        assert not api.bot_messages(1001), "carried out while held"
        api.slow_chat(1001, 0)
        assert slow.result(timeout=5).status_code == 200
    assert api.held_sends(1001) == 0 and [m.text for m in api.bot_messages(1001)] == ["chậm"]
    api.assert_no_violations()


def test_delayed_request_does_not_block_stop() -> None:
    api = FakeBotAPI()
    api.start()
    api.delay_next(1, 30)
    thread = threading.Thread(target=lambda: httpx.get(f"{api.url}/bot{api.token}/getMe", timeout=40))
    thread.start()
    api.wait_until(lambda: api._inflight == 1, timeout=5)
    started = time.monotonic()
    api.stop()
    thread.join(5)
    assert time.monotonic() - started < 5 and not thread.is_alive()


def test_messages_per_chat_counts(api: FakeBotAPI, client: httpx.Client) -> None:
    api.enforce_limits(False)
    for chat, text in [(1001, "Thông báo A"), (1001, "Thông báo B"), (1002, "Thông báo A"), (1003, "Khác")]:
        assert send(client, chat, text).status_code == 200
    assert send(client, 1003, method="sendPhoto", photo="https://example.vn/a.jpg", caption="Thông báo A").status_code == 200
    assert api.messages_per_chat() == {1001: 2, 1002: 1, 1003: 2}
    assert api.messages_per_chat(contains="Thông báo A") == {1001: 1, 1002: 1, 1003: 1}
    assert api.messages_per_chat(contains="không có") == {}


def test_register_users_allows_sends_without_violations() -> None:
    with FakeBotAPI() as api, httpx.Client(base_url=f"{api.url}/bot{api.token}/") as client:
        assert send(client, 50_001).status_code == 403  # never wrote: a contract violation
        assert api.violations == ["sendMessage: chat 50001 never wrote to the bot"]
        api.reset_violations()
        api.register_users(range(50_001, 53_001))
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda chat: send(client, chat), range(50_001, 53_001)))
        assert {a.status_code for a in answers} == {200}
        api.assert_no_violations()
        assert api.messages_per_chat(contains="Thông báo") == {chat: 1 for chat in range(50_001, 53_001)}
        assert api.bot_messages(52_000)[0].raw["chat"] == {"id": 52_000, "type": "private", "first_name": "Test"}
        api.wait_idle(quiet=0.1)  # nothing was queued for the bot to poll
    with pytest.raises(ValueError):
        api.register_users([1, -5])

"""Tests of the fake Zalo OA itself (sandbox/zaloapi), driven over real HTTP with httpx and a small
stand-in webhook, so the harness can be trusted by the bot's Zalo e2e tests. Signatures are
checked here with hashlib and the documented formula, not with the fake's own helper."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from sandbox.zaloapi import FakeZaloOA, ZaloMessage, pkce_challenge

APP_ID = "3608465249012345678"
OA_ID = "388613280878808645"
OA_SECRET = "oa-secret"
APP_SECRET = "app-secret"
USER = "2468458835296197922"
OTHER = "5512523625412515001"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00JFIF--boundary\r\n\r\n\xff" * 40
PDF = b"%PDF-1.4\r\n--x\r\n" * 30
# One client for the module: httpx.post() builds a new client (and SSL context) on every call.
HTTP = httpx.Client(timeout=10)
BUTTONS = [
    {"title": "Nộp hồ sơ", "type": "oa.query.hide", "payload": "#nop"},
    {"title": "Tra cứu", "type": "oa.query.show", "payload": "#tra"},
]


class Webhook:
    """A stand-in for the bot's webhook: records the raw body and headers of every POST, answers
    `status` after `delay` seconds, and calls `on_event(event)` in the background if set."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.status = 200
        self.delay = 0.0
        self.on_event: Callable[[dict[str, Any]], None] | None = None
        hook = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hook.received.append((body, dict(self.headers.items())))
                if hook.on_event is not None:
                    threading.Thread(target=hook.on_event, args=(json.loads(body),), daemon=True).start()
                time.sleep(hook.delay)
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/zalo/webhook"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body, _ in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


@pytest.fixture
def fake(webhook: Webhook) -> Iterator[FakeZaloOA]:
    server = FakeZaloOA(
        app_id=APP_ID, oa_id=OA_ID, oa_secret_key=OA_SECRET, app_secret=APP_SECRET,
        access_token="AT-1", refresh_token="RT-1", token_lifetime=90000.0,
    )  # fmt: skip
    server.webhook_url = webhook.url
    with server:
        yield server


def api(fake: FakeZaloOA, path: str, body: Any = None, *, token: str | None = None, method: str = "POST", **kwargs: Any) -> dict[str, Any]:
    """Call the fake's openapi side like the bot would: JSON body, `access_token` header."""
    headers = {"access_token": token if token is not None else fake.access_token, **kwargs.pop("headers", {})}
    if body is not None:
        kwargs["json"] = body
    response = HTTP.request(method, fake.url + path, headers=headers, timeout=10, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def send(fake: FakeZaloOA, message: dict[str, Any], user_id: str = USER, **kwargs: Any) -> dict[str, Any]:
    return api(fake, "/v3.0/oa/message/cs", {"recipient": {"user_id": user_id}, "message": message}, **kwargs)


def ok(answer: dict[str, Any]) -> dict[str, Any]:
    assert answer["error"] == 0 and answer["message"] == "Success", answer
    return answer["data"]


def refresh(fake: FakeZaloOA, refresh_token: str, *, secret: str = APP_SECRET, app_id: str = APP_ID, grant: str = "refresh_token") -> dict[str, Any]:
    response = HTTP.post(
        fake.url + "/v4/oa/access_token",
        data={"refresh_token": refresh_token, "app_id": app_id, "grant_type": grant},
        headers={"secret_key": secret},
    )
    assert response.status_code == 200
    return response.json()


def mac(body: bytes, timestamp: str, app_id: str = APP_ID, secret: str = OA_SECRET) -> str:
    """The documented formula (§2.1), written out independently of the fake."""
    return "mac=" + hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode()).hexdigest()


def upload(fake: FakeZaloOA, kind: str, name: str, content: bytes, mime: str, *, field: str = "file") -> dict[str, Any]:
    response = HTTP.post(
        f"{fake.url}/v2.0/oa/upload/{kind}", files={field: (name, content, mime)}, headers={"access_token": fake.access_token}
    )
    assert response.status_code == 200
    return response.json()


def only_violation(fake: FakeZaloOA, expected: str) -> None:
    assert len(fake.violations) == 1 and expected in fake.violations[0], fake.violations
    fake.reset_violations()


# ------------------------------------------------------------------ webhook events
def test_text_event_is_built_and_signed_as_zalo_does(fake: FakeZaloOA, webhook: Webhook) -> None:
    assert fake.send_text(USER, "Xin chào, tôi muốn làm giấy khai sinh 😀") == 200
    [(body, headers)] = webhook.received
    event = json.loads(body)
    assert list(event) == ["app_id", "sender", "user_id_by_app", "recipient", "event_name", "message", "timestamp"]
    assert event["app_id"] == APP_ID and event["sender"] == {"id": USER} and event["recipient"] == {"id": OA_ID}
    assert event["event_name"] == "user_send_text" and event["message"]["text"] == "Xin chào, tôi muốn làm giấy khai sinh 😀"
    assert re.fullmatch(r"[0-9a-f]{20}", event["message"]["msg_id"])
    assert re.fullmatch(r"[0-9]{13}", event["timestamp"]) and abs(int(event["timestamp"]) / 1000 - time.time()) < 5
    assert re.fullmatch(r"[0-9]{18}", event["user_id_by_app"]) and event["user_id_by_app"] != USER
    assert headers["Content-Type"] == "application/json"
    assert headers["X-ZEvent-Signature"] == mac(body, event["timestamp"])
    # The raw bytes are compact UTF-8: re-serializing the parsed JSON changes them and breaks the MAC.
    assert "Xin chào".encode() in body and b'","' in body
    assert mac(json.dumps(event).encode(), event["timestamp"]) != headers["X-ZEvent-Signature"]
    assert "num_retry" not in headers
    fake.assert_no_violations()


def test_follow_and_unfollow_are_flat(fake: FakeZaloOA, webhook: Webhook) -> None:
    fake.follow(USER)
    fake.unfollow(USER)
    follow, unfollow = webhook.events()
    assert follow == {
        "oa_id": OA_ID, "follower": {"id": USER}, "user_id_by_app": follow["user_id_by_app"], "event_name": "follow",
        "source": "oa_profile", "app_id": APP_ID, "timestamp": follow["timestamp"],
    }  # fmt: skip
    assert unfollow["event_name"] == "unfollow" and "sender" not in unfollow
    assert int(unfollow["timestamp"]) > int(follow["timestamp"])
    for body, headers in webhook.received:
        assert headers["X-ZEvent-Signature"] == mac(body, json.loads(body)["timestamp"])
    assert fake.followers == [] and [u.user_id for u in fake.users()] == [USER]
    fake.follow(OTHER)
    assert fake.followers == [OTHER]


def test_image_event_serves_the_bytes(fake: FakeZaloOA, webhook: Webhook) -> None:
    fake.send_image(USER, JPEG, caption="mặt trước CCCD")
    [event] = webhook.events()
    assert event["event_name"] == "user_send_image" and event["message"]["text"] == "mặt trước CCCD"
    [attachment] = event["message"]["attachments"]
    assert attachment["type"] == "image" and set(attachment["payload"]) == {"url", "thumbnail"}
    assert re.fullmatch(re.escape(fake.url) + r"/files/[\w-]+", attachment["payload"]["url"])
    download = HTTP.get(attachment["payload"]["url"])
    assert download.status_code == 200 and download.content == JPEG and download.headers["content-type"] == "image/jpeg"
    assert HTTP.get(fake.url + "/files/nope").status_code == 404
    assert "attachments" not in event and "text" not in json.loads(webhook.received[0][0])["message"]["attachments"][0]


def test_file_event_payload(fake: FakeZaloOA, webhook: Webhook) -> None:
    fake.send_file(USER, PDF, "Tờ khai.pdf", "application/pdf")
    payload = webhook.events()[0]["message"]["attachments"][0]["payload"]
    assert webhook.events()[0]["event_name"] == "user_send_file"
    assert payload["size"] == str(len(PDF)) and payload["name"] == "Tờ khai.pdf" and payload["type"] == "pdf"
    assert payload["checksum"] == hashlib.md5(PDF).hexdigest()
    assert HTTP.get(payload["url"]).content == PDF
    assert fake.requests[-1].path.startswith("/files/") and fake.requests[-1].error == 0


def test_other_user_events(fake: FakeZaloOA, webhook: Webhook) -> None:
    fake.send_sticker(USER)
    fake.send_location(USER, 10.7642473, 106.6562, text="UBND xã")
    fake.send_link(USER, "https://dichvucong.gov.vn", description="Cổng DVC")
    fake.send_event_named(USER, "user_send_audio", attachments=[{"type": "audio", "payload": {"url": "https://x.vn/a.amr"}}])
    sticker, location, link, audio = webhook.events()
    assert set(sticker["message"]["attachments"][0]["payload"]) == {"id", "url"}
    assert HTTP.get(sticker["message"]["attachments"][0]["payload"]["url"]).content.startswith(b"\x89PNG")
    assert location["message"]["attachments"][0]["payload"] == {"coordinates": {"latitude": "10.7642473", "longitude": "106.6562"}}
    assert location["message"]["text"] == "UBND xã"
    assert link["message"]["attachments"][0] == {
        "type": "link", "payload": {"url": "https://dichvucong.gov.vn", "description": "Cổng DVC", "thumbnail": ""},
    }  # fmt: skip
    assert audio["event_name"] == "user_send_audio" and re.fullmatch(r"[0-9a-f]{20}", audio["message"]["msg_id"])
    assert len({e["message"]["msg_id"] for e in webhook.events()}) == 4


def test_submit_info_chatnow_and_receipts(fake: FakeZaloOA, webhook: Webhook) -> None:
    fake.add_user(USER, last_interaction_ago=None)  # a follower who never interacted
    fake.click_chatnow(USER)
    fake.submit_info(USER, name="Nguyễn Văn A", phone="84912345678", address="Thôn 1", city="Hà Tĩnh", ward="Xã X")
    [sent] = [ok(send(fake, {"text": "Đã nhận"}))["message_id"]]
    fake.received(USER, sent)
    fake.seen(USER)
    chatnow, info, received, seen = webhook.events()
    assert chatnow == {"app_id": APP_ID, "oa_id": OA_ID, "user_id": USER, "event_name": "user_click_chatnow", "timestamp": chatnow["timestamp"]}
    assert info["info"]["phone"] == "84912345678" and info["info"]["full_address"]["user_city"] == "Hà Tĩnh"
    assert received["sender"] == {"id": OA_ID} and received["recipient"] == {"id": USER} and received["message"] == {"msg_id": sent}
    assert seen["event_name"] == "user_seen_message" and seen["message"] == {"msg_ids": [sent]}
    detail = ok(api(fake, "/v3.0/oa/user/detail", method="GET", params={"data": json.dumps({"user_id": USER})}))
    assert detail["shared_info"]["name"] == "Nguyễn Văn A"
    fake.assert_no_violations()


def test_tap_sends_the_payload_as_user_send_text(fake: FakeZaloOA, webhook: Webhook) -> None:
    fake.follow(USER)
    with pytest.raises(AssertionError, match="no query button with payload '#nop'"):
        fake.tap(USER, "#nop")
    ok(send(fake, {"text": "Bạn cần gì?", "attachment": {"type": "template", "payload": {"buttons": BUTTONS}}}))
    [message] = fake.messages(USER)
    assert fake.tap(USER, message.payload("Nộp")) == 200
    tap = webhook.events()[-1]
    assert tap["event_name"] == "user_send_text" and tap["message"]["text"] == "#nop" and "msg_id" in tap["message"]
    assert "tapped 'Nộp hồ sơ' (oa.query.hide) -> '#nop' -> HTTP 200" in fake.transcript(USER)


def test_forged_and_unsigned_events_change_nothing(fake: FakeZaloOA, webhook: Webhook) -> None:
    event = fake.make_event(USER, "user_send_text", {"text": "giả mạo"})
    assert fake.send_event(event, sign=False) == 200
    assert fake.send_event(event, signature="mac=" + "0" * 64) == 200
    (_, unsigned), (_, forged) = webhook.received
    assert "X-ZEvent-Signature" not in unsigned and forged["X-ZEvent-Signature"] == "mac=" + "0" * 64
    assert [d.genuine for d in fake.deliveries] == [False, False]
    # Zalo never saw this user write: a reply is refused as to an unknown user.
    assert send(fake, {"text": "hi"})["error"] == -201
    only_violation(fake, "not a user of this OA")
    assert "[unsigned]" in fake.transcript(USER) and "[bad signature]" in fake.transcript(USER)


def test_stale_event_and_exact_replay(fake: FakeZaloOA, webhook: Webhook) -> None:
    old = int(time.time() * 1000) - 3 * 3600 * 1000
    event = fake.make_event(USER, "user_send_text", {"text": "gửi lại"}, timestamp=old)
    assert fake.send_event(event) == 200
    body, headers = fake.last_event(USER)
    assert json.loads(body)["timestamp"] == str(old) and headers["X-ZEvent-Signature"] == mac(body, str(old))
    assert fake.post_raw(body, headers) == 200
    assert webhook.received[0] == webhook.received[1] or (webhook.received[0][0] == webhook.received[1][0])
    assert webhook.received[1][1]["X-ZEvent-Signature"] == headers["X-ZEvent-Signature"]
    # A stale but genuine event still counts as Zalo's: the user is known, within the window.
    ok(send(fake, {"text": "Đã nhận"}))
    with pytest.raises(AssertionError, match="no event was sent"):
        fake.last_event(OTHER)


def test_failed_genuine_delivery_is_a_violation_and_retried(fake: FakeZaloOA, webhook: Webhook) -> None:
    webhook.status = 500
    fake.retry_delays = (0.05, 0.05)
    assert fake.send_text(USER, "alo") == 500
    fake.wait_idle(quiet=0.1, timeout=5)
    assert len(webhook.received) == 3
    assert {body for body, _ in webhook.received} == {webhook.received[0][0]}
    assert [h.get("num_retry") for _, h in webhook.received] == [None, "1", "2"]
    assert len(fake.violations) == 3 and "HTTP 500" in fake.violations[0]
    assert "HTTP 500, HTTP 500 (retry 1), HTTP 500 (retry 2)" in fake.transcript(USER)


def test_slow_webhook_is_a_violation(fake: FakeZaloOA, webhook: Webhook) -> None:
    fake.ack_deadline = 0.1
    webhook.delay = 0.25
    assert fake.send_text(USER, "alo") == 200
    only_violation(fake, "counts a delivery as failed after 0.1s")


def test_unreachable_webhook_answers_zero(fake: FakeZaloOA) -> None:
    fake.webhook_url = "http://127.0.0.1:9/zalo"
    assert fake.send_text(USER, "alo") == 0
    assert fake.deliveries[-1].error and fake.violations == []
    fake.webhook_url = None
    with pytest.raises(RuntimeError, match="webhook_url"):
        fake.send_text(USER, "alo")


def test_echo_of_api_sends(fake: FakeZaloOA, webhook: Webhook) -> None:
    fake.echo_sends = True
    fake.follow(USER)
    message_id = ok(send(fake, {"text": "Chào bạn"}))["message_id"]
    fake.wait_idle(quiet=0.1, timeout=5)
    echo = webhook.events()[-1]
    assert echo["event_name"] == "oa_send_text" and echo["sender"] == {"id": OA_ID} and echo["recipient"] == {"id": USER}
    assert echo["message"] == {"msg_id": message_id, "text": "Chào bạn"}


# ---------------------------------------------------------------------- sending
def test_send_text_answer_and_records(fake: FakeZaloOA) -> None:
    fake.follow(USER)
    response = HTTP.post(
        fake.url + "/v3.0/oa/message/cs", json={"recipient": {"user_id": USER}, "message": {"text": "Chào bạn"}},
        headers={"access_token": "AT-1"},
    )  # fmt: skip
    assert response.status_code == 200 and response.headers["X-RateLimit-Limit"] == "4000"
    assert response.headers["X-RateLimit-Remain"] == "3999"
    data = ok(response.json())
    assert set(data) == {"message_id", "user_id", "sent_time"} and data["user_id"] == USER
    assert re.fullmatch(r"[0-9a-f]{20}", data["message_id"]) and re.fullmatch(r"[0-9]{13}", data["sent_time"])
    [message] = fake.messages(USER)
    assert (message.kind, message.text, message.message_id, message.buttons, message.billed) == ("text", "Chào bạn", data["message_id"], [], False)
    transcript = fake.transcript(USER)
    assert transcript.index("> follow") < transcript.index("'Chào bạn'")
    assert fake.requests[-1].params == {"recipient": {"user_id": USER}, "message": {"text": "Chào bạn"}}
    assert fake.requests[-1].headers["access_token"] == "AT-1"
    fake.assert_no_violations()


def test_text_limit_counts_utf16_units(fake: FakeZaloOA) -> None:
    fake.follow(USER)
    ok(send(fake, {"text": "ạ" * 2000}))
    ok(send(fake, {"text": "😀" * 1000}))
    assert send(fake, {"text": "a" * 2001}) == {"error": -210, "message": "Parameter exceeds allowable limit"}
    only_violation(fake, "2001 characters (max 2000)")
    assert send(fake, {"text": "😀" * 1001})["error"] == -210
    only_violation(fake, "2002 characters")
    assert len(fake.messages(USER)) == 2
    assert "send refused: -210" in fake.transcript(USER)


def _button(**overrides: Any) -> dict[str, Any]:
    return {"title": "Nộp", "type": "oa.query.hide", "payload": "#nop", **overrides}


def _buttons_message(buttons: list[Any], **payload: Any) -> dict[str, Any]:
    return {"text": "Chọn", "attachment": {"type": "template", "payload": {"buttons": buttons, **payload}}}


def _media(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "template", "payload": {"template_type": "media", "elements": list(elements)}}


@pytest.mark.parametrize(
    ("message", "code", "expected"),
    [
        ({}, -201, "neither text nor attachment"),
        ({"text": "   "}, -201, "non-empty string"),
        ({"text": 5}, -201, "non-empty string"),
        ({"text": "hi", "attachments": [{}]}, -201, "exactly one `attachment`"),
        ({"text": "hi", "colour": "red"}, -201, "unknown field(s) ['colour']"),
        (_buttons_message([_button()] * 6), -201, "1-5 buttons"),
        (_buttons_message([]), -201, "1-5 buttons"),
        (_buttons_message([_button(title="x" * 101)]), -210, "101 characters (max 100)"),
        (_buttons_message([_button(payload="p" * 1001)]), -210, "1001 characters (max 1000)"),
        (_buttons_message([_button(payload={"text": "#nop"})]), -201, "payload (oa.query.hide) must be a non-empty string"),
        (_buttons_message([_button(type="postback")]), -201, "type must be one of"),
        (_buttons_message([_button(type="oa.open.url", payload="https://x.vn")]), -201, "must be a JSON object"),
        (_buttons_message([_button(type="oa.open.url", payload={"url": "x.vn"})]), -201, "http(s) URL"),
        (_buttons_message([_button(type="oa.open.phone", payload={"phone_code": "call me"})]), -201, "phone number"),
        (_buttons_message([_button(callback_data="x")]), -201, "unknown field(s) ['callback_data']"),
        (_buttons_message([_button()], template_type="list"), -233, "not a consultation message"),
        (_buttons_message([_button()], template_type="generic"), -201, "no template_type or 'button'"),
        ({"attachment": {"type": "template", "payload": {"buttons": [_button()]}}}, -201, "without message.text"),
        ({"attachment": _media({"media_type": "image", "url": "https://x.vn/a.jpg"}, {"media_type": "image", "url": "https://x.vn/b.jpg"})}, -201, "exactly one element"),
        ({"attachment": _media({"media_type": "image", "url": "https://x.vn/a.jpg", "attachment_id": "abc"})}, -201, "exactly one of them"),
        ({"attachment": _media({"media_type": "image"})}, -201, "exactly one of them"),
        ({"attachment": _media({"media_type": "gif", "attachment_id": "abc"})}, -201, "width and height"),
        ({"attachment": _media({"media_type": "video", "url": "https://x.vn/a.mp4"})}, -201, "image, gif or sticker"),
        ({"attachment": _media({"media_type": "image", "url": "https://x.vn/a.jpg", "width": "100"})}, -201, "positive integer"),
        ({"text": "kèm", "attachment": {"type": "file", "payload": {"token": "abc"}}}, -201, "text together with a file"),
        ({"attachment": {"type": "file", "payload": {"attachment_id": "abc"}}}, -201, "unknown field(s) ['attachment_id']"),
        ({"attachment": {"type": "video", "payload": {}}}, -233, "'template' or 'file'"),
        ({"attachment": {"type": "template", "payload": {"template_type": "transaction_order", "elements": []}}}, -233, "discontinued"),
        (
            {"attachment": {"type": "template", "payload": {"template_type": "request_user_info", "elements": [{"title": "t" * 101, "subtitle": "s"}]}}},
            -210,
            "101 characters (max 100)",
        ),
        (
            {"attachment": {"type": "template", "payload": {"template_type": "request_user_info", "elements": [{"title": "t", "subtitle": "s" * 501}]}}},
            -210,
            "501 characters (max 500)",
        ),
    ],
)
def test_message_shape_violations(fake: FakeZaloOA, message: dict[str, Any], code: int, expected: str) -> None:
    fake.follow(USER)
    answer = send(fake, message)
    assert answer["error"] == code and "data" not in answer, answer
    only_violation(fake, expected)
    assert fake.messages(USER) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"message": {"text": "hi"}}, "missing recipient"),
        ({"recipient": {"user_id": int(USER)}, "message": {"text": "hi"}}, "string of digits"),
        ({"recipient": {"message_id": "abc"}, "message": {"text": "hi"}}, "v2 reply form"),
        ({"recipient": {"user_id": USER}}, "missing message"),
        ({"recipient": {"user_id": USER}, "message": {"text": "hi"}, "sender_action": {}}, "unknown field(s) ['sender_action']"),
        ([{"recipient": {"user_id": USER}}], "must be a JSON object"),
    ],
)
def test_envelope_violations(fake: FakeZaloOA, body: Any, expected: str) -> None:
    fake.follow(USER)
    assert api(fake, "/v3.0/oa/message/cs", body)["error"] == -201
    only_violation(fake, expected)


def test_non_json_body_is_refused(fake: FakeZaloOA) -> None:
    fake.follow(USER)
    answer = api(fake, "/v3.0/oa/message/cs", data={"recipient": USER, "text": "hi"})
    assert answer == {"error": -201, "message": "body is invalid!"}
    only_violation(fake, "takes a JSON body")


def test_buttons_and_other_templates_accepted(fake: FakeZaloOA) -> None:
    fake.follow(USER)
    every_type = [
        *BUTTONS,
        {"title": "Cổng DVC", "type": "oa.open.url", "payload": {"url": "https://dichvucong.gov.vn"}, "url": "https://dichvucong.gov.vn"},
        {"title": "Gọi xã", "type": "oa.open.phone", "payload": {"phone_code": "84912345678"}},
        {"title": "SMS", "type": "oa.open.sms", "payload": {"phone_code": "84912345678", "content": "HS 123"}},
    ]
    ok(send(fake, _buttons_message(every_type)))
    ok(send(fake, _buttons_message([_button(title="x" * 100, payload="p" * 1000)], template_type="button")))
    info = {"title": "UBND xã", "subtitle": "Xin thông tin liên hệ", "image_url": "https://x.vn/logo.png"}
    ok(send(fake, {"attachment": {"type": "template", "payload": {"template_type": "request_user_info", "elements": [info]}}}))
    ok(send(fake, {"text": "Ảnh", "attachment": _media({"media_type": "image", "url": "https://x.vn/a.jpg"})}))
    ok(send(fake, {"attachment": _media({"media_type": "sticker", "attachment_id": "bfe458bf64fa8da4d4eb"})}))
    buttons, limits, request_info, image, sticker = fake.messages(USER)
    assert buttons.kind == "text" and buttons.button_titles() == ["Nộp hồ sơ", "Tra cứu", "Cổng DVC", "Gọi xã", "SMS"]
    assert buttons.buttons[2] == ("Cổng DVC", "oa.open.url", {"url": "https://dichvucong.gov.vn"})
    assert buttons.payload("Tra") == "#tra"
    with pytest.raises(AssertionError, match="not a query button"):
        buttons.payload("Cổng")
    with pytest.raises(AssertionError, match="no button matching 'Hủy'"):
        buttons.payload("Hủy")
    assert limits.buttons[0][2] == "p" * 1000
    assert request_info.kind == "request_user_info"
    assert (image.kind, image.media_type, image.image_url, image.text, image.content) == ("image", "image", "https://x.vn/a.jpg", "Ảnh", None)
    assert sticker.kind == "sticker"
    fake.assert_no_violations()


def test_unknown_recipient(fake: FakeZaloOA) -> None:
    assert send(fake, {"text": "hi"}, user_id=OTHER) == {"error": -201, "message": "user_id is invalid!"}
    only_violation(fake, f"recipient.user_id {OTHER} is not a user of this OA")


def test_consultation_window(fake: FakeZaloOA) -> None:
    fake.follow(USER)
    fake.set_last_interaction(USER, 3 * 86400)
    ok(send(fake, {"text": "trong 7 ngày"}))
    assert fake.messages(USER)[-1].billed is True
    fake.set_last_interaction(USER, 7 * 86400 + 60)
    assert send(fake, {"text": "quá hạn"}) == {"error": -230, "message": "User has not interacted with the OA in the past 7 days"}
    only_violation(fake, "outside the 7-day consultation window")
    fake.send_text(USER, "Tôi hỏi lại")  # every user event reopens the window
    ok(send(fake, {"text": "Chào bạn"}))
    assert fake.messages(USER)[-1].billed is False
    fake.add_user(OTHER, last_interaction_ago=None)
    assert send(fake, {"text": "hi"}, user_id=OTHER)["error"] == -230
    only_violation(fake, "last interacted never")


def test_non_followers_and_require_follower(fake: FakeZaloOA) -> None:
    fake.send_text(USER, "tôi chưa quan tâm OA")
    ok(send(fake, {"text": "Chào bạn"}))
    fake.require_follower = True
    assert send(fake, {"text": "Chào bạn"})["error"] == -213
    fake.assert_no_violations()


def test_quote_message_id(fake: FakeZaloOA, webhook: Webhook) -> None:
    fake.send_text(USER, "Hồ sơ của tôi sao rồi?")
    msg_id = webhook.events()[0]["message"]["msg_id"]
    ok(send(fake, {"text": "Đang xử lý", "quote_message_id": msg_id}))
    assert fake.messages(USER)[0].quote_message_id == msg_id
    assert send(fake, {"text": "x", "quote_message_id": "f" * 20})["error"] == -201
    only_violation(fake, "not a message of this conversation")


# ------------------------------------------------------------------------- tokens
@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"access_token": ""}, "missing"),  # replaced below: no header at all
        ({"Authorization": "Bearer AT-1"}, "`Authorization: Bearer` is not Zalo's scheme"),
        ({"access_token": "AT-999"}, "was never issued"),
    ],
)
def test_bad_access_token(fake: FakeZaloOA, headers: dict[str, str], expected: str) -> None:
    fake.follow(USER)
    if headers == {"access_token": ""}:
        headers = {}
    response = HTTP.post(fake.url + "/v3.0/oa/message/cs", json={"recipient": {"user_id": USER}, "message": {"text": "hi"}}, headers=headers)
    assert response.status_code == 200 and response.json() == {"error": -216, "message": "Access token is invalid"}
    only_violation(fake, expected)


def test_access_token_in_query_string(fake: FakeZaloOA) -> None:
    fake.follow(USER)
    response = HTTP.post(fake.url + "/v3.0/oa/message/cs", params={"access_token": "AT-1"}, json={"recipient": {"user_id": USER}, "message": {"text": "hi"}})
    assert response.json()["error"] == -216
    only_violation(fake, "query parameter")


def test_expired_access_token_is_not_a_violation(fake: FakeZaloOA) -> None:
    fake.follow(USER)
    fake.expire_access_token()
    assert send(fake, {"text": "hi"})["error"] == -216
    fake.expired_token_error = -220
    assert send(fake, {"text": "hi"}) == {"error": -220, "message": "access_token is expired or removed"}
    fake.assert_no_violations()


def test_token_lifetime() -> None:
    with FakeZaloOA(token_lifetime=2) as short:
        short.add_user(USER)
        ok(send(short, {"text": "hi"}))
        time.sleep(2.1)
        assert send(short, {"text": "hi"})["error"] == -216
        assert len(short.access_token) >= 300 and short.access_token.startswith("AT1_")
        short.assert_no_violations()


def test_refresh_rotates_and_refresh_tokens_are_single_use(fake: FakeZaloOA) -> None:
    fake.follow(USER)
    answer = refresh(fake, "RT-1")
    assert set(answer) == {"access_token", "refresh_token", "expires_in"} and answer["expires_in"] == "90000"
    assert (fake.access_token, fake.refresh_token, fake.refreshes) == (answer["access_token"], answer["refresh_token"], 1)
    assert answer["access_token"] != "AT-1" and answer["refresh_token"] != "RT-1"
    ok(send(fake, {"text": "hi"}, token=answer["access_token"]))
    # The previous access token died with the refresh (UNCONFIRMED; no violation: a request in flight may carry it).
    assert send(fake, {"text": "hi"}, token="AT-1")["error"] == -216
    fake.assert_no_violations()
    used = refresh(fake, "RT-1")
    assert used["error"] == -14014 and used["error_name"] == "Invalid refresh token." and used["error_description"]
    assert "access_token" not in used
    only_violation(fake, "already used")
    second = refresh(fake, answer["refresh_token"])
    assert second["refresh_token"] != answer["refresh_token"] and fake.refreshes == 2
    fake.keep_old_access_token = True
    third = refresh(fake, second["refresh_token"])
    ok(send(fake, {"text": "hi"}, token=second["access_token"]))
    ok(send(fake, {"text": "hi"}, token=third["access_token"]))
    fake.assert_no_violations()


@pytest.mark.parametrize(
    ("kwargs", "code", "expected"),
    [
        ({"secret": "wrong"}, -14004, "not the app secret"),
        ({"secret": OA_SECRET}, -14004, "OA Secret Key"),
        ({"app_id": "123"}, -14002, "not this app's id"),
        ({"grant": "client_credentials"}, -14018, "grant_type must be"),
        ({}, -14014, "never issued"),
    ],
)
def test_refresh_errors(fake: FakeZaloOA, kwargs: dict[str, str], code: int, expected: str) -> None:
    token = "RT-unknown" if not kwargs else "RT-1"
    answer = refresh(fake, token, **kwargs)
    assert answer["error"] == code and set(answer) == {"error", "error_name", "error_description", "error_reason", "ref_doc"}
    only_violation(fake, expected)
    assert fake.refresh_token == "RT-1" and fake.refreshes == 0


def test_refresh_request_must_be_a_form(fake: FakeZaloOA) -> None:
    response = HTTP.post(
        fake.url + "/v4/oa/access_token", json={"refresh_token": "RT-1", "app_id": APP_ID, "grant_type": "refresh_token"},
        headers={"secret_key": APP_SECRET},
    )  # fmt: skip
    assert response.json()["error"] == -14002
    only_violation(fake, "x-www-form-urlencoded")
    no_header = HTTP.post(fake.url + "/v4/oa/access_token", data={"refresh_token": "RT-1", "app_id": APP_ID, "grant_type": "refresh_token", "client_secret": APP_SECRET})
    assert no_header.json()["error"] == -14004
    only_violation(fake, "client_secret in the body")


def test_fail_refresh_and_expired_refresh_token(fake: FakeZaloOA) -> None:
    fake.fail_refresh(times=2)
    assert refresh(fake, "RT-1")["error"] == -14014
    assert refresh(fake, "RT-1")["error"] == -14014
    assert fake.refreshes == 0 and fake.violations == []
    answer = refresh(fake, "RT-1")
    assert "access_token" in answer and fake.refreshes == 1
    fake.expire_refresh_token()
    assert refresh(fake, answer["refresh_token"])["error"] == -14014
    fake.assert_no_violations()


def test_authorization_code_with_pkce(fake: FakeZaloOA) -> None:
    verifier = "v" * 43
    consent = HTTP.get(
        fake.url + "/v4/oa/permission",
        params={"app_id": APP_ID, "redirect_uri": "https://motcua.example/zalo/callback", "code_challenge": pkce_challenge(verifier), "state": "s1"},
    )
    assert consent.status_code == 302
    callback = httpx.URL(consent.headers["location"])
    assert callback.host == "motcua.example" and callback.params["oa_id"] == OA_ID and callback.params["state"] == "s1"
    code = callback.params["code"]

    def exchange(code_verifier: str) -> dict[str, Any]:
        form = {"code": code, "app_id": APP_ID, "grant_type": "authorization_code", "code_verifier": code_verifier}
        return HTTP.post(fake.url + "/v4/oa/access_token", data=form, headers={"secret_key": APP_SECRET}).json()

    assert exchange("wrong")["error"] == -14005
    only_violation(fake, "code_verifier does not match")
    pair = exchange(verifier)
    assert pair["access_token"] == fake.access_token and pair["expires_in"] == "90000"
    assert exchange(verifier)["error"] == -14005
    only_violation(fake, "already used")
    fake.redirect_uri = "https://motcua.example/zalo/callback"
    wrong = HTTP.get(fake.url + "/v4/oa/permission", params={"app_id": APP_ID, "redirect_uri": "https://evil.example/cb"})
    assert wrong.json()["error"] == -14003


# ------------------------------------------------------------------------ uploads
def test_image_upload_and_send_by_attachment_id(fake: FakeZaloOA) -> None:
    fake.follow(USER)
    attachment_id = ok(upload(fake, "image", "cccd.jpg", JPEG, "image/jpeg"))["attachment_id"]
    assert re.fullmatch(r"[\w-]{30,}", attachment_id)
    assert fake.requests[-1].files == {"file": JPEG}
    ok(send(fake, {"text": "Ảnh CCCD", "attachment": _media({"media_type": "image", "attachment_id": attachment_id})}))
    [message] = fake.messages(USER)
    assert (message.kind, message.content, message.file_name, message.attachment, message.text) == ("image", JPEG, "cccd.jpg", attachment_id, "Ảnh CCCD")
    fake.expire_upload(attachment_id)
    again = send(fake, {"attachment": _media({"media_type": "image", "attachment_id": attachment_id})})
    assert again == {"error": -100, "message": "attachment_id was expired"}
    fake.assert_no_violations()
    assert send(fake, {"attachment": _media({"media_type": "image", "attachment_id": "never-uploaded"})})["error"] == -201
    only_violation(fake, "never returned by /v2.0/oa/upload/image")


def test_file_upload_and_send_by_token(fake: FakeZaloOA) -> None:
    fake.follow(USER)
    token = ok(upload(fake, "file", "Giấy hẹn.pdf", PDF, "application/pdf"))["token"]
    ok(send(fake, {"attachment": {"type": "file", "payload": {"token": token}}}))
    [message] = fake.messages(USER)
    assert (message.kind, message.content, message.file_name, message.mime_type) == ("file", PDF, "Giấy hẹn.pdf", "application/pdf")
    docx = ok(upload(fake, "file", "don.docx", b"PK\x03\x04", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))
    image_id = ok(upload(fake, "image", "a.png", b"\x89PNG", "image/png"))["attachment_id"]
    assert send(fake, {"attachment": {"type": "file", "payload": {"token": image_id}}})["error"] == -201
    only_violation(fake, "came from /v2.0/oa/upload/image, not /upload/file")
    assert "token" in docx


def test_gif_upload_and_send(fake: FakeZaloOA) -> None:
    fake.follow(USER)
    gif_id = ok(upload(fake, "gif", "vui.gif", b"GIF89a", "image/gif"))["attachment_id"]
    ok(send(fake, {"attachment": _media({"media_type": "gif", "attachment_id": gif_id, "width": 120, "height": 120})}))
    assert fake.messages(USER)[0].media_type == "gif"
    fake.assert_no_violations()


@pytest.mark.parametrize(
    ("kind", "name", "content", "mime", "code", "expected"),
    [
        ("image", "big.jpg", b"\xff" * (1024 * 1024 + 1), "image/jpeg", -210, "1 MB limit"),
        ("image", "to_khai.pdf", PDF, "application/pdf", -201, "takes ['jpeg', 'jpg', 'png']"),
        ("image", "anim.gif", b"GIF89a", "image/gif", -201, "takes ['jpeg', 'jpg', 'png']"),
        ("file", "big.pdf", b"%" * (5 * 1024 * 1024 + 1), "application/pdf", -210, "5 MB limit"),
        ("file", "bang.csv", b"a,b\n", "text/csv", -201, "takes ['doc', 'docx', 'pdf']"),
        ("file", "bang.xlsx", b"PK", "application/octet-stream", -201, "takes ['doc', 'docx', 'pdf']"),
        ("gif", "big.gif", b"G" * (5 * 1024 * 1024 + 1), "image/gif", -210, "5 MB limit"),
        ("file", "empty.pdf", b"", "application/pdf", -201, "empty file"),
    ],
)
def test_upload_limits(fake: FakeZaloOA, kind: str, name: str, content: bytes, mime: str, code: int, expected: str) -> None:
    assert upload(fake, kind, name, content, mime)["error"] == code
    only_violation(fake, expected)


def test_upload_needs_multipart_field_file(fake: FakeZaloOA) -> None:
    assert upload(fake, "image", "a.jpg", JPEG, "image/jpeg", field="image")["error"] == -201
    only_violation(fake, "no file part named `file`")
    raw = HTTP.post(fake.url + "/v2.0/oa/upload/image", content=JPEG, headers={"access_token": "AT-1", "Content-Type": "image/jpeg"})
    assert raw.json()["error"] == -201
    only_violation(fake, "multipart/form-data")


# ---------------------------------------------------------------------- templates
def test_zbs_template_by_uid(fake: FakeZaloOA) -> None:
    fake.templates = {"status-update": ["case_code", "status", "date"]}
    fake.follow(USER)
    fake.set_last_interaction(USER, 30 * 86400)  # the window does not apply to templates
    data = {"case_code": "HS-2024-001", "status": "Đã có kết quả", "date": "05/06/2024"}
    answer = ok(api(fake, "/v3.0/oa/message/template", {"user_id": USER, "template_id": "status-update", "template_data": data}))
    assert set(answer) == {"message_id", "user_id", "sent_time"}
    [message] = fake.messages(USER)
    assert (message.kind, message.template_id, message.template_data) == ("template", "status-update", data)
    assert "[ZBS status-update" in fake.transcript(USER)
    for body, expected in [
        ({"user_id": USER, "template_id": "other", "template_data": data}, "not an approved template"),
        ({"user_id": USER, "template_id": "status-update", "template_data": {"case_code": "x"}}, "missing ['status', 'date']"),
        ({"user_id": USER, "template_id": "status-update", "template_data": {**data, "extra": "x"}}, "unknown ['extra']"),
        ({"user_id": USER, "template_id": "status-update", "template_data": {**data, "status": ""}}, "non-empty string or a number"),
        ({"user_id": OTHER, "template_id": "status-update", "template_data": data}, "not a user of this OA"),
        ({"phone": "84912345678", "template_id": "status-update", "template_data": data}, "unknown field(s) ['phone']"),
    ]:
        assert api(fake, "/v3.0/oa/message/template", body)["error"] == -201
        only_violation(fake, expected)


# ------------------------------------------------------------- errors and limits
def test_fail_next_injects_zalo_errors(fake: FakeZaloOA) -> None:
    fake.follow(USER)
    fake.fail_next(2, error=-218)
    assert send(fake, {"text": "1"}) == {"error": -218, "message": "Out of quota receive"}
    assert send(fake, {"text": "2"})["error"] == -218
    ok(send(fake, {"text": "3"}))
    fake.fail_next(1, error=-32, message="Your OA reached limit call api", path=None)
    assert upload(fake, "image", "a.jpg", JPEG, "image/jpeg") == {"error": -32, "message": "Your OA reached limit call api"}
    ok(upload(fake, "image", "a.jpg", JPEG, "image/jpeg"))
    fake.fail_next(1, error=-211, path="/v3.0/oa/message/template")
    ok(send(fake, {"text": "4"}))
    assert [m.text for m in fake.messages(USER)] == ["3", "4"]
    fake.assert_no_violations()


def test_rate_limit(fake: FakeZaloOA) -> None:
    fake.follow(USER)
    fake.rate_limit_per_minute = 3
    remains = []
    for _ in range(3):
        response = HTTP.post(fake.url + "/v3.0/oa/message/cs", json={"recipient": {"user_id": USER}, "message": {"text": "hi"}}, headers={"access_token": "AT-1"})
        assert response.json()["error"] == 0
        remains.append(response.headers["X-RateLimit-Remain"])
    over = HTTP.post(fake.url + "/v3.0/oa/message/cs", json={"recipient": {"user_id": USER}, "message": {"text": "hi"}}, headers={"access_token": "AT-1"})
    assert remains == ["2", "1", "0"]
    assert over.json() == {"error": -32, "message": "Your application reached limit call api"}
    assert over.headers["X-RateLimit-Limit"] == "3" and over.headers["X-RateLimit-Remain"] == "0"
    only_violation(fake, "more than 3 OA API requests within a minute")


def test_user_detail_and_quota(fake: FakeZaloOA) -> None:
    fake.follow(USER, display_name="Trần Thị B")
    detail = ok(api(fake, "/v3.0/oa/user/detail", method="GET", params={"data": json.dumps({"user_id": USER})}))
    assert detail["display_name"] == "Trần Thị B" and detail["user_is_follower"] is True
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", detail["user_last_interaction_date"])
    assert set(detail["avatars"]) == {"120", "240"} and HTTP.get(detail["avatars"]["240"]).content.startswith(b"\x89PNG")
    assert "shared_info" not in detail
    quota = ok(api(fake, "/v3.0/oa/quota/message", {"user_id": USER}))
    assert abs(int(quota["last_interaction"]) / 1000 - time.time()) < 5 and quota["cs_reply"] == {"remain": 8, "total": 8}
    fake.unfollow(USER)
    assert api(fake, "/v3.0/oa/user/detail", method="GET", params={"data": json.dumps({"user_id": USER})})["error"] == -213
    fake.assert_no_violations()
    assert api(fake, "/v3.0/oa/user/detail", method="GET", params={"user_id": USER})["error"] == -201
    only_violation(fake, "?data=")
    assert api(fake, "/v3.0/oa/user/detail", {"user_id": USER})["error"] == -209
    only_violation(fake, "called with GET, not POST")


def test_dead_and_unknown_paths(fake: FakeZaloOA) -> None:
    fake.follow(USER)
    body = {"recipient": {"user_id": USER}, "message": {"text": "hi"}}
    assert api(fake, "/v2.0/oa/message", body)["error"] == -240
    only_violation(fake, "v2 message API is shut down")
    assert api(fake, "/v3.0/oa/message/transaction", body)["error"] == -209
    only_violation(fake, "discontinued on 2026-03-01")
    response = HTTP.post(fake.url + "/v3.0/oa/message", json=body, headers={"access_token": "AT-1"})
    assert response.status_code == 404
    only_violation(fake, "consultation messages go to /v3.0/oa/message/cs")


# ------------------------------------------------------------------ the bot loop
def test_a_bot_round_trip(fake: FakeZaloOA, webhook: Webhook) -> None:
    """A minimal bot on the stand-in webhook: verifies the MAC, answers with buttons, follows a tap."""

    def bot(event: dict[str, Any]) -> None:
        body, headers = webhook.received[-1]
        assert headers["X-ZEvent-Signature"] == mac(body, event["timestamp"])
        user = event.get("sender", {}).get("id") or event["follower"]["id"]
        if event["event_name"] == "follow":
            message: dict[str, Any] = _buttons_message(BUTTONS)
        else:
            message = {"text": f"Bạn chọn {event['message']['text']}"}
        api(fake, "/v3.0/oa/message/cs", {"recipient": {"user_id": user}, "message": message})

    webhook.on_event = bot
    fake.follow(USER)
    [menu] = fake.wait_for_messages(USER, 1, timeout=5)
    fake.tap(USER, menu.payload("Tra cứu"))
    reply = fake.wait_for_messages(USER, 2, timeout=5)[-1]
    assert isinstance(reply, ZaloMessage) and reply.text == "Bạn chọn #tra"
    fake.wait_idle(quiet=0.1, timeout=5)
    with pytest.raises(AssertionError, match=r"expected at least 3 messages.*\n.*transcript of Zalo user"):
        fake.wait_for_messages(USER, 3, timeout=0.2)
    fake.assert_no_violations()


def test_conversation_and_numeric_ids(fake: FakeZaloOA, webhook: Webhook) -> None:
    fake.follow(USER)
    fake.send_text(USER, "Xin chào")
    ok(send(fake, {"text": "Chào bạn"}))
    fake.send_event(fake.make_event(USER, "user_send_text", {"text": "giả mạo"}), sign=False)
    conversation = fake.conversation(USER)
    assert [(side, item["event_name"] if side == "user" else item.text) for side, item in conversation] == [
        ("user", "follow"), ("user", "user_send_text"), ("bot", "Chào bạn"),
    ]  # fmt: skip
    # Ids as bare JSON numbers (UNCONFIRMED on Zalo) can be sent raw; the fake still keys the user by string.
    event = fake.make_event(OTHER, "user_send_text", {"text": "số"})
    event["sender"]["id"] = int(OTHER)
    assert fake.send_event(event) == 200
    assert f'"sender":{{"id":{OTHER}}}'.encode() in webhook.received[-1][0]
    ok(send(fake, {"text": "ok"}, user_id=OTHER))
    fake.assert_no_violations()


def test_streamed_multipart_upload(fake: FakeZaloOA) -> None:
    boundary = "zalo-b0undary"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="cccd.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    body = head.encode() + JPEG + f"\r\n--{boundary}--\r\n".encode()
    response = HTTP.post(
        fake.url + "/v2.0/oa/upload/image", content=iter([body[:7], body[7:]]),
        headers={"access_token": "AT-1", "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )  # fmt: skip
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "attachment_id" in ok(response.json()) and fake.requests[-1].files == {"file": JPEG}

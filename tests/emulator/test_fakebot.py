"""Tests of the fake Bot API server itself (sandbox/botapi), driven by plain HTTP and by a
real python-telegram-bot client, so the harness can be trusted by the bot's e2e tests."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import telegram
from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.error import BadRequest

from sandbox.botapi import FakeBotAPI, parse_html

USER = 4242
KEYBOARD = {"inline_keyboard": [[{"text": "Đồng ý", "callback_data": "ok"}, {"text": "Hủy", "callback_data": "cancel"}]]}
# Bytes that would break a naive multipart parser (CRLF, dashes, NUL, high bytes).
BINARY = b"\x89PNG\r\n\x1a\n\x00--boundary\r\n\r\n\xff\xfe" * 50


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server


@pytest.fixture
def client(api: FakeBotAPI) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{api.url}/bot{api.token}/", timeout=30) as http:
        yield http


def form(**params: Any) -> dict[str, str]:
    """Encode like python-telegram-bot: strings as is, everything else JSON-encoded."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}


def call(client: httpx.Client, method: str, **params: Any) -> httpx.Response:
    return client.post(method, data=form(**params))


def result(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200 and body["ok"], body
    return body["result"]


def assert_valid(api: FakeBotAPI, value: Any, type_name: str) -> None:
    assert api.spec.check_object(value, type_name) == []


# ----------------------------------------------------------------- basics, polling
def test_get_me(api: FakeBotAPI, client: httpx.Client) -> None:
    me = result(client.get("getMe"))
    assert me["is_bot"] is True and me["username"] == "motcua_test_bot" and me["id"] == 123456
    assert_valid(api, me, "User")
    assert api.requests[-1].method == "getMe" and api.requests[-1].status == 200
    api.assert_no_violations()


def test_wrong_token_is_unauthorized(api: FakeBotAPI) -> None:
    response = httpx.post(f"{api.url}/bot999:WRONG/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert len(api.violations) == 1


def test_long_poll_returns_update_queued_while_waiting(api: FakeBotAPI, client: httpx.Client) -> None:
    threading.Timer(0.3, api.send_text, args=(USER, "xin chào")).start()
    started = time.monotonic()
    updates = result(call(client, "getUpdates", timeout=10))
    assert time.monotonic() - started < 5
    assert [u["message"]["text"] for u in updates] == ["xin chào"]
    assert updates[0]["update_id"] == 1000
    assert_valid(api, updates[0], "Update")
    message = updates[0]["message"]
    assert message["from"] == {"id": USER, "is_bot": False, "first_name": "Test", "language_code": "vi"}
    assert message["chat"]["id"] == USER and message["chat"]["type"] == "private"


def test_long_poll_times_out_empty(client: httpx.Client) -> None:
    started = time.monotonic()
    assert result(call(client, "getUpdates", timeout=1)) == []
    assert time.monotonic() - started >= 0.9


def test_offset_confirms_updates(api: FakeBotAPI, client: httpx.Client) -> None:
    first = api.send_text(USER, "/start ref_42", first_name="Lan")
    second = api.send_text(USER, "hello")
    updates = result(call(client, "getUpdates", timeout=0))
    assert [u["update_id"] for u in updates] == [first, second]
    assert updates[0]["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    # Not confirmed yet: delivered again.
    assert len(result(call(client, "getUpdates", offset=first, timeout=0))) == 2
    assert api.unconfirmed_updates() == [first, second]
    assert [u["update_id"] for u in result(call(client, "getUpdates", offset=second, timeout=0))] == [second]
    assert api.unconfirmed_updates() == [second]
    assert result(call(client, "getUpdates", offset=second + 1, timeout=0)) == []
    api.wait_idle(quiet=0.1, timeout=2)
    api.assert_no_violations()


def test_delete_webhook_can_drop_pending_updates(api: FakeBotAPI, client: httpx.Client) -> None:
    api.send_text(USER, "sent before the bot started")
    assert result(call(client, "deleteWebhook", drop_pending_updates=False)) is True
    assert len(result(call(client, "getUpdates", timeout=0))) == 1
    assert result(call(client, "deleteWebhook", drop_pending_updates=True)) is True
    assert result(call(client, "getUpdates", timeout=0)) == []


def test_second_long_poll_terminates_the_first(api: FakeBotAPI, client: httpx.Client) -> None:
    responses: list[httpx.Response] = []
    first = threading.Thread(target=lambda: responses.append(call(client, "getUpdates", timeout=10)))
    first.start()
    api.wait_until(lambda: api.polling, timeout=5)
    assert api.polls_received == 1 and not [r for r in api.requests if r.method == "getUpdates"]
    assert result(call(client, "getUpdates", timeout=0)) == []
    assert api.polls_received == 2
    first.join(timeout=5)
    assert responses[0].status_code == 409 and "terminated by other getUpdates" in responses[0].json()["description"]


@pytest.mark.parametrize("body", [b"", b'{"chat_id": 4242, "te'], ids=["headers only", "half a body"])
def test_a_request_cut_short_is_not_carried_out(api: FakeBotAPI, client: httpx.Client, body: bytes) -> None:
    """A bot killed while sending leaves headers without their whole body: no message, no violation."""
    api.send_text(USER, "/start")
    host, port = api.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(f"POST /bot{api.token}/sendMessage HTTP/1.1\r\nHost: {host}\r\n"
                           "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n".encode() + body)
        connection.shutdown(socket.SHUT_WR)
        assert connection.recv(1024) == b"", "closed unanswered"
    assert result(call(client, "sendMessage", chat_id=USER, text="whole")) is not None
    assert [r.method for r in api.requests] == ["sendMessage"] and [m.text for m in api.bot_messages(USER)] == ["whole"]
    api.assert_no_violations()


def test_stop_releases_a_held_long_poll() -> None:
    api = FakeBotAPI()
    api.start()
    responses: list[httpx.Response] = []
    poller = threading.Thread(target=lambda: responses.append(httpx.post(f"{api.url}/bot{api.token}/getUpdates", data={"timeout": "30"}, timeout=40)))
    poller.start()
    api.wait_until(lambda: api.polling, timeout=5)
    started = time.monotonic()
    api.stop()
    poller.join(timeout=5)
    assert time.monotonic() - started < 3 and result(responses[0]) == []


def test_wait_idle_fails_while_updates_unconfirmed(api: FakeBotAPI) -> None:
    api.send_text(USER, "nobody reads this")
    with pytest.raises(AssertionError, match=r"unconfirmed updates \[1000\]"):
        api.wait_idle(quiet=0.1, timeout=0.5)


def test_pushed_update_with_reused_id_is_redelivered(api: FakeBotAPI, client: httpx.Client) -> None:
    update_id = api.send_text(USER, "nộp hồ sơ")
    [update] = result(call(client, "getUpdates", timeout=0))
    assert result(call(client, "getUpdates", offset=update_id + 1, timeout=0)) == []
    assert api.push_update(update) == update_id
    assert result(call(client, "getUpdates", offset=update_id + 1, timeout=0)) == [update]
    assert api.send_text(USER, "next") == update_id + 1
    with pytest.raises(AssertionError, match="already used for another update"):
        api.push_update({**update, "update_id": update_id + 1})


def test_push_update_rejects_invalid_update(api: FakeBotAPI) -> None:
    with pytest.raises(AssertionError, match="first_name"):
        api.push_update({"message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "from": {"id": 1, "is_bot": False}}})


def test_album_is_delivered_in_one_batch(api: FakeBotAPI, client: httpx.Client) -> None:
    ids = api.send_album(USER, [b"one", b"two", b"three"])
    updates = result(call(client, "getUpdates", timeout=0))
    assert [u["update_id"] for u in updates] == ids
    groups = {u["message"]["media_group_id"] for u in updates}
    assert len(groups) == 1
    for update in updates:
        thumb, full = update["message"]["photo"]
        assert thumb["file_id"] != full["file_id"] and thumb["width"] < full["width"]
        assert_valid(api, update, "Update")


# --------------------------------------------------------------------- violations
def test_unknown_method(api: FakeBotAPI, client: httpx.Client) -> None:
    response = call(client, "sendmessage", chat_id=USER, text="hi")
    assert response.status_code == 400 and response.json()["ok"] is False
    assert api.violations == ["sendmessage: unknown Bot API method"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"chat_id": USER, "text": "hi", "colour": "red"}, "unknown parameter 'colour'"),
        ({"chat_id": USER}, "missing required parameter 'text'"),
        ({"chat_id": "abc", "text": "hi"}, "chat_id: expected Integer or String"),
        ({"chat_id": USER, "text": "x" * 4097}, "4097 characters"),
        ({"chat_id": USER, "text": "<b>x", "parse_mode": "HTML"}, "can't parse entities"),
        ({"chat_id": USER, "text": "a < b", "parse_mode": "HTML"}, 'bare "<"'),
        ({"chat_id": USER, "text": "Tom & Jerry", "parse_mode": "HTML"}, 'bare "&"'),
        ({"chat_id": USER, "text": "<b><i>x</b></i>", "parse_mode": "HTML"}, "does not match"),
        ({"chat_id": USER, "text": "<div>x</div>", "parse_mode": "HTML"}, 'unsupported start tag "div"'),
        ({"chat_id": USER, "text": "<span>x</span>", "parse_mode": "HTML"}, "tg-spoiler"),
        ({"chat_id": USER, "text": "hi", "parse_mode": "html"}, "unsupported parse_mode"),
        ({"chat_id": USER, "text": "   "}, "text is empty"),
        ({"chat_id": USER, "text": "hi", "disable_notification": "yes"}, "expected Boolean"),
        (
            {"chat_id": USER, "text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "d" * 65}]]}},
            "65 bytes",
        ),
        (
            {"chat_id": USER, "text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "ă" * 33}]]}},
            "66 bytes",
        ),
        ({"chat_id": USER, "text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "x"}]]}}, "exactly one action"),
        (
            {"chat_id": USER, "text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "a", "url": "https://x.vn"}]]}},
            "exactly one action",
        ),
        ({"chat_id": USER, "text": "hi", "reply_markup": {"inline_keyboard": [[{"callback_data": "a"}]]}}, "text: required field"),
        ({"chat_id": USER, "text": "hi", "reply_markup": "{not json"}, "reply_markup"),
    ],
)
def test_send_message_violations(api: FakeBotAPI, client: httpx.Client, params: dict, expected: str) -> None:
    api.send_text(USER, "/start")
    response = call(client, "sendMessage", **params)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == 400 and response.json()["description"].startswith("Bad Request: ")
    assert len(api.violations) == 1 and expected in api.violations[0], api.violations
    assert api.bot_messages(USER) == []
    with pytest.raises(AssertionError, match="contract violations"):
        api.assert_no_violations()
    api.reset_violations()
    api.assert_no_violations()


@pytest.mark.parametrize(
    ("method", "params", "expected"),
    [
        ("editMessageText", {"text": "x"}, "needs chat_id and message_id, or inline_message_id"),
        ("editMessageText", {"chat_id": USER, "message_id": 1}, "missing required parameter 'text'"),
        ("editMessageReplyMarkup", {"chat_id": USER}, "needs chat_id and message_id"),
        ("editMessageCaption", {"message_id": 3, "caption": "x"}, "needs chat_id and message_id"),
        ("sendPhoto", {"chat_id": USER, "photo": "FILEID", "caption": "c" * 1025}, "1025 characters"),
        ("answerCallbackQuery", {"callback_query_id": "1", "text": "t" * 201}, "201 characters"),
        ("sendMediaGroup", {"chat_id": USER, "media": [{"type": "photo", "media": "FILEID"}]}, "2-10 items"),
        ("sendMediaGroup", {"chat_id": USER, "media": [{"type": "photo", "media": "attach://p1"}] * 2}, "attach://p1 refers to no"),
        (
            "sendMediaGroup",
            {"chat_id": USER, "media": [{"type": "photo", "media": "A"}, {"type": "document", "media": "B"}]},
            "same type",
        ),
        ("sendMediaGroup", {"chat_id": USER, "media": [{"type": "sticker", "media": "A"}, {"type": "photo", "media": "B"}]}, "media[0]: expected"),
        ("setMyCommands", {"commands": [{"command": "Start", "description": "Bắt đầu"}]}, "lowercase"),
        ("getUpdates", {"limit": 101}, "limit must be 1-100"),
        ("getMe", {"verbose": True}, "unknown parameter 'verbose'"),
    ],
)
def test_other_violations(api: FakeBotAPI, client: httpx.Client, method: str, params: dict, expected: str) -> None:
    api.send_text(USER, "/start")
    response = call(client, method, **params)
    assert response.status_code == 400, response.text
    assert len(api.violations) == 1 and expected in api.violations[0], api.violations


def test_message_to_user_who_never_wrote(api: FakeBotAPI, client: httpx.Client) -> None:
    response = call(client, "sendMessage", chat_id=777, text="hi")
    assert response.status_code == 403
    assert response.json()["description"] == "Forbidden: bot can't initiate conversation with a user"
    assert api.violations == ["sendMessage: chat 777 never wrote to the bot"]


def test_correct_send_message_with_keyboard(api: FakeBotAPI, client: httpx.Client) -> None:
    api.send_text(USER, "/start")
    text = "<b>Thủ tục</b> &amp; <i>hồ sơ</i> <a href=\"https://dichvucong.gov.vn?a=1&amp;b=2\">link</a> &lt;3 &#39;q&#x27;"
    message = result(call(client, "sendMessage", chat_id=USER, text=text, parse_mode="HTML", reply_markup=KEYBOARD, disable_notification=True))
    assert_valid(api, message, "Message")
    assert message["text"] == "Thủ tục & hồ sơ link <3 'q'"
    assert [e["type"] for e in message["entities"]] == ["bold", "italic", "text_link"]
    assert message["entities"][2]["url"] == "https://dichvucong.gov.vn?a=1&b=2"
    assert message["reply_markup"] == KEYBOARD
    assert message["from"]["is_bot"] is True and message["chat"]["id"] == USER
    [seen] = api.bot_messages(USER)
    assert seen.text == message["text"] and seen.parse_mode == "HTML" and seen.message_id == message["message_id"]
    assert seen.button_labels() == ["Đồng ý", "Hủy"]
    assert seen.callback_data("Hủy") == "cancel"
    with pytest.raises(AssertionError, match=r"no button matching 'Xóa'.*Đồng ý"):
        seen.callback_data("Xóa")
    params = api.requests[-1].params
    assert params["chat_id"] == USER and params["disable_notification"] is True and params["reply_markup"] == KEYBOARD
    api.assert_no_violations()


def test_length_is_counted_after_html_parsing(api: FakeBotAPI, client: httpx.Client) -> None:
    api.send_text(USER, "/start")
    result(call(client, "sendMessage", chat_id=USER, text="<b>" + "x" * 4096 + "</b>", parse_mode="HTML"))
    result(call(client, "sendMessage", chat_id=USER, text="&lt;" * 4096, parse_mode="HTML"))
    api.assert_no_violations()


def test_json_body_and_query_string_are_accepted(api: FakeBotAPI, client: httpx.Client) -> None:
    api.send_text(USER, "/start")
    message = result(client.post("sendMessage", json={"chat_id": USER, "text": "hi", "reply_markup": KEYBOARD}))
    assert message["reply_markup"] == KEYBOARD
    result(client.get("sendMessage", params=form(chat_id=USER, text="qua GET", reply_markup=KEYBOARD)))
    assert api.requests[-1].params == {"chat_id": USER, "text": "qua GET", "reply_markup": KEYBOARD}
    bad_json = client.post("sendMessage", content=b"{oops", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400 and len(api.violations) == 1


def test_html_entities_nest_and_use_utf16_offsets() -> None:
    text, entities = parse_html('😀 <b>a<i>b</i></b><pre><code class="language-python">x</code></pre><tg-spoiler>s</tg-spoiler>')
    assert text == "😀 abxs"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 2},
        {"type": "italic", "offset": 4, "length": 1},
        {"type": "pre", "language": "python", "offset": 5, "length": 1},
        {"type": "spoiler", "offset": 6, "length": 1},
    ]


# -------------------------------------------------------------------------- files
def test_multipart_send_photo_upload(api: FakeBotAPI, client: httpx.Client) -> None:
    api.send_text(USER, "/start")
    response = client.post(
        "sendPhoto",
        data=form(chat_id=USER, caption="<b>Ảnh</b> CCCD", parse_mode="HTML", reply_markup=KEYBOARD),
        files={"photo": ("cccd.jpg", BINARY, "image/jpeg")},
    )
    message = result(response)
    assert_valid(api, message, "Message")
    assert message["caption"] == "Ảnh CCCD" and message["caption_entities"] == [{"type": "bold", "offset": 0, "length": 3}]
    assert api.requests[-1].files == {"photo": BINARY}
    [seen] = api.bot_messages(USER)
    assert seen.photo_file_id == message["photo"][-1]["file_id"] and seen.text == "Ảnh CCCD"
    # What the bot uploaded can be fetched back by file_id.
    file = result(call(client, "getFile", file_id=seen.photo_file_id))
    assert httpx.get(f"{api.url}/file/bot{api.token}/{file['file_path']}").content == BINARY
    api.assert_no_violations()


def test_multipart_document_with_vietnamese_filename(api: FakeBotAPI, client: httpx.Client) -> None:
    api.send_text(USER, "/start")
    response = client.post(
        "sendDocument", data=form(chat_id=USER), files={"document": ("Đơn đăng ký.pdf", b"%PDF-1.4", "application/pdf")}
    )
    document = result(response)["document"]
    assert document["file_name"] == "Đơn đăng ký.pdf" and document["mime_type"] == "application/pdf"
    assert api.bot_messages(USER)[0].document_file_id == document["file_id"]
    api.assert_no_violations()


def test_file_part_for_a_string_parameter_is_refused(api: FakeBotAPI, client: httpx.Client) -> None:
    api.send_text(USER, "/start")
    response = client.post("sendMessage", data=form(chat_id=USER), files={"text": ("t.txt", b"hi", "text/plain")})
    assert response.status_code == 400
    assert any("file upload is not allowed" in v for v in api.violations)


def test_get_file_and_download(api: FakeBotAPI, client: httpx.Client) -> None:
    fake = api.add_file(BINARY)
    file = result(call(client, "getFile", file_id=fake.file_id))
    assert file == {"file_id": fake.file_id, "file_unique_id": fake.file_unique_id, "file_size": len(BINARY), "file_path": fake.file_path}
    assert_valid(api, file, "File")
    download = httpx.get(f"{api.url}/file/bot{api.token}/{file['file_path']}")
    assert download.status_code == 200 and download.content == BINARY
    assert httpx.get(f"{api.url}/file/bot{api.token}/documents/nope").status_code == 404
    api.assert_no_violations()


def test_file_over_20_mb_cannot_be_fetched(api: FakeBotAPI, client: httpx.Client) -> None:
    big = api.add_file(b"tiny", file_size=25 * 1024 * 1024)
    response = call(client, "getFile", file_id=big.file_id)
    assert response.status_code == 400 and response.json()["description"] == "Bad Request: file is too big"
    unknown = call(client, "getFile", file_id="nope")
    assert unknown.status_code == 400 and unknown.json()["description"] == "Bad Request: invalid file_id"
    # Runtime errors a correct bot must handle are not contract violations.
    api.assert_no_violations()


def test_user_photo_and_document_updates(api: FakeBotAPI, client: httpx.Client) -> None:
    fake = api.add_file(b"pdf", file_size=30 * 1024 * 1024)
    api.send_photo(USER, b"jpeg", caption="mặt trước")
    api.send_document(USER, fake, file_name="to_khai.pdf", mime_type="application/pdf")
    photo, document = (u["message"] for u in result(call(client, "getUpdates", timeout=0)))
    assert photo["caption"] == "mặt trước" and len(photo["photo"]) == 2
    assert document["document"] == {
        "file_id": fake.file_id, "file_unique_id": fake.file_unique_id, "file_size": fake.file_size,
        "file_name": "to_khai.pdf", "mime_type": "application/pdf",
    }
    full = result(call(client, "getFile", file_id=photo["photo"][-1]["file_id"]))
    assert httpx.get(f"{api.url}/file/bot{api.token}/{full['file_path']}").content == b"jpeg"


def test_send_media_group_by_attach(api: FakeBotAPI, client: httpx.Client) -> None:
    api.send_text(USER, "/start")
    media = [{"type": "photo", "media": "attach://a", "caption": "<i>1</i>", "parse_mode": "HTML"}, {"type": "photo", "media": "attach://b"}]
    response = client.post(
        "sendMediaGroup", data=form(chat_id=USER, media=media), files={"a": ("a.jpg", b"A", "image/jpeg"), "b": ("b.jpg", b"B", "image/jpeg")}
    )
    messages = result(response)
    assert len(messages) == 2 and messages[0]["media_group_id"] == messages[1]["media_group_id"]
    assert messages[0]["caption"] == "1"
    assert [m.media_group for m in api.bot_messages(USER)] == [True, True]
    api.assert_no_violations()


# -------------------------------------------------------------------------- edits
def test_edits_apply_to_bot_messages(api: FakeBotAPI, client: httpx.Client) -> None:
    api.send_text(USER, "/start")
    sent = result(call(client, "sendMessage", chat_id=USER, text="Bước 1", reply_markup=KEYBOARD))
    mid = sent["message_id"]
    edited = result(call(client, "editMessageText", chat_id=USER, message_id=mid, text="<b>Bước 2</b>", parse_mode="HTML", reply_markup=KEYBOARD))
    assert_valid(api, edited, "Message")
    assert edited["text"] == "Bước 2" and "edit_date" in edited
    [seen] = api.bot_messages(USER)
    assert (seen.text, seen.edited, seen.parse_mode, seen.button_labels()) == ("Bước 2", True, "HTML", ["Đồng ý", "Hủy"])
    # Same content again: Telegram refuses.
    again = call(client, "editMessageText", chat_id=USER, message_id=mid, text="<b>Bước 2</b>", parse_mode="HTML", reply_markup=KEYBOARD)
    assert again.status_code == 400 and "message is not modified" in again.json()["description"]
    # Omitting reply_markup removes the keyboard, as on Telegram.
    result(call(client, "editMessageText", chat_id=USER, message_id=mid, text="Bước 3"))
    assert api.bot_messages(USER)[0].buttons == []
    result(call(client, "editMessageReplyMarkup", chat_id=USER, message_id=mid, reply_markup=KEYBOARD))
    assert api.bot_messages(USER)[0].button_labels() == ["Đồng ý", "Hủy"]
    missing = call(client, "editMessageText", chat_id=USER, message_id=999, text="x")
    assert missing.status_code == 400 and missing.json()["description"] == "Bad Request: message to edit not found"
    no_caption = call(client, "editMessageCaption", chat_id=USER, message_id=mid, caption="x")
    assert no_caption.status_code == 400
    assert result(call(client, "deleteMessage", chat_id=USER, message_id=mid)) is True
    assert api.bot_messages(USER)[0].deleted
    assert call(client, "deleteMessage", chat_id=USER, message_id=mid).status_code == 400
    api.assert_no_violations()


def test_edit_caption_of_photo(api: FakeBotAPI, client: httpx.Client) -> None:
    api.send_text(USER, "/start")
    fake = api.add_file(b"img")
    sent = result(call(client, "sendPhoto", chat_id=USER, photo=fake.file_id, caption="cũ"))
    assert sent["photo"][-1]["file_id"] == fake.file_id
    result(call(client, "editMessageCaption", chat_id=USER, message_id=sent["message_id"], caption="mới"))
    assert api.bot_messages(USER)[0].text == "mới"
    text_edit = call(client, "editMessageText", chat_id=USER, message_id=sent["message_id"], text="x")
    assert text_edit.json()["description"] == "Bad Request: there is no text in the message to edit"
    api.assert_no_violations()


# ---------------------------------------------------------------- callback queries
def test_press_and_answer_callback(api: FakeBotAPI, client: httpx.Client) -> None:
    api.send_text(USER, "/start")
    first = result(call(client, "sendMessage", chat_id=USER, text="Chọn", reply_markup=KEYBOARD))
    result(call(client, "sendMessage", chat_id=USER, text="Thông báo"))
    update_id = api.press(USER, "ok")
    updates = result(call(client, "getUpdates", timeout=0))
    query = updates[-1]["callback_query"]
    assert updates[-1]["update_id"] == update_id
    assert_valid(api, updates[-1], "Update")
    assert query["data"] == "ok" and query["from"]["id"] == USER
    assert query["message"]["message_id"] == first["message_id"] and query["message"]["reply_markup"] == KEYBOARD
    with pytest.raises(AssertionError, match="never answered"):
        api.wait_answered(timeout=0.2)
    result(call(client, "answerCallbackQuery", callback_query_id=query["id"], text="Đã ghi nhận"))
    api.wait_answered(timeout=0.2)
    assert api.callback_answers(USER) == [{"callback_query_id": query["id"], "text": "Đã ghi nhận"}]
    assert call(client, "answerCallbackQuery", callback_query_id=query["id"]).status_code == 400
    # Without a matching button the latest bot message is used.
    api.press(USER, "stale")
    assert result(call(client, "getUpdates", timeout=0))[-1]["callback_query"]["message"]["text"] == "Thông báo"
    with pytest.raises(AssertionError, match="no bot message"):
        api.press(USER + 1, "ok")
    api.assert_no_violations()


# ---------------------------------------------------------------------- waiting
def test_wait_for_messages_times_out_with_transcript(api: FakeBotAPI, client: httpx.Client) -> None:
    api.send_text(USER, "/start")
    result(call(client, "sendMessage", chat_id=USER, text="Xin chào", reply_markup=KEYBOARD))
    assert len(api.wait_for_messages(USER, 1, timeout=1)) == 1
    with pytest.raises(AssertionError) as failure:
        api.wait_for_messages(USER, 2, timeout=0.3)
    report = str(failure.value)
    assert "expected at least 2 bot messages" in report and "got 1" in report
    assert "> user: '/start'" in report and "'Xin chào'" in report and "'Đồng ý'->'ok'" in report


def test_wait_for_messages_wakes_up_on_send(api: FakeBotAPI, client: httpx.Client) -> None:
    api.send_text(USER, "/start")
    threading.Timer(0.2, call, args=(client, "sendMessage"), kwargs={"chat_id": USER, "text": "later"}).start()
    assert api.wait_for_messages(USER, 1, timeout=5)[0].text == "later"
    api.wait_until(lambda: len(api.requests) >= 1, timeout=1)
    with pytest.raises(AssertionError, match="never"):
        api.wait_until(lambda: False, timeout=0.1, message="never")


# --------------------------------------------------- real python-telegram-bot client
def test_python_telegram_bot_client_talks_without_violations(api: FakeBotAPI) -> None:
    """PTB's real encoding (form fields, JSON-encoded markup, multipart uploads,
    attach:// media groups) must pass validation, and its parsing must accept our answers."""
    chat = 99001
    stored = api.add_file(BINARY)
    too_big = api.add_file(b"x", file_size=25 * 1024 * 1024)

    async def scenario() -> None:
        bot = telegram.Bot(api.token, base_url=f"{api.url}/bot", base_file_url=f"{api.url}/file/bot")
        async with bot:
            me = await bot.get_me()
            assert me.username == "motcua_test_bot"
            await bot.delete_webhook(drop_pending_updates=False)
            await bot.set_my_commands([BotCommand("start", "Bắt đầu"), BotCommand("huy", "Hủy thao tác")])
            api.send_text(chat, "/start", first_name="Hoa")
            updates = await bot.get_updates(timeout=2, allowed_updates=["message", "callback_query"])
            assert updates[0].message.text == "/start" and updates[0].message.from_user.first_name == "Hoa"
            await bot.send_chat_action(chat, "typing")
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("Đồng ý", callback_data="ok"), InlineKeyboardButton("Cổng DVC", url="https://dichvucong.gov.vn")]])
            sent = await bot.send_message(chat, "<b>Xin chào</b> &amp; chào mừng", parse_mode="HTML", reply_markup=markup, disable_notification=True)
            assert sent.text == "Xin chào & chào mừng" and sent.text_html == "<b>Xin chào</b> &amp; chào mừng"
            assert sent.reply_markup == markup
            api.press(chat, "ok")
            updates = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=2)
            query = updates[-1].callback_query
            assert query.data == "ok" and query.message.message_id == sent.message_id
            await query.answer("Đã nhận")
            await bot.edit_message_text("Đã xác nhận", chat_id=chat, message_id=sent.message_id)
            photo = await bot.send_photo(chat, photo=BINARY, caption="Ảnh")
            document = await bot.send_document(chat, document=io.BytesIO(b"%PDF"), filename="Đơn.pdf", caption="Tờ khai")
            assert document.document.file_name == "Đơn.pdf"
            album = await bot.send_media_group(chat, [InputMediaPhoto(b"A"), InputMediaPhoto(photo.photo[-1].file_id)])
            assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
            copied = await bot.copy_message(chat, from_chat_id=chat, message_id=photo.message_id)
            await bot.edit_message_caption(chat_id=chat, message_id=photo.message_id, caption="Ảnh mới")
            await bot.delete_message(chat, copied.message_id)
            file = await bot.get_file(stored.file_id)
            assert bytes(await file.download_as_bytearray()) == BINARY
            buffer = io.BytesIO()
            await file.download_to_memory(buffer)
            assert buffer.getvalue() == BINARY
            with pytest.raises(BadRequest, match="too big"):
                await bot.get_file(too_big.file_id)
            await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)

    asyncio.run(scenario())
    api.assert_no_violations()
    api.wait_idle(quiet=0.1, timeout=2)
    messages = api.bot_messages(chat)
    assert [m.method for m in messages] == ["sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "sendMediaGroup", "copyMessage"]
    assert messages[0].edited and messages[0].text == "Đã xác nhận" and messages[0].buttons == []
    assert messages[1].text == "Ảnh mới" and messages[-1].deleted
    assert api.callback_answers(chat)[0]["text"] == "Đã nhận"
    assert api.requests[0].method == "getMe"


def test_python_telegram_bot_application_polls_end_to_end(api: FakeBotAPI) -> None:
    """The way the real bot runs: an Application long-polling in its own thread/event loop
    while the test thread plays the user and waits on the server."""
    from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler

    async def on_start(update: telegram.Update, context: Any) -> None:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Khai sinh", callback_data="proc:ks")]])
        await update.message.reply_text(f"Chào <b>{update.effective_user.first_name}</b>", parse_mode="HTML", reply_markup=keyboard)

    async def on_button(update: telegram.Update, context: Any) -> None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(f"Đã chọn {update.callback_query.data}")

    application = (
        ApplicationBuilder().token(api.token).base_url(f"{api.url}/bot").base_file_url(f"{api.url}/file/bot").build()
    )
    application.add_handler(CommandHandler("start", on_start))
    application.add_handler(CallbackQueryHandler(on_button))
    done = threading.Event()

    async def run() -> None:
        async with application:
            await application.updater.start_polling(timeout=1, drop_pending_updates=True)
            await application.start()
            while not done.is_set():
                await asyncio.sleep(0.02)
            await application.updater.stop()
            await application.stop()

    runner = threading.Thread(target=asyncio.run, args=(run(),))
    runner.start()
    try:
        api.wait_until(lambda: api.polling, timeout=10, message="bot started polling")
        api.send_text(USER, "/start", first_name="Mai")
        [welcome] = api.wait_for_messages(USER, 1, timeout=10)
        assert welcome.text == "Chào Mai" and welcome.button_labels() == ["Khai sinh"]
        api.press(USER, welcome.callback_data("Khai sinh"))
        api.wait_until(lambda: api.bot_messages(USER)[0].edited, timeout=10, message="message edited")
        api.wait_idle(quiet=0.3, timeout=10)
    finally:
        done.set()
        runner.join(timeout=15)
    [edited] = api.bot_messages(USER)
    assert edited.text == "Đã chọn proc:ks" and edited.buttons == []
    assert len(api.callback_answers(USER)) == 1
    api.assert_no_violations()


def test_the_bundled_spec_is_the_shared_official_one() -> None:
    """The sandbox ships a copy of api.json for machines without ../shared; it must not drift."""
    from sandbox.botapi.server import BUNDLED_SPEC_PATH, SHARED_SPEC_PATH

    assert SHARED_SPEC_PATH.exists(), "the tests check requests against ../shared/telegram-bot-api/api.json"
    assert BUNDLED_SPEC_PATH.read_bytes() == SHARED_SPEC_PATH.read_bytes()

"""Generated update shapes, as each messenger may send them: Telegram updates of every kind the
bot is subscribed to or not (messages with text, commands, captions, photos, documents, albums,
replies; button presses with any payload, with or without their message; edits, channel posts),
and Zalo webhook events of any content. Each becomes a request or nothing, or, for a Zalo event
that is not one, the documented refusal (`EventRefused`); nothing else escapes."""

from __future__ import annotations

from typing import Any, cast

from hypothesis import example, given
from hypothesis import strategies as st
from telegram import Update

from handlers.desk import Channel, Request
from handlers.routes import decode, route_of
from handlers.telegram.parse import request_of
from handlers.zalo.events import EventRefused, read_event
from handlers.zalo.render import tapped_payload
from handlers.zalo.updates import incoming_files

ids = st.integers(1, 2**40)
short_text = st.text(max_size=60)


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


users = st.fixed_dictionaries({"id": ids, "is_bot": st.booleans(), "first_name": st.text(min_size=1, max_size=20)},
                              optional={"last_name": short_text, "language_code": st.sampled_from(["vi", "en", "fr"])})
chats = st.one_of(
    st.builds(lambda chat_id: {"id": chat_id, "type": "private"}, ids),
    st.builds(lambda chat_id, kind, title: {"id": -chat_id, "type": kind, "title": title}, ids,
              st.sampled_from(["group", "supergroup", "channel"]), short_text))
photo_sizes = st.lists(st.fixed_dictionaries({"file_id": short_text, "file_unique_id": short_text,
                                              "width": st.integers(1, 5000), "height": st.integers(1, 5000)},
                                             optional={"file_size": st.integers(0, 2**35)}), min_size=1, max_size=4)
documents = st.fixed_dictionaries({"file_id": short_text, "file_unique_id": short_text},
                                  optional={"file_name": short_text, "mime_type": short_text,
                                            "file_size": st.integers(0, 2**35)})


@st.composite
def texts(draw: st.DrawFn) -> dict[str, Any]:
    """A text, and when it starts with '/', the bot_command entity Telegram marks it with."""
    text = draw(st.one_of(st.text(min_size=1, max_size=200),
                          st.builds(lambda name, rest: f"/{name}{rest}",
                                    st.sampled_from(["start", "cancel", "tracuu", "hoso", "thongke", "thongbao",
                                                     "language", "gopy", "x", "start@motcua_bot"]),
                                    st.one_of(st.just(""), st.text(max_size=40).map(" ".join)))))
    fields: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        fields["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16(text.split(" ")[0])}]
    return fields


@st.composite
def messages(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    message: dict[str, Any] = {"message_id": draw(st.integers(1, 2**31)), "date": draw(st.integers(0, 2**31)),
                               "chat": draw(chats)}
    if draw(st.booleans()):
        message["from"] = draw(users)
    content = draw(st.sampled_from(["text", "photo", "document", "nothing"]))
    if content == "text":
        message |= draw(texts())
    elif content == "photo":
        message["photo"] = draw(photo_sizes)
    elif content == "document":
        message["document"] = draw(documents)
    if content in ("photo", "document"):
        message |= draw(st.fixed_dictionaries({}, optional={"caption": short_text, "media_group_id": short_text}))
    if depth == 0 and draw(st.booleans()):
        message["reply_to_message"] = draw(messages(depth=1))
    return message


callback_queries = st.fixed_dictionaries(
    {"id": short_text, "from": users, "chat_instance": short_text},
    optional={"data": st.one_of(st.text(max_size=64), st.from_regex(r"\A[a-z]{1,9}:[^\n]{0,40}\Z")),
              "message": messages(depth=1)})
updates = st.builds(lambda update_id, kind, body: {"update_id": update_id, kind: body}, ids,
                    st.sampled_from(["message", "edited_message", "channel_post"]), messages()) \
    | st.builds(lambda update_id, body: {"update_id": update_id, "callback_query": body}, ids, callback_queries) \
    | st.builds(lambda update_id: {"update_id": update_id}, ids)


@given(updates)
def test_any_telegram_update_becomes_a_request_or_nothing(data: dict[str, Any]) -> None:
    request = request_of(Update.de_json(data, None), cast(Channel, object()))
    assert request is None or isinstance(request, Request)
    if request is not None and request.payload is not None:
        route_of(request.payload)
        decode(request.payload)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                      max_size=3), max_leaves=8)
zalo_events = st.fixed_dictionaries({}, optional={
    "event_name": st.one_of(st.sampled_from(["user_send_text", "user_send_image", "user_send_file", "follow",
                                             "unfollow", "user_send_sticker", "oa_send_text",
                                             "user_received_message"]), json_values),
    "sender": st.one_of(st.fixed_dictionaries({"id": st.one_of(ids.map(str), json_values)}), json_values),
    "recipient": json_values, "follower": st.one_of(st.fixed_dictionaries({"id": ids.map(str)}), json_values),
    "user_id": json_values, "timestamp": st.one_of(ids.map(str), json_values),
    "message": st.one_of(json_values, st.fixed_dictionaries({}, optional={
        "msg_id": json_values, "text": st.one_of(st.text(max_size=80), json_values),
        "attachments": st.one_of(json_values, st.lists(st.fixed_dictionaries({}, optional={
            "type": st.one_of(st.sampled_from(["image", "file", "sticker"]), json_values),
            "payload": st.one_of(json_values, st.fixed_dictionaries({}, optional={
                "url": json_values, "type": json_values, "size": json_values, "name": json_values}))}),
            max_size=3))}))})


@given(zalo_events)
@example({"event_name": "user_send_file", "sender": {"id": "1"},
          "message": {"attachments": [{"type": "file", "payload": {"url": "https://f", "size": "²"}}]}})
def test_any_zalo_event_is_read_or_refused(data: dict[str, Any]) -> None:
    try:
        event = read_event(data)
    except EventRefused:
        return
    assert event.name and isinstance(event.user_id, str)
    if event.text is not None:
        tapped_payload(event.text)
    assert all(isinstance(attachment.payload, dict) for attachment in event.attachments)
    for file in incoming_files(event):
        assert file.file_id and (file.size is None or file.size >= 0)

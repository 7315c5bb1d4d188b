"""No text is dropped for its length on the way out: what is longer than a messenger takes in
one message (Telegram: 4,096 characters of text, 1,024 of caption; Zalo: 2,000) goes as several
messages, with the buttons under the last. The channels are driven with stand-ins for Telegram's
`Bot` and Zalo's API that record what would be sent."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from telegram import Bot, InputMediaPhoto

from dialogs.output import Attachment, Button, Reply, Rich
from handlers.pieces import length
from handlers.telegram.channel import TelegramChannel
from handlers.telegram.render import CAPTION_LIMIT, TEXT_LIMIT, message_texts
from handlers.zalo.channel import ZaloChannel
from handlers.zalo.render import MAX_TEXT
from storage.files import FileStore
from tests.support.people import JPEG as PAGE_JPEG

CHAT = 42
WORDS = [f"từ{n}" for n in range(3000)]
"""Every word is different, so what arrives can be checked word for word."""


class RecordingBot:
    """Telegram's `Bot` as far as the channel uses it: every send is recorded and succeeds."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _sent(self, method: str, **fields: Any) -> SimpleNamespace:
        self.calls.append((method, fields))
        return SimpleNamespace(message_id=len(self.calls))

    async def do_api_request(self, endpoint: str, api_kwargs: dict[str, Any], *,
                             rate_limit_args: object = None) -> dict[str, Any]:
        """Texts go this way, answered with Telegram's answer as a dict (the channel needs its id)."""
        fields = {key: value for key, value in api_kwargs.items() if key != "chat_id"}
        return {"message_id": self._sent(endpoint, rate_limit_args=rate_limit_args, **fields).message_id}

    async def send_photo(self, chat_id: int, photo: object, **fields: Any) -> SimpleNamespace:
        return self._sent("sendPhoto", **fields)

    async def send_document(self, chat_id: int, document: object, **fields: Any) -> SimpleNamespace:
        return self._sent("sendDocument", **fields)

    async def send_media_group(self, chat_id: int, media: list[InputMediaPhoto], **fields: Any) -> list[SimpleNamespace]:
        return [self._sent("sendMediaGroup", caption=item.caption, **fields) for item in media]

    def texts(self) -> list[str]:
        return [fields.get("text") or fields.get("caption") or "" for _, fields in self.calls]


def _telegram(reply: Reply, tmp_path: Path, *, paid: bool = False) -> RecordingBot:
    bot = RecordingBot()
    channel = TelegramChannel(cast(Bot, bot), FileStore(tmp_path))
    asyncio.run(channel.deliver(CHAT, reply, bulk=True, paid=paid))
    return bot


def _words(texts: list[str]) -> list[str]:
    return " ".join(texts).split()


def test_a_long_notice_goes_as_several_messages_with_its_buttons_under_the_last(tmp_path: Path) -> None:
    reply = Reply(Rich.plain(" ".join(WORDS)), ((Button("OK", "nav:home"),),))
    bot = _telegram(reply, tmp_path)
    assert len(bot.calls) > 1 and all(method == "sendMessage" for method, _ in bot.calls)
    assert all(len(text) <= TEXT_LIMIT for text in bot.texts())
    assert _words(bot.texts()) == WORDS
    assert [fields["reply_markup"] is not None for _, fields in bot.calls] == [False] * (len(bot.calls) - 1) + [True]


def test_a_long_announcement_keeps_every_word(tmp_path: Path) -> None:
    text = " ".join(WORDS)
    reply = Reply(Rich.plain(text), authored_html=f"<b>{text}</b>")
    assert length(reply.text) > TEXT_LIMIT
    bot = _telegram(reply, tmp_path)
    assert len(bot.calls) > 1 and _words(bot.texts()) == WORDS


def test_a_short_announcement_keeps_its_formatting(tmp_path: Path) -> None:
    reply = Reply(Rich.plain("Lịch & giờ"), authored_html="<b>Lịch</b> &amp; giờ")
    assert message_texts(reply, TEXT_LIMIT) == ["<b>Lịch</b> &amp; giờ"]
    assert message_texts(reply, 5) == ["Lịch", "&amp; giờ"], "too long: in pieces, plain"


def test_a_text_too_long_for_a_caption_follows_its_photo(tmp_path: Path) -> None:
    text = " ".join(WORDS[:300])
    assert TEXT_LIMIT > len(text) > CAPTION_LIMIT
    photo = Attachment("photo", telegram_file_id="PHOTO")
    reply = Reply(Rich.plain(text), ((Button("OK", "nav:home"),),), attachments=(photo,), authored_html=text)
    bot = _telegram(reply, tmp_path)
    assert [method for method, _ in bot.calls] == ["sendPhoto", "sendMessage"]
    assert bot.calls[0][1]["caption"] is None and bot.calls[1][1]["text"] == text
    assert bot.calls[1][1]["reply_markup"] is not None
    short = _telegram(Reply(Rich.plain("Bão số 3"), attachments=(photo,)), tmp_path)
    assert [(method, fields["caption"]) for method, fields in short.calls] == [("sendPhoto", "Bão số 3")]


def test_long_captions_of_files_and_album_photos_follow_as_text(tmp_path: Path) -> None:
    long = Rich.plain(" ".join(WORDS[:300]))
    reply = Reply(Rich.plain("Hồ sơ HS-1"), attachments=(
        Attachment("photo", Rich.plain("trang 1"), telegram_file_id="P1"),
        Attachment("photo", long, telegram_file_id="P2"),
        Attachment("document", long, telegram_file_id="D1")))
    bot = _telegram(reply, tmp_path)
    assert [method for method, _ in bot.calls] == ["sendMediaGroup", "sendMediaGroup", "sendDocument", "sendMessage",
                                                  "sendMessage", "sendMessage"]
    assert [fields["caption"] for _, fields in bot.calls[:3]] == ["trang 1", None, None]
    assert bot.texts()[3:] == [str(long), str(long), "Hồ sơ HS-1"]


def test_only_paid_deliveries_ask_for_a_paid_broadcast(tmp_path: Path) -> None:
    reply = Reply(Rich.plain("Bão số 3"), attachments=(Attachment("document", telegram_file_id="D1"),))
    assert {fields["allow_paid_broadcast"] for _, fields in _telegram(reply, tmp_path, paid=True).calls} == {True}
    assert {fields["allow_paid_broadcast"] for _, fields in _telegram(reply, tmp_path).calls} == {None}


class RecordingZaloApi:
    def __init__(self) -> None:
        self.uploads: list[str] = []

    async def upload(self, kind: str, content: bytes, file_name: str, mime_type: str) -> str:
        self.uploads.append(kind)
        return f"{kind}-token"


def _zalo_messages(attachment: Attachment, tmp_path: Path) -> list[dict[str, Any]]:
    store = FileStore(tmp_path)
    channel = ZaloChannel(cast(Any, RecordingZaloApi()), cast(Any, None), cast(Any, None), store, cast(Any, None),
                          status_template=None, clock=cast(Any, None))
    return asyncio.run(channel._attachment(attachment))


def test_zalo_keeps_the_whole_caption_of_an_image_and_of_a_file(tmp_path: Path) -> None:
    caption = Rich.plain(" ".join(WORDS[:1000]))
    image = _zalo_messages(Attachment("photo", caption, data=PAGE_JPEG), tmp_path)
    assert "attachment" in image[0] and len(image) > 1
    assert all(len(m["text"]) <= MAX_TEXT for m in image) and _words([m["text"] for m in image]) == WORDS[:1000]
    pdf = _zalo_messages(Attachment("document", caption, data=b"%PDF-1.4 x", mime_type="application/pdf"), tmp_path)
    assert pdf[-1] == {"attachment": {"type": "file", "payload": {"token": "file-token"}}}
    assert all(len(m["text"]) <= MAX_TEXT for m in pdf[:-1]) and _words([m["text"] for m in pdf[:-1]]) == WORDS[:1000]
